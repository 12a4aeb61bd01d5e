import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import { ENVIRONMENTS, type EnvironmentName } from '../../infra/environments.ts';
import type { EnvironmentSettings } from '../../infra/settings.ts';
import { acknowledgements, PRIVATE_API, synthesize } from './synth.ts';

// Every finding the packs still report, errors and warnings alike, as "severity rule path".
const findings = (stack: Stack): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`)),
  );

// The acknowledgements differ with the settings (no WAF, the account logging role), so each shape is checked.
const shapes: Array<[string, EnvironmentName, Partial<EnvironmentSettings>]> = [
  ...Object.keys(ENVIRONMENTS).map((name): [string, EnvironmentName, Partial<EnvironmentSettings>] => [
    name,
    name as EnvironmentName,
    {},
  ]),
  [
    'staging, private, imported secret and key, WAF, no account role',
    'staging',
    {
      ...PRIVATE_API,
      secretArn: 'arn:aws:secretsmanager:ap-south-1:111111111111:secret:cashfree-AbCdEf',
      kmsKey: { arn: 'arn:aws:kms:ap-south-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      wafWebAclArn: 'arn:aws:wafv2:ap-south-1:111111111111:regional/webacl/payments/0a1b2c3d',
      createApiGatewayAccountRole: false,
      release: { strategy: 'linear', percent: 25, intervalMinutes: 2 },
    },
  ],
];

describe.each(shapes)('the %s stack', (_shape, name, overrides) => {
  // Synthesizing runs the packs app.ts attaches and would already throw on a finding; this lists them.
  const { stack } = synthesize(name, overrides);

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

describe('the acknowledgements of the dev stack', () => {
  const { stack } = synthesize('dev');

  it('are exactly the reviewed ones, each on one resource', () => {
    const byId = acknowledgements(stack).map(
      ({ id, path }) => `${id} @ ${path.replace(/^CryptogramService-dev\//, '')}`,
    );
    expect(byId.sort()).toEqual(
      [
        'AwsSolutions-APIG2 @ Api/Api/Resource',
        'AwsSolutions-APIG3 @ Api/Api/DeploymentStage.v1',
        'AwsSolutions-COG4 @ Api/Api/Default/customers/{customer_id}/instruments/{instrument_id}/cryptogram/GET',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs] @ Api/Api/CloudWatchRole',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited] @ Release/DeploymentGroup/ServiceRole',
        'AwsSolutions-IAM5[Resource::<ReleasePreTrafficCheckFD3A7A18.Arn>:*] @ Release/DeploymentGroup/ServiceRole',
        'AwsSolutions-IAM5[Resource::*] @ Function/Role',
        'AwsSolutions-IAM5[Resource::*] @ Release/PreTrafficCheckRole',
        'AwsSolutions-IAM5[Resource::<FunctionHandlerB180C98D.Arn>:*] @ Release/PreTrafficCheckRole',
        'AwsSolutions-SMG4 @ Credentials/Secret',
        'Serverless-LambdaDLQ @ Function/Handler',
        'Serverless-LambdaDLQ @ Release/PreTrafficCheck',
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
