import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type ILambdaDeploymentConfig,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
  TrafficRouting,
} from 'aws-cdk-lib/aws-codedeploy';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_DIMENSION, METRIC_NAMESPACE, VERSION_DIMENSION, VERSION_METRIC } from '../lambda/telemetry.ts';
import { type CryptogramFunction, LIVE_ALIAS, LOG_RETENTION, ROOT } from './function.ts';
import { TARGET_VERSION_ENV } from './functions/pre-traffic-check.ts';
import { runbookDescription } from './runbook.ts';
import type { Release as ReleaseSettings } from './settings.ts';

/** The share of the new version's answers (or Cashfree calls) failing, per minute, that rolls a release back. */
export const NEW_VERSION_FAILURE_SHARE = 0.2;

export interface ReleaseProps {
  target: CryptogramFunction;
  release: ReleaseSettings;
  /** Watched during each shift: the API stage that answers through the alias. */
  stage: Stage;
  alarmActionArn: string | undefined;
}

/**
 * How a new version reaches callers: CodeDeploy shifts the `live` alias to it after a pre-traffic check, and
 * shifts it back by itself when the check fails or an alarm fires during the shift.
 */
export class Release extends Construct {
  readonly deploymentGroup: LambdaDeploymentGroup;
  readonly preTrafficCheck: NodejsFunction;
  /** Errors of the new version alone, which the old version's traffic cannot dilute during a canary. */
  readonly newVersionErrors: Alarm;
  /** The new version's own share of 5xx answers: the failures it handles, which `Errors` never counts. */
  readonly newVersionServerErrors: Alarm;
  /** The share of the new version's calls to Cashfree that failed (5xx, timeout, network, invalid answer). */
  readonly newVersionUpstreamFailures: Alarm;
  /** The stage's 5xx share, at a threshold the new version's share of traffic alone can cross. */
  readonly serverErrorRate: Alarm;

  constructor(scope: Construct, id: string, { target, release, stage, alarmActionArn }: ReleaseProps) {
    super(scope, id);
    const { function: fn, version } = target;

    this.newVersionErrors = new Alarm(this, 'NewVersionErrorsAlarm', {
      metric: new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        // Alias invocations are also counted per executed version: this is the version being released.
        dimensionsMap: {
          FunctionName: fn.functionName,
          Resource: `${fn.functionName}:${LIVE_ALIAS}`,
          ExecutedVersion: version.version,
        },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: runbookDescription('NewVersionErrors', 'The version being released crashed or timed out'),
    });

    // The function's own per-version metrics (lambda/telemetry.ts): each invocation writes 0 or 1, so the
    // Average is the new version's share alone, however much traffic the old version still serves. A fifth,
    // in two consecutive minutes: a version failing every call fires within the canary's first minutes, one
    // stray 5xx among a few calls does not, and a minute without calls (low traffic) breaches nothing.
    const versionShare = (metricName: string): Metric =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: fn.functionName, [VERSION_DIMENSION]: version.version },
        statistic: 'Average',
        period: Duration.minutes(1),
      });
    const shareAlarm = (alarmId: string, metricName: string, meaning: string): Alarm =>
      new Alarm(this, `${alarmId}Alarm`, {
        metric: versionShare(metricName),
        threshold: NEW_VERSION_FAILURE_SHARE,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: runbookDescription(alarmId, meaning),
      });
    this.newVersionServerErrors = shareAlarm(
      'NewVersionServerErrors',
      VERSION_METRIC.serverErrorAnswer,
      'The version being released answered 5xx to a fifth or more of its calls, two minutes running',
    );
    this.newVersionUpstreamFailures = shareAlarm(
      'NewVersionUpstreamFailures',
      VERSION_METRIC.upstreamFailure,
      'A fifth or more of the Cashfree calls of the version being released failed, two minutes running',
    );

    // Kept beside the per-version alarms for the 5xx the function never writes a line about: API Gateway's
    // 502 for a malformed proxy answer, 503 when the version cannot be invoked, 504 at its 29 s. The stage
    // cannot tell versions apart, so the threshold is half the new version's share of traffic (at most 5%):
    // a version whose every answer turns into a gateway 5xx crosses it even when the old one answers the rest.
    const sharePercent = release.strategy === 'all-at-once' ? 100 : release.percent;
    this.serverErrorRate = new Alarm(this, 'ReleaseServerErrorRateAlarm', {
      metric: stage.metricServerError({ period: Duration.minutes(1), statistic: 'Average' }),
      threshold: Math.min(0.05, sharePercent / 200),
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: runbookDescription('ReleaseServerErrorRate', 'A share of API answers were 5xx'),
    });
    const releaseAlarms = [
      this.newVersionErrors,
      this.newVersionServerErrors,
      this.newVersionUpstreamFailures,
      this.serverErrorRate,
    ];
    if (alarmActionArn) {
      for (const alarm of releaseAlarms) alarm.addAlarmAction({ bind: () => ({ alarmActionArn }) });
    }

    this.preTrafficCheck = this.preTrafficCheckFunction(target);

    this.deploymentGroup = new LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias: target.alias,
      deploymentConfig: this.deploymentConfig(release),
      // Only alarms that see the new version (or, for the stage's 5xx share, cannot be diluted below the canary's
      // share): the stack-wide Cashfree count would roll a healthy release back for the old version's failures.
      alarms: releaseAlarms,
      preHook: this.preTrafficCheck,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroup.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        'The AWS-managed policy AWS documents for CodeDeploy Lambda deployments (update aliases, read alarms); ' +
        'it follows CodeDeploy as it changes. Invoking the one hook is a separate grant on that function.',
    });
    const hookId = Stack.of(this).getLogicalId(this.preTrafficCheck.node.defaultChild as CfnElement);
    Validations.of(this.deploymentGroup.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${hookId}.Arn>:*]`,
      reason:
        'CDK grants CodeDeploy invoke on the pre-traffic hook and its qualifiers; the wildcard covers only ' +
        'versions and aliases of that one function, which has none.',
    });
  }

  private deploymentConfig(release: ReleaseSettings): ILambdaDeploymentConfig {
    if (release.strategy === 'all-at-once') return LambdaDeploymentConfig.ALL_AT_ONCE;
    const interval = Duration.minutes(release.intervalMinutes);
    return new LambdaDeploymentConfig(this, 'Config', {
      trafficRouting:
        release.strategy === 'canary'
          ? TrafficRouting.timeBasedCanary({ interval, percentage: release.percent })
          : TrafficRouting.timeBasedLinear({ interval, percentage: release.percent }),
    });
  }

  private preTrafficCheckFunction({ function: fn, version }: CryptogramFunction): NodejsFunction {
    const logGroup = new LogGroup(this, 'PreTrafficCheckLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new Role(this, 'PreTrafficCheckRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Pre-traffic check: invoke the version under release, report to CodeDeploy, write its logs',
    });
    logGroup.grantWrite(role);
    const check = new NodejsFunction(this, 'PreTrafficCheck', {
      entry: `${ROOT}infra/functions/pre-traffic-check.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // Long enough for a cold start of the new version and one report; CodeDeploy waits up to an hour.
      timeout: Duration.seconds(60),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      description: `Pre-traffic check of ${fn.node.path}: an invalid id must get the 400 JSON answer`,
      // The version ARN changes with every release, which also makes CloudFormation update this function first.
      environment: { [TARGET_VERSION_ENV]: version.functionArn },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // The runtime's SDK is fine here: the hook makes two calls per deployment, far from any latency budget.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
    });
    // Only the version under release, not $LATEST or the alias.
    version.grantInvoke(check);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource scoping; AWS requires "*".',
    });
    Validations.of(check).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'CodeDeploy invokes the hook and waits for its status report; a lost invocation fails the deployment ' +
        'at the hook timeout and rolls it back, so there is nothing to dead-letter.',
    });
    return check;
  }
}
