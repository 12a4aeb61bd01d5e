import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { sourceMapArtifact } from '../../infra/function.ts';
import { DEFAULTS, ENV } from '../../lambda/config.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf, synthesize } from './synth.ts';

// One synthesis (with real bundling) for the whole file.
const { app, template } = synthesize('dev');
const functionId = cryptogramFunctionId(template);
const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret');
const roleId = propertiesOf(template, 'AWS::Lambda::Function', functionId).Role['Fn::GetAtt'][0];
const API_INTEGRATION_TIMEOUT_SECONDS = 29;
const ONE_YEAR_DAYS = 365;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (role: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);

describe('the function', () => {
  it('runs on nodejs24.x on arm64 with explicit memory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Handler: 'index.handler',
    });
  });

  it('times out before API Gateway gives up on the integration', () => {
    const { Timeout } = propertiesOf(template, 'AWS::Lambda::Function', functionId);
    expect(Timeout).toBeGreaterThanOrEqual(5);
    expect(Timeout).toBeLessThan(API_INTEGRATION_TIMEOUT_SECONDS);
  });

  it('gets the secret ARN, environment and API version under the names lambda/config.ts reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.secretId]: { Ref: secretId },
          [ENV.environment]: 'sandbox',
          [ENV.apiVersion]: DEFAULTS.apiVersion,
          [ENV.baseUrl]: Match.absent(),
          // No map ships, so the runtime is not asked to look for one.
          NODE_OPTIONS: Match.absent(),
        },
      },
    });
  });

  it('is bundled as minified ESM with the AWS SDK inside, and nothing but the code in its asset', () => {
    const s3Key: string = propertiesOf(template, 'AWS::Lambda::Function', functionId).Code.S3Key;
    const assetDir = join(app.synth().directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/^import \{ createRequire as __createRequire \} from 'node:module';/);
    expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(bundle).not.toContain('sourceMappingURL');
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
  });

  it('leaves its source map beside the template, its sources relative to the project root', () => {
    const directory = app.synth().directory;
    const map = JSON.parse(readFileSync(join(directory, sourceMapArtifact('CryptogramService-dev')), 'utf8'));
    expect(map.sources).toContain('lambda/handler.ts');
    expect(map.sources.every((source: string) => !source.startsWith('..') && !isAbsolute(source))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('logs JSON to its own log group kept for at least a year, not through the logRetention custom resource', () => {
    const logGroupId = propertiesOf(template, 'AWS::Lambda::Function', functionId).LoggingConfig.LogGroup.Ref;
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
    expect(propertiesOf(template, 'AWS::Logs::LogGroup', logGroupId).RetentionInDays).toBeGreaterThanOrEqual(
      ONE_YEAR_DAYS,
    );
    expect(template.findResources('Custom::LogRetention')).toEqual({});
  });

  it('sends active X-Ray traces and reserves the configured concurrency', () => {
    expect(propertiesOf(template, 'AWS::Lambda::Function', functionId)).toMatchObject({
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 10,
    });
  });
});

describe('the version and the live alias', () => {
  const versionId = logicalIdOf(template, 'AWS::Lambda::Version');

  it('publishes a version of the function that survives replacement, for rollback', () => {
    template.hasResource('AWS::Lambda::Version', {
      Properties: { FunctionName: { Ref: functionId } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('points the live alias at that version, without provisioned concurrency in dev', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: functionId },
      FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] },
      ProvisionedConcurrencyConfig: Match.absent(),
    });
    expect(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).toEqual({});
  });

  it('publishes a new version when the function changes (here its environment)', () => {
    const other = synthesize('dev', { cashfree: { environment: 'sandbox', apiVersion: '2023-08-01' } }).template;
    expect(logicalIdOf(other, 'AWS::Lambda::Version')).not.toBe(versionId);
  });
});

describe('the function role', () => {
  it('has no AWS-managed policy attached', () => {
    expect(propertiesOf(template, 'AWS::IAM::Role', roleId).ManagedPolicyArns).toBeUndefined();
  });

  it('may read the one secret, write its own log group and send traces, and nothing else', () => {
    const logGroupId = propertiesOf(template, 'AWS::Lambda::Function', functionId).LoggingConfig.LogGroup.Ref;
    expect(statementsOf(roleId)).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: { Ref: secretId },
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      ]),
    );
    expect(statementsOf(roleId)).toHaveLength(3);
  });
});

describe('with provisioned concurrency (prod)', () => {
  const prod = synthesize('prod').template;
  const aliasId = logicalIdOf(prod, 'AWS::Lambda::Alias');

  it('scales the warm instances of the live alias between min and max on utilization', () => {
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 8,
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
      ResourceId: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':live'])] }),
    });
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
        TargetValue: 0.7,
      },
    });
  });

  it('leaves the number to Application Auto Scaling, so the alias a release updates never changes it', () => {
    expect(propertiesOf(prod, 'AWS::Lambda::Alias', aliasId).ProvisionedConcurrencyConfig).toBeUndefined();
  });

  it('changes min or max only after the alias update, and so after the traffic shift, has finished', () => {
    for (const type of ['AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy']) {
      for (const resource of Object.values(prod.findResources(type))) {
        expect(resource.DependsOn).toContain(aliasId);
      }
    }
  });
});
