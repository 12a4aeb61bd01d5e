import { type CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../lambda/telemetry.ts';
import { runbookAlarm } from './alarms.ts';
import { type CryptogramApi, METHOD_PATH } from './api.ts';
import { bundledFunction, ROOT } from './bundling.ts';
import { HEARTBEAT_ENV, HEARTBEAT_METRIC, probeEnvironment } from './functions/probe.ts';
import type { Settings } from './settings.ts';

/** Above the client's 8 s timeout (infra/functions/heartbeat.ts), so a slow answer is reported, not cut off. */
const HEARTBEAT_FUNCTION_TIMEOUT = Duration.seconds(15);

export interface HeartbeatProps {
  settings: Pick<Settings, 'probe' | 'heartbeat' | 'alarmActionArn'>;
  api: CryptogramApi;
  /** The function the chain ends in: its name is the `FunctionName` dimension of the heartbeat's metrics. */
  target: IFunction;
}

/**
 * Every minute, a small function asks the deployed stage for the probe ids through the project's client, signed
 * with its own role, which the API's resource policy admits: the same path as a payment flow, so a broken
 * chain is found with no traffic at all. `ChainBroken` fires when beats fail or stop for 2 of 3 minutes.
 */
export class Heartbeat extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly schedule: Schedule;
  readonly alarm: Alarm;
  readonly success: Metric;
  readonly latency: Metric;
  /** Beats written per `period`: each is one API request, answered 4xx when the chain is healthy. */
  readonly beats: (period: Duration) => Metric;

  constructor(scope: Construct, id: string, { settings, api, target }: HeartbeatProps) {
    super(scope, id);
    const { vpc } = settings.heartbeat;
    const handler = bundledFunction(this, 'Handler', {
      roleDescription: 'Heartbeat: call the cryptogram API with the probe ids, write its logs',
      inSubnets: vpc !== undefined,
      statements: [new PolicyStatement({ actions: ['execute-api:Invoke'], resources: [api.methodArnPattern] })],
      entry: `${ROOT}infra/functions/heartbeat.ts`,
      memorySize: 256,
      timeout: HEARTBEAT_FUNCTION_TIMEOUT,
      description: 'Heartbeat: one signed call with the probe ids through API Gateway, the function and Cashfree',
      environment: {
        [HEARTBEAT_ENV.baseUrl]: vpc ? api.endpointBaseUrl(vpc.vpcEndpointId) : api.baseUrl,
        [HEARTBEAT_ENV.functionName]: target.functionName,
        ...probeEnvironment(settings.probe),
      },
      bundling: {
        // The runtime's AWS SDK packages: fromEnv for the credentials (the client's default provider chain is
        // never loaded, credentials being given); bundling them would add 200 KB for one call a minute. The
        // client's signer stays bundled, the version its tests ran.
        externalModules: ['@aws-sdk/*'],
      },
    });
    this.function = handler.function;
    this.role = handler.role;
    this.logGroup = handler.logGroup;
    api.admit(this.role.roleArn);
    if (vpc) {
      (this.function.node.defaultChild as CfnFunction).vpcConfig = {
        subnetIds: [...vpc.subnetIds],
        securityGroupIds: [...vpc.securityGroupIds],
      };
    }
    // A late or repeated beat says nothing about the minute it was meant for.
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    const stack = Stack.of(this);
    // The scheduler's own role, trusted only for schedules of this account (the confused-deputy guard AWS
    // documents for EventBridge Scheduler).
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invoke the heartbeat function',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Heartbeat of the cryptogram service: one probe a minute',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaInvoke(this.function, {
        role: schedulerRole,
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });

    const metric = (metricName: string, statistic: string): Metric =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: target.functionName },
        statistic,
        period: Duration.minutes(1),
      });
    this.success = metric(HEARTBEAT_METRIC.success, 'Maximum');
    this.beats = (period) => metric(HEARTBEAT_METRIC.success, 'SampleCount').with({ period });
    this.latency = metric(HEARTBEAT_METRIC.latency, 'Maximum');
    // Maximum: one good beat in a minute means the chain worked that minute. A minute without a beat is as bad
    // as a failed one: the schedule, the function or its logs broke, and nothing else would notice.
    this.alarm = runbookAlarm(this, 'ChainBroken', {
      meaning:
        'The heartbeat failed or was missing for 2 of the last 3 minutes: a payment flow would fail the same way',
      metric: this.success,
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
      alarmActionArn: settings.alarmActionArn,
    });

    // cdk-nag names the resource as the template has it: literals where the stack is pinned, else pseudo params.
    const shown = (value: string, pseudo: string): string => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const methodArn = [
      'arn',
      shown(stack.partition, 'Partition'),
      'execute-api',
      shown(stack.region, 'Region'),
      shown(stack.account, 'AccountId'),
      `<${stack.getLogicalId(api.restApi.node.defaultChild as CfnElement)}>${METHOD_PATH}`,
    ].join(':');
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${methodArn}]`,
      reason:
        'The one method of this API, as every caller is granted it; the resource path has the two ids as ' +
        'wildcards, and the heartbeat asks only for the probe ids.',
    });
    const lostBeat =
      'A beat that is lost is itself the signal (the alarm treats a missing beat as failing); a dead-lettered ' +
      'or redelivered beat would arrive too late to mean anything.';
    Validations.of(this.function).acknowledge({ id: 'Serverless-LambdaDLQ', reason: lostBeat });
    Validations.of(this.function).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: lostBeat });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        'CDK grants the scheduler invoke on the heartbeat function and its qualifiers; the wildcard covers only ' +
        'versions and aliases of that one function, which has none.',
    });
  }
}
