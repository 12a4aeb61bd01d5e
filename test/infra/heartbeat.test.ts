import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_TIMEOUT_MS } from '../../infra/functions/heartbeat.ts';
import { HEARTBEAT_METRIC, PROBE_DEFAULTS } from '../../infra/functions/probe.ts';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../../lambda/telemetry.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf, SUBNET_ACTIONS, synthesize } from './synth.ts';

const { template: staging } = synthesize('staging');

/** The heartbeat function: the one that reads its base URL from the environment. */
const heartbeatIdOf = (template: Template): string =>
  logicalIdOf(template, 'AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { HEARTBEAT_BASE_URL: Match.anyValue() } } },
  });
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (template: Template, roleId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);

describe('the heartbeat of staging', () => {
  const heartbeatId = heartbeatIdOf(staging);
  const heartbeat = propertiesOf(staging, 'AWS::Lambda::Function', heartbeatId);
  const roleId: string = heartbeat.Role['Fn::GetAtt'][0];
  const apiId = logicalIdOf(staging, 'AWS::ApiGateway::RestApi');
  const functionId = cryptogramFunctionId(staging);

  it('runs every minute on EventBridge Scheduler, never late and never twice for one minute', () => {
    const schedule = propertiesOf(
      staging,
      'AWS::Scheduler::Schedule',
      logicalIdOf(staging, 'AWS::Scheduler::Schedule'),
    );
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [heartbeatId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
    const schedulerRoleId = schedule.Target.RoleArn['Fn::GetAtt'][0];
    expect(propertiesOf(staging, 'AWS::IAM::Role', schedulerRoleId).AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      },
    ]);
    staging.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: heartbeatId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('calls the stage URL the client takes for the probe ids, naming the function its metrics are about', () => {
    expect(heartbeat.Environment.Variables).toEqual({
      HEARTBEAT_BASE_URL: {
        'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.ap-south-1.', { Ref: 'AWS::URLSuffix' }, '/v1']],
      },
      HEARTBEAT_FUNCTION_NAME: { Ref: functionId },
      PROBE_CUSTOMER_ID: PROBE_DEFAULTS.customerId,
      PROBE_INSTRUMENT_ID: PROBE_DEFAULTS.instrumentId,
      PROBE_EXPECTED_STATUS: '404',
    });
    expect(heartbeat).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(heartbeat.Timeout * 1000).toBeGreaterThan(HEARTBEAT_TIMEOUT_MS);
  });

  it('may invoke the API method and write its own logs, nothing else but traces', () => {
    const statements = statementsOf(staging, roleId);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:aws:execute-api:ap-south-1:111111111111:',
            { Ref: apiId },
            '/v1/GET/customers/*/instruments/*/cryptogram',
          ],
        ],
      },
    });
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'execute-api:Invoke',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it("is let through the API's resource policy: in its Allow and spared by its Deny", () => {
    const roleArn = { 'Fn::GetAtt': [roleId, 'Arn'] };
    const [allow, deny] = propertiesOf(staging, 'AWS::ApiGateway::RestApi', apiId).Policy.Statement;
    expect(allow).toMatchObject({ Effect: 'Allow', Principal: { AWS: expect.arrayContaining([roleArn]) } });
    expect(deny.Effect).toBe('Deny');
    expect(deny.Condition.StringNotLike['aws:PrincipalArn']).toEqual(
      expect.arrayContaining(['arn:aws:iam::111111111111:role/checkout-service-staging', roleArn]),
    );
  });

  it('raises "the chain is broken" when beats fail or are missing for 2 of 3 minutes', () => {
    const alarms = staging.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: HEARTBEAT_METRIC.success },
    });
    expect(Object.values(alarms).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        Namespace: METRIC_NAMESPACE,
        Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: functionId } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'breaching',
        AlarmActions: ['arn:aws:sns:ap-south-1:111111111111:payments-oncall-staging'],
        AlarmDescription: expect.stringMatching(/What to do: docs\/runbook\.md#chainbroken$/),
      }),
    ]);
  });

  it("leaves its own 404s out of the callers' 4xx share, which they would otherwise tip at low traffic", () => {
    const [api4xx] = Object.values(
      staging.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmDescription: Match.stringLikeRegexp('#api4xx$') },
      }),
    ).map((alarm) => alarm.Properties);
    expect(api4xx.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Expression:
            'IF(requests - FILL(beats, 0) >= 20, (FILL(errors, 0) - FILL(beats, 0)) / (requests - FILL(beats, 0)), 0)',
        }),
        {
          Id: 'beats',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: METRIC_NAMESPACE,
              MetricName: HEARTBEAT_METRIC.success,
              Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: functionId } }],
            },
            Period: 300,
            Stat: 'SampleCount',
          },
        },
      ]),
    );
  });

  it('never stops a release: a broken chain is as likely the old version’s, or Cashfree’s', () => {
    const group = propertiesOf(
      staging,
      'AWS::CodeDeploy::DeploymentGroup',
      logicalIdOf(staging, 'AWS::CodeDeploy::DeploymentGroup'),
    );
    const [alarmId] = Object.keys(
      staging.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: HEARTBEAT_METRIC.success } }),
    );
    expect(JSON.stringify(group.AlarmConfiguration)).not.toContain(String(alarmId));
  });
});

describe('environments without a heartbeat', () => {
  it('dev has none: no schedule, no function, no alarm, nothing extra in the resource policy', () => {
    const { template: dev } = synthesize('dev');
    expect(dev.findResources('AWS::Scheduler::Schedule')).toEqual({});
    expect(
      dev.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: HEARTBEAT_METRIC.success } }),
    ).toEqual({});
    expect(Object.keys(dev.findResources('AWS::Lambda::Function'))).toHaveLength(2);
  });
});

describe('the heartbeat of a private API', () => {
  const ENDPOINTS = ['vpce-0123456789abcdef0', 'vpce-0fedcba9876543210'];
  const { template } = synthesize('staging', {
    endpoint: { vpcEndpointIds: ENDPOINTS },
    heartbeat: {
      enabled: true,
      vpc: {
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
        securityGroupIds: ['sg-0123456789abcdef0'],
        vpcEndpointId: 'vpce-0fedcba9876543210',
      },
    },
  });
  const heartbeat = propertiesOf(template, 'AWS::Lambda::Function', heartbeatIdOf(template));

  it('runs in the callers’ subnets and calls through the endpoint’s own DNS name', () => {
    expect(heartbeat.VpcConfig).toEqual({
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(heartbeat.Environment.Variables.HEARTBEAT_BASE_URL).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: logicalIdOf(template, 'AWS::ApiGateway::RestApi') },
          '-vpce-0fedcba9876543210.execute-api.ap-south-1.',
          { Ref: 'AWS::URLSuffix' },
          '/v1',
        ],
      ],
    });
  });

  it('may manage its network interfaces, as a function in a VPC must, without an AWS-managed policy', () => {
    const roleId = heartbeat.Role['Fn::GetAtt'][0];
    expect(propertiesOf(template, 'AWS::IAM::Role', roleId).ManagedPolicyArns).toBeUndefined();
    expect(statementsOf(template, roleId)).toContainEqual({
      Effect: 'Allow',
      Action: expect.arrayContaining(SUBNET_ACTIONS),
      Resource: '*',
    });
  });
});
