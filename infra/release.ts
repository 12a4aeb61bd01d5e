import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { type Alarm, type IMetric, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type ILambdaDeploymentConfig,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
  TrafficRouting,
} from 'aws-cdk-lib/aws-codedeploy';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STAGE_NAME } from '../api/resource.ts';
import { METRIC_DIMENSION, METRIC_NAMESPACE, VERSION_DIMENSION, VERSION_METRIC } from '../lambda/telemetry.ts';
import { runbookAlarm } from './alarms.ts';
import { type BundledFunction, bundledFunction, ROOT } from './bundling.ts';
import { type CryptogramFunction, LIVE_ALIAS } from './function.ts';
import { type Probe, probeEnvironment, TARGET_VERSION_ENV } from './functions/probe.ts';
import type { ReleaseSettings } from './settings.ts';

/** The share of the new version's answers (or Cashfree calls) failing, per minute, that rolls a release back. */
const NEW_VERSION_FAILURE_SHARE = 0.2;
/** The hook function's timeout: the check's own 40 s budget plus its report to CodeDeploy. */
const PRE_TRAFFIC_CHECK_TIMEOUT = Duration.seconds(60);

/**
 * Requests a minute needs before its share counts: the fewest for which one failure alone stays below the
 * threshold. Below it the share is taken as 0, so one 5xx among a handful of calls never rolls a release back.
 */
export const minimumRequests = (threshold: number): number => Math.floor(1 / threshold) + 1;

/** `IF(requests >= N, failures / requests, 0)` per minute: a share that counts only with enough requests. */
function guardedShare(label: string, requests: IMetric, failures: IMetric, threshold: number): MathExpression {
  return new MathExpression({
    label: `${label} (0 below ${minimumRequests(threshold)} requests a minute)`,
    expression: `IF(requests >= ${minimumRequests(threshold)}, FILL(failures, 0) / requests, 0)`,
    usingMetrics: { requests, failures },
    period: Duration.minutes(1),
  });
}

/**
 * One line per published version of the function that had traffic, found by search: the version numbers change
 * with every release, and during a canary the two versions' shares side by side show which one fails.
 */
export function perVersionShare(functionName: string, metricName: string, label: string): MathExpression {
  return new MathExpression({
    label,
    expression: `SEARCH('{${METRIC_NAMESPACE},${METRIC_DIMENSION},${VERSION_DIMENSION}} MetricName="${metricName}" ${METRIC_DIMENSION}="${functionName}"', 'Average', 60)`,
    usingMetrics: {},
    period: Duration.minutes(1),
  });
}

export interface ReleaseProps {
  target: CryptogramFunction;
  release: ReleaseSettings;
  /** What the pre-traffic check asks the new version for, besides the invalid id. */
  probe: Probe;
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
  readonly preTrafficCheckLogs: LogGroup;
  /** Errors of the new version alone, which the old version's traffic cannot dilute during a canary. */
  readonly newVersionErrors: Alarm;
  /** The new version's own share of 5xx answers: the failures it handles, which `Errors` never counts. */
  readonly newVersionServerErrors: Alarm;
  /** The share of the new version's calls to Cashfree that failed (5xx, timeout, network, invalid answer). */
  readonly newVersionUpstreamFailures: Alarm;
  /** The stage's 5xx share, at a threshold the new version's share of traffic alone can cross. */
  readonly serverErrorRate: Alarm;

  constructor(scope: Construct, id: string, { target, release, probe, stage, alarmActionArn }: ReleaseProps) {
    super(scope, id);
    const { function: fn, version } = target;

    this.newVersionErrors = runbookAlarm(this, 'NewVersionErrors', {
      meaning: 'The version being released crashed or timed out',
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
      alarmActionArn,
    });

    // The function's own per-version metrics (lambda/telemetry.ts): each invocation writes 0 or 1, so Sum is the
    // failures and SampleCount the calls of the new version alone, however much traffic the old version still
    // serves. Two minutes running at a fifth or more, each with enough calls to count: a version failing every
    // call fires within the canary's first minutes once it gets six calls a minute, one stray 5xx never does,
    // and a minute without calls (missing data) breaches nothing: a quiet canary proves nothing either way, and
    // the pre-traffic check has already driven the whole path of the version once.
    const versionMetric = (metricName: string, statistic: string): Metric =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: fn.functionName, [VERSION_DIMENSION]: version.version },
        statistic,
        period: Duration.minutes(1),
      });
    const shareAlarm = (alarmId: string, metricName: string, label: string, meaning: string): Alarm =>
      runbookAlarm(this, alarmId, {
        meaning,
        metric: guardedShare(
          label,
          versionMetric(metricName, 'SampleCount'),
          versionMetric(metricName, 'Sum'),
          NEW_VERSION_FAILURE_SHARE,
        ),
        threshold: NEW_VERSION_FAILURE_SHARE,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        alarmActionArn,
      });
    this.newVersionServerErrors = shareAlarm(
      'NewVersionServerErrors',
      VERSION_METRIC.serverErrorAnswer,
      "The new version's share of 5xx answers",
      'The version being released answered 5xx to a fifth or more of its calls, two minutes running',
    );
    this.newVersionUpstreamFailures = shareAlarm(
      'NewVersionUpstreamFailures',
      VERSION_METRIC.upstreamFailure,
      "The new version's share of failed Cashfree calls",
      'A fifth or more of the Cashfree calls of the version being released failed, two minutes running',
    );

    // Kept beside the per-version alarms for the 5xx the function never writes a line about: API Gateway's
    // 502 for a malformed proxy answer, 503 when the version cannot be invoked, 504 at its 29 s. The stage
    // cannot tell versions apart, so the threshold is half the new version's share of traffic (at most 5%):
    // a version whose every answer turns into a gateway 5xx crosses it even when the old one answers the rest.
    // Two minutes running, each with enough requests, for the same reasons as above.
    const sharePercent = release.strategy === 'all-at-once' ? 100 : release.percent;
    const stageThreshold = Math.min(0.05, sharePercent / 200);
    // Dimensions by name, not by reference to the stage: the alias waits for this alarm's deployment group, and
    // a reference would close the loop stage -> deployment -> method -> alias.
    const stageMetric = (metricName: string): Metric =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: stage.restApi.restApiName, Stage: STAGE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    this.serverErrorRate = runbookAlarm(this, 'ReleaseServerErrorRate', {
      meaning: 'A share of API answers were 5xx',
      metric: guardedShare(
        "The stage's share of 5xx answers",
        stageMetric('Count'),
        stageMetric('5XXError'),
        stageThreshold,
      ),
      threshold: stageThreshold,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      alarmActionArn,
    });
    const releaseAlarms = [
      this.newVersionErrors,
      this.newVersionServerErrors,
      this.newVersionUpstreamFailures,
      this.serverErrorRate,
    ];

    const hook = this.preTrafficCheckFunction(target, probe);
    this.preTrafficCheck = hook.function;
    this.preTrafficCheckLogs = hook.logGroup;

    this.deploymentGroup = new LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias: target.alias,
      deploymentConfig: this.deploymentConfig(release),
      // Only alarms that see the new version (or, for the stage's 5xx share, cannot be diluted below the canary's
      // share): the stack-wide Cashfree count would roll a healthy release back for the old version's failures.
      alarms: releaseAlarms,
      preHook: this.preTrafficCheck,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    // The alias update is what starts a CodeDeploy deployment, and CloudFormation orders nothing by an
    // UpdatePolicy's references: without these, a release could run the previous hook (testing the previous
    // version) or the previous alarms.
    target.alias.node.addDependency(
      this.preTrafficCheck,
      this.preTrafficCheck.role ?? this.preTrafficCheck,
      this.deploymentGroup,
    );
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

  private preTrafficCheckFunction({ function: fn, version }: CryptogramFunction, probe: Probe): BundledFunction {
    const check = bundledFunction(this, 'PreTrafficCheck', {
      ids: { role: 'PreTrafficCheckRole', logs: 'PreTrafficCheckLogs' },
      roleDescription: 'Pre-traffic check: invoke the version under release, report to CodeDeploy, write its logs',
      // Every published version of the one function, by a pattern that stays the same from release to release:
      // a grant naming the version would change the policy on every release and race IAM's propagation against
      // CodeDeploy calling the hook. The alias and $LATEST are denied: a probe through them would test the
      // version callers already have.
      statements: [
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [`${fn.functionArn}:*`] }),
        new PolicyStatement({
          effect: Effect.DENY,
          actions: ['lambda:InvokeFunction'],
          resources: [`${fn.functionArn}:${LIVE_ALIAS}`, `${fn.functionArn}:$LATEST`],
        }),
      ],
      entry: `${ROOT}infra/functions/pre-traffic-check.ts`,
      memorySize: 256,
      timeout: PRE_TRAFFIC_CHECK_TIMEOUT,
      description:
        `Pre-traffic check of ${fn.node.path}: an invalid id must get the 400 JSON answer, ` +
        "the probe ids Cashfree's answer for an unknown card",
      // The version ARN changes with every release, which also makes CloudFormation update this function first.
      environment: { [TARGET_VERSION_ENV]: version.functionArn, ...probeEnvironment(probe) },
      bundling: {
        // The runtime's SDK is fine here: the hook makes a few calls per deployment, far from any latency budget.
        externalModules: ['@aws-sdk/*'],
      },
    });

    const functionId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
    Validations.of(check.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        'The versions of the one cryptogram function, by a pattern stable across releases; its live alias and ' +
        '$LATEST are denied in the same policy, so only published versions can be invoked.',
    });
    Validations.of(check.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'CodeDeploy invokes the hook and waits for its status report; a lost invocation fails the deployment ' +
        'at the hook timeout and rolls it back, so there is nothing to dead-letter.',
    });
    return check;
  }
}
