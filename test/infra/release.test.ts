import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CHECK_TIMING } from '../../infra/functions/pre-traffic-check.ts';
import { PROBE_DEFAULTS } from '../../infra/functions/probe.ts';
import { minimumRequests } from '../../infra/release.ts';
import { METRIC_DIMENSION, METRIC_NAMESPACE, VERSION_DIMENSION, VERSION_METRIC } from '../../lambda/telemetry.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf, synthesize } from './synth.ts';

const { template: prod } = synthesize('prod');
const { template: dev } = synthesize('dev');

/** The pre-traffic check: the function that reads the target version from its environment. */
const hookIdOf = (template: Template): string => {
  const [id, ...others] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, resource]) => resource.Properties?.Environment?.Variables?.TARGET_VERSION_ARN !== undefined)
    .map(([logicalId]) => logicalId);
  if (!id || others.length > 0) throw new Error('expected one pre-traffic check function');
  return id;
};
const roleOf = (template: Template, functionId: string): string =>
  propertiesOf(template, 'AWS::Lambda::Function', functionId).Role['Fn::GetAtt'][0];
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (template: Template, roleId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
const policyIdOf = (template: Template, roleId: string): string =>
  logicalIdOf(template, 'AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
type Json = Record<string, any>;
const alarmIdsOf = (group: Json): string[] =>
  group.AlarmConfiguration.Alarms.map((alarm: { Name: { Ref: string } }) => alarm.Name.Ref);
/** The metrics an alarm's math reads, by id, with their statistic. */
const mathInputs = (alarm: Json): Record<string, Json> =>
  Object.fromEntries(
    alarm.Metrics.filter((entry: Json) => entry.MetricStat).map((entry: Json) => [
      entry.Id,
      { ...entry.MetricStat.Metric, Stat: entry.MetricStat.Stat, Period: entry.MetricStat.Period },
    ]),
  );
const expressionOf = (alarm: Json): string => alarm.Metrics.find((entry: Json) => entry.Expression).Expression;

describe('a prod release', () => {
  const groupId = logicalIdOf(prod, 'AWS::CodeDeploy::DeploymentGroup');
  const aliasId = logicalIdOf(prod, 'AWS::Lambda::Alias');
  const versionId = logicalIdOf(prod, 'AWS::Lambda::Version');
  const functionId = cryptogramFunctionId(prod);
  const hookId = hookIdOf(prod);
  const hookRoleId = roleOf(prod, hookId);
  const group = propertiesOf(prod, 'AWS::CodeDeploy::DeploymentGroup', groupId);
  const releaseAlarms = alarmIdsOf(group).map((id) => propertiesOf(prod, 'AWS::CloudWatch::Alarm', id));

  it('shifts 10% of traffic to the new version for 5 minutes, then the rest', () => {
    const configId = logicalIdOf(prod, 'AWS::CodeDeploy::DeploymentConfig');
    prod.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryPercentage: 10, CanaryInterval: 5 },
      },
    });
    expect(group.DeploymentConfigName).toEqual({ Ref: configId });
  });

  it('moves the live alias through CodeDeploy with the pre-traffic check', () => {
    prod.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: Match.anyValue(),
          DeploymentGroupName: { Ref: groupId },
          BeforeAllowTrafficHook: { Ref: hookId },
        },
      },
    });
    expect(propertiesOf(prod, 'AWS::Lambda::Alias', aliasId).FunctionVersion).toEqual({
      'Fn::GetAtt': [versionId, 'Version'],
    });
  });

  it('updates the alias only after the hook, its permissions and the deployment group are in place', () => {
    const dependsOn: string[] = prod.findResources('AWS::Lambda::Alias')[aliasId]?.DependsOn ?? [];
    expect(dependsOn).toEqual(expect.arrayContaining([hookId, hookRoleId, policyIdOf(prod, hookRoleId), groupId]));
  });

  it('rolls back by itself on a failed check, a stop or an alarm', () => {
    expect(group.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
  });

  it("stops on the new version's crashes, 5xx share and Cashfree-failure share and the stage's 5xx share, nothing stack-wide", () => {
    expect(group.AlarmConfiguration.Enabled).toBe(true);
    expect(releaseAlarms.map((alarm) => alarm.MetricName ?? mathInputs(alarm).failures?.MetricName)).toEqual([
      'Errors',
      VERSION_METRIC.serverErrorAnswer,
      VERSION_METRIC.upstreamFailure,
      '5XXError',
    ]);
  });

  it('stops on any crash of the new version itself, by its executed version, a quiet minute counting as no crash', () => {
    expect(releaseAlarms[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: expect.arrayContaining([
        { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
        { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: functionId }, ':live']] } },
      ]),
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    [VERSION_METRIC.serverErrorAnswer, 'newversionservererrors', 1],
    [VERSION_METRIC.upstreamFailure, 'newversionupstreamfailures', 2],
  ])(
    'counts the %s share of the new version alone only in minutes with enough of its calls, two minutes running',
    (metricName, section, index) => {
      const alarm = releaseAlarms[index] as Json;
      const perVersion = {
        Namespace: METRIC_NAMESPACE,
        MetricName: metricName,
        Dimensions: [
          { Name: METRIC_DIMENSION, Value: { Ref: functionId } },
          { Name: VERSION_DIMENSION, Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
        ],
        Period: 60,
      };
      // Each call writes 0 or 1: SampleCount is the version's calls, Sum its failures.
      expect(mathInputs(alarm)).toEqual({
        requests: { ...perVersion, Stat: 'SampleCount' },
        failures: { ...perVersion, Stat: 'Sum' },
      });
      expect(expressionOf(alarm)).toBe('IF(requests >= 6, FILL(failures, 0) / requests, 0)');
      expect(alarm).toMatchObject({
        Threshold: 0.2,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: expect.stringMatching(new RegExp(`What to do: docs/runbook\\.md#${section}$`)),
      });
    },
  );

  it("counts the stage's 5xx share at half the canary's share, in minutes with enough requests, two running", () => {
    const alarm = releaseAlarms[3] as Json;
    const stage = {
      Namespace: 'AWS/ApiGateway',
      Dimensions: [
        { Name: 'ApiName', Value: 'CryptogramService-prod' },
        { Name: 'Stage', Value: 'v1' },
      ],
      Stat: 'Sum',
      Period: 60,
    };
    expect(mathInputs(alarm)).toEqual({
      requests: { ...stage, MetricName: 'Count' },
      failures: { ...stage, MetricName: '5XXError' },
    });
    expect(expressionOf(alarm)).toBe('IF(requests >= 21, FILL(failures, 0) / requests, 0)');
    expect(alarm).toMatchObject({ Threshold: 0.05, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
  });

  it('gives the check the right to invoke published versions by a pattern, never the alias or $LATEST', () => {
    const fnArn = { 'Fn::GetAtt': [functionId, 'Arn'] };
    const statements = statementsOf(prod, hookRoleId);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::Join': ['', [fnArn, ':*']] } },
        {
          Effect: 'Deny',
          Action: 'lambda:InvokeFunction',
          Resource: [{ 'Fn::Join': ['', [fnArn, ':$LATEST']] }, { 'Fn::Join': ['', [fnArn, ':live']] }],
        },
        { Effect: 'Allow', Action: 'codedeploy:PutLifecycleEventHookExecutionStatus', Resource: expect.anything() },
      ]),
    );
    expect(JSON.stringify(statements)).not.toContain(versionId);
    const report = statements.find((s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus');
    expect(JSON.stringify(report?.Resource)).toContain(groupId);
  });

  it("keeps the check's permissions unchanged by a release, so no IAM change races CodeDeploy calling it", () => {
    const released = synthesize('prod', { cashfree: { environment: 'production', apiVersion: '2023-08-01' } }).template;
    const releasedHookRole = roleOf(released, hookIdOf(released));

    expect(logicalIdOf(released, 'AWS::Lambda::Version')).not.toBe(versionId);
    expect(statementsOf(released, releasedHookRole)).toEqual(statementsOf(prod, hookRoleId));
  });

  it('tells the check which version to probe and with which ids and expected answer', () => {
    expect(propertiesOf(prod, 'AWS::Lambda::Function', hookId).Environment.Variables).toEqual({
      TARGET_VERSION_ARN: { Ref: versionId },
      PROBE_CUSTOMER_ID: PROBE_DEFAULTS.customerId,
      PROBE_INSTRUMENT_ID: PROBE_DEFAULTS.instrumentId,
      PROBE_EXPECTED_STATUS: '404',
    });
  });

  it('gives the check a minute, enough for its own time bound and the report, far below CodeDeploy’s hour', () => {
    const { Timeout } = propertiesOf(prod, 'AWS::Lambda::Function', hookId);
    expect(Timeout * 1000).toBeGreaterThanOrEqual(CHECK_TIMING.budgetMs + CHECK_TIMING.reportTimeoutMs);
    expect(Timeout).toBeLessThan(3600);
  });
});

describe('the minimum number of requests a share needs', () => {
  it.each([0.2, 0.05, 0.005])('keeps one failure alone below a threshold of %s', (threshold) => {
    const minimum = minimumRequests(threshold);
    expect(1 / minimum).toBeLessThan(threshold);
    // and no larger than needed: one request fewer, one failure would reach it
    expect(1 / (minimum - 1)).toBeGreaterThanOrEqual(threshold);
  });
});

describe('a release with other probe ids', () => {
  it('passes them and the expected 400 to the check', () => {
    const { template } = synthesize('staging', {
      probe: { customerId: 'probe_customer', instrumentId: 'probe-instrument', expected: 400 },
    });
    expect(propertiesOf(template, 'AWS::Lambda::Function', hookIdOf(template)).Environment.Variables).toMatchObject({
      PROBE_CUSTOMER_ID: 'probe_customer',
      PROBE_INSTRUMENT_ID: 'probe-instrument',
      PROBE_EXPECTED_STATUS: '400',
    });
  });
});

describe('a dev release', () => {
  it('shifts all traffic at once, still behind the pre-traffic check and the rollback alarms', () => {
    const group = propertiesOf(
      dev,
      'AWS::CodeDeploy::DeploymentGroup',
      logicalIdOf(dev, 'AWS::CodeDeploy::DeploymentGroup'),
    );
    expect(group.DeploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
    const alarms = alarmIdsOf(group).map((id) => propertiesOf(dev, 'AWS::CloudWatch::Alarm', id));
    expect(alarms.map((alarm) => alarm.MetricName ?? mathInputs(alarm).failures?.MetricName)).toEqual([
      'Errors',
      VERSION_METRIC.serverErrorAnswer,
      VERSION_METRIC.upstreamFailure,
      '5XXError',
    ]);
    dev.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: Match.objectLike({ BeforeAllowTrafficHook: { Ref: hookIdOf(dev) } }),
      },
    });
  });
});
