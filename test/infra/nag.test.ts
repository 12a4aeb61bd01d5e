import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import { synthesize } from './synth.ts';

// Every finding the packs still report, errors and warnings alike, as "severity rule path".
const findings = (stack: Stack): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`)),
  );

const acknowledgements = (scope: IConstruct): Array<{ path: string; id: string; reason: string }> =>
  scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

// The acknowledgements differ with the options (no WAF, the account logging role), so each shape is checked.
const shapes: Array<[string, Record<string, string>]> = [
  ['default', {}],
  [
    'private, imported secret and key',
    {
      endpointType: 'private',
      vpcEndpointIds: 'vpce-0123456789abcdef0',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:cashfree-AbCdEf',
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      alarmActionArn: 'arn:aws:sns:eu-west-1:111122223333:oncall',
    },
  ],
  [
    'created key, WAF, no account role',
    {
      createKmsKey: 'true',
      wafWebAclArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/payments/0a1b2c3d',
      createApiGatewayAccountRole: 'false',
    },
  ],
];

describe.each(shapes)('the %s stack', (_shape, context) => {
  // Synthesizing runs the packs app.ts attaches and would already throw on a finding; this lists them.
  const { stack } = synthesize(context);

  it('has no unacknowledged AwsSolutions or Serverless finding, error or warning', () => {
    expect(findings(stack)).toEqual([]);
  });

  it('acknowledges nothing for APIG1, APIG4, APIG6 or L1, and gives every acknowledgement a reason', () => {
    for (const { id, reason } of acknowledgements(stack)) {
      expect(id).not.toMatch(/^AwsSolutions-(APIG1|APIG4|APIG6|L1)\b/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});

describe('the acknowledgements of the default stack', () => {
  const { stack } = synthesize();

  it('are exactly the reviewed ones, each on one resource', () => {
    const byId = acknowledgements(stack).map(({ id, path }) => `${id} @ ${path.replace(/^CryptogramService\//, '')}`);
    expect(byId.sort()).toEqual(
      [
        'AwsSolutions-APIG2 @ Api/Resource',
        'AwsSolutions-APIG3 @ Api/DeploymentStage.v1',
        'AwsSolutions-COG4 @ Api/Default/customers/{customer_id}/instruments/{instrument_id}/cryptogram/GET',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs] @ Api/CloudWatchRole',
        'AwsSolutions-IAM5[Resource::*] @ HandlerRole',
        'AwsSolutions-SMG4 @ CashfreeCredentials',
        'Serverless-LambdaDLQ @ Handler',
      ].sort(),
    );
  });
});

describe('the app', () => {
  it('refuses to synthesize while a finding is unacknowledged', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cryptogram-nag-'));
    const { app, stack } = buildApp({ outdir, context: cdkJson.context });
    new Secret(stack, 'UnreviewedSecret');
    expect(() => app.synth()).toThrow(/UnreviewedSecret/);
    const report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-SMG4');
    expect(report).toContain('UnreviewedSecret');
  });
});
