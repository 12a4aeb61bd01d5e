import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRIC_DIMENSION, METRIC_NAMESPACE, VERSION_DIMENSION, VERSION_METRIC } from '../../lambda/telemetry.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf, synthesize } from './synth.ts';

const { template: prod } = synthesize('prod');
const { template: dev } = synthesize('dev');

const hookIdOf = (template: Template): string => {
  const functionId = cryptogramFunctionId(template);
  const [id] = Object.keys(template.findResources('AWS::Lambda::Function')).filter(
    (candidate) => candidate !== functionId,
  );
  if (!id) throw new Error('no pre-traffic check function');
  return id;
};

describe('a prod release', () => {
  const groupId = logicalIdOf(prod, 'AWS::CodeDeploy::DeploymentGroup');
  const aliasId = logicalIdOf(prod, 'AWS::Lambda::Alias');
  const versionId = logicalIdOf(prod, 'AWS::Lambda::Version');
  const hookId = hookIdOf(prod);
  const group = propertiesOf(prod, 'AWS::CodeDeploy::DeploymentGroup', groupId);

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
          DeploymentGroupName: { Ref: groupId },
          BeforeAllowTrafficHook: { Ref: hookId },
        },
      },
    });
    expect(propertiesOf(prod, 'AWS::Lambda::Alias', aliasId).FunctionVersion).toEqual({
      'Fn::GetAtt': [versionId, 'Version'],
    });
  });

  it('rolls back by itself on a failed check, a stop or an alarm', () => {
    expect(group.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
  });

  const alarmIdsOf = (properties: typeof group): string[] =>
    properties.AlarmConfiguration.Alarms.map((alarm: { Name: { Ref: string } }) => alarm.Name.Ref);
  const newVersionShare = (metricName: string, runbookSection: string) =>
    expect.objectContaining({
      Namespace: METRIC_NAMESPACE,
      MetricName: metricName,
      Dimensions: expect.arrayContaining([
        { Name: METRIC_DIMENSION, Value: { Ref: cryptogramFunctionId(prod) } },
        { Name: VERSION_DIMENSION, Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
      ]),
      Statistic: 'Average',
      Period: 60,
      // A fifth of its answers in two minutes running: a broken version fires inside the 5-minute canary,
      // one stray 5xx among a few calls does not, and minutes without calls are not held against it.
      Threshold: 0.2,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringMatching(new RegExp(`What to do: docs/runbook\\.md#${runbookSection}$`)),
    });

  it("stops on the new version's errors, 5xx share and Cashfree failures and the stage's 5xx share, nothing stack-wide", () => {
    expect(group.AlarmConfiguration.Enabled).toBe(true);
    const alarms = alarmIdsOf(group).map((id: string) => propertiesOf(prod, 'AWS::CloudWatch::Alarm', id));
    expect(alarms).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: expect.arrayContaining([
          { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
          { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: cryptogramFunctionId(prod) }, ':live']] } },
        ]),
        Threshold: 1,
        Period: 60,
      }),
      newVersionShare(VERSION_METRIC.serverErrorAnswer, 'newversionservererrors'),
      newVersionShare(VERSION_METRIC.upstreamFailure, 'newversionupstreamfailures'),
      // Half the canary's 10%: a version failing every call it gets crosses it even when the rest succeed.
      expect.objectContaining({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Statistic: 'Average',
        Threshold: 0.05,
      }),
    ]);
  });

  it('watches the new version on the dimension set the function writes its per-version metrics under', () => {
    for (const metricName of Object.values(VERSION_METRIC)) {
      const [alarm] = Object.values(
        prod.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }),
      );
      expect(alarm?.Properties.Dimensions.map((dimension: { Name: string }) => dimension.Name).sort()).toEqual(
        [METRIC_DIMENSION, VERSION_DIMENSION].sort(),
      );
    }
  });

  it('gives the check only the right to invoke the released version and report on this deployment group', () => {
    const roleId = propertiesOf(prod, 'AWS::Lambda::Function', hookId).Role['Fn::GetAtt'][0];
    const statements = Object.values(prod.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { Ref: versionId } },
        {
          Effect: 'Allow',
          Action: 'codedeploy:PutLifecycleEventHookExecutionStatus',
          Resource: expect.anything(),
        },
      ]),
    );
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
    const report = statements.find(
      (s: { Action: string }) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus',
    );
    expect(JSON.stringify(report.Resource)).toContain(groupId);
  });

  it('tells the check which version to probe', () => {
    expect(propertiesOf(prod, 'AWS::Lambda::Function', hookId).Environment.Variables).toEqual({
      TARGET_VERSION_ARN: { Ref: versionId },
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
    const alarmIds = group.AlarmConfiguration.Alarms.map((alarm: { Name: { Ref: string } }) => alarm.Name.Ref);
    expect(alarmIds.map((id: string) => propertiesOf(dev, 'AWS::CloudWatch::Alarm', id).MetricName)).toEqual([
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
