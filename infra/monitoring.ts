import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Alias, IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC, METRIC_DIMENSION, METRIC_NAMESPACE, OUTCOME_METRIC, VERSION_METRIC } from '../lambda/telemetry.ts';
import { runbookAlarm } from './alarms.ts';
import { FUNCTION_TIMEOUT } from './function.ts';
import type { Heartbeat } from './heartbeat.ts';
import { minimumRequests, perVersionShare } from './release.ts';
import { type Settings, shiftMinutes } from './settings.ts';

/** Metric the access log's metric filter counts: requests API Gateway refused as throttled. */
const API_THROTTLED_METRIC = 'ApiThrottled';

export interface MonitoringProps {
  settings: Pick<Settings, 'reservedConcurrency' | 'provisionedConcurrency' | 'alarmActionArn' | 'release'>;
  function: IFunction;
  alias: Alias;
  restApi: RestApi;
  accessLogs: ILogGroup;
  /** Its alarm and metrics join the dashboard; absent where the environment runs no heartbeat. */
  heartbeat?: Heartbeat | undefined;
}

interface AlarmSpec {
  id: string;
  meaning: string;
  metric: IMetric;
  threshold: number;
  /** Consecutive periods at or above the threshold before it fires; 1 unless said. */
  periods?: number;
}

/** The share of the live alias's calls that overflowed the warm instances, per 5 minutes, that matters. */
const SPILLOVER_SHARE = 0.1;
// CloudWatch evaluates at most a day of periods.
const MAX_PERIODS_IN_A_DAY = 288;

/** The alarms an on-call engineer acts on (each names its runbook section) and the service's dashboard. */
export class Monitoring extends Construct {
  readonly alarms: Record<string, Alarm> = {};
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings, function: fn, alias, restApi, accessLogs, heartbeat } = props;
    const period = Duration.minutes(5);
    const serviceMetric = (metricName: string, statistic = 'Sum'): Metric =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: fn.functionName },
        statistic,
        period,
      });
    const stage = restApi.deploymentStage;

    // API Gateway publishes no metric for its own throttling; the access log records each one.
    new MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: accessLogs,
      filterPattern: FilterPattern.stringValue('$.errorType', '=', 'THROTTLED'),
      metricNamespace: METRIC_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    const apiThrottled = new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      dimensionsMap: { ApiId: restApi.restApiId },
      statistic: 'Sum',
      period,
    });

    const upstreamFailures = new MathExpression({
      label: 'Cashfree 5xx, timeouts, network errors and invalid answers',
      expression: 'FILL(server, 0) + FILL(timeout, 0) + FILL(network, 0) + FILL(invalid, 0)',
      usingMetrics: {
        server: serviceMetric(METRIC.upstreamServerError),
        timeout: serviceMetric(METRIC.upstreamTimeout),
        network: serviceMetric(METRIC.upstreamNetworkError),
        invalid: serviceMetric(METRIC.upstreamInvalidResponse),
      },
      period,
    });
    // A rate, so that one busy caller's bad ids do not page anyone at night, but a broken caller does. The
    // heartbeat's calls are taken out: each is a 4xx by design (404 for the probe ids), and at a few real calls
    // every 5 minutes its 5 would make a fifth of the requests on their own.
    const requests = stage.metricCount({ period, statistic: 'Sum' });
    const errors = stage.metricClientError({ period, statistic: 'Sum' });
    const clientErrorRate = heartbeat
      ? new MathExpression({
          label: "Share of callers' API requests answered 4xx, the heartbeat's left out (0 below 20 requests)",
          expression:
            'IF(requests - FILL(beats, 0) >= 20, (FILL(errors, 0) - FILL(beats, 0)) / (requests - FILL(beats, 0)), 0)',
          usingMetrics: { requests, errors, beats: heartbeat.beats(period) },
          period,
        })
      : new MathExpression({
          label: 'Share of API requests answered 4xx (0 below 20 requests)',
          expression: 'IF(requests >= 20, FILL(errors, 0) / requests, 0)',
          usingMetrics: { requests, errors },
          period,
        });

    const specs: AlarmSpec[] = [
      {
        id: 'FunctionErrors',
        meaning: 'The function crashed or timed out',
        metric: fn.metricErrors({ period }),
        threshold: 1,
      },
      {
        id: 'FunctionThrottles',
        meaning: 'Lambda refused invocations: reserved concurrency reached (callers got 503)',
        metric: fn.metricThrottles({ period }),
        threshold: 1,
      },
      {
        id: 'FunctionDurationNearTimeout',
        meaning: 'p99 duration above 80% of the function timeout',
        metric: fn.metricDuration({ period, statistic: 'p99' }),
        threshold: FUNCTION_TIMEOUT.toMilliseconds() * 0.8,
      },
      {
        id: 'Api5xx',
        meaning: 'The API answered 5xx',
        metric: stage.metricServerError({ period, statistic: 'Sum' }),
        threshold: 5,
      },
      {
        id: 'Api4xx',
        meaning: 'More than a fifth of API requests were refused with 4xx',
        metric: clientErrorRate,
        threshold: 0.2,
      },
      {
        id: 'ApiThrottled',
        meaning: 'API Gateway throttled requests (callers got 429)',
        metric: apiThrottled,
        threshold: 5,
      },
      {
        id: 'ApiLatency',
        meaning: 'API p99 latency at or above the 5 s request budget',
        metric: stage.metricLatency({ period, statistic: 'p99' }),
        threshold: 5_000,
      },
      {
        id: 'UpstreamFailures',
        meaning: 'Cashfree answered 5xx or invalid bodies, timed out or was unreachable',
        metric: upstreamFailures,
        threshold: 5,
      },
      {
        id: 'UpstreamRateLimited',
        meaning: 'Cashfree rate-limited the service (429)',
        metric: serviceMetric(METRIC.upstreamRateLimited),
        threshold: 5,
      },
      {
        id: 'UpstreamAuthRejected',
        meaning: 'Cashfree refused the key pair even after a fresh read of the secret',
        metric: serviceMetric(METRIC.upstreamAuthRejected),
        threshold: 1,
      },
      {
        id: 'CredentialFailures',
        meaning: 'The Cashfree credentials could not be read from Secrets Manager',
        metric: serviceMetric(METRIC.credentialFailures),
        threshold: 1,
      },
    ];
    const { reservedConcurrency, provisionedConcurrency } = settings;
    if (reservedConcurrency !== 'none') {
      specs.push({
        id: 'ConcurrencyNearLimit',
        meaning: `Concurrent executions at 80% or more of the ${reservedConcurrency} reserved`,
        metric: fn.metric('ConcurrentExecutions', { period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: Math.ceil(reservedConcurrency * 0.8),
      });
    }
    if (provisionedConcurrency) {
      // During a release Lambda splits the alias's warm instances between the two versions by weight, so the
      // new version's share spills over (2 instances at 10% is a fifth of one) until the shift ends. A share of
      // a tenth, with enough calls to count, held longer than two versions ever share the alias: a steady
      // overflow pages, a release does not.
      const releasePeriods = Math.ceil(shiftMinutes(settings.release) / 5) + 2;
      const threshold = SPILLOVER_SHARE;
      specs.push({
        id: 'ProvisionedConcurrencySpillover',
        meaning:
          'A tenth or more of the calls overflowed the provisioned instances and paid a cold start, for longer ' +
          'than a release shifts traffic',
        metric: new MathExpression({
          label: `Share of calls that spilled over (0 below ${minimumRequests(threshold)} calls in 5 minutes)`,
          expression: `IF(calls >= ${minimumRequests(threshold)}, FILL(spilled, 0) / calls, 0)`,
          usingMetrics: {
            calls: alias.metricInvocations({ period, statistic: 'Sum' }),
            spilled: alias.metric('ProvisionedConcurrencySpilloverInvocations', { period, statistic: 'Sum' }),
          },
          period,
        }),
        threshold,
        periods: Math.min(MAX_PERIODS_IN_A_DAY, Math.max(3, releasePeriods)),
      });
    }

    const { alarmActionArn } = settings;
    for (const { id: alarmId, meaning, metric, threshold, periods } of specs) {
      this.alarms[alarmId] = runbookAlarm(this, alarmId, {
        meaning,
        metric,
        threshold,
        evaluationPeriods: periods ?? 1,
        alarmActionArn,
      });
    }

    const shownAlarms = [...(heartbeat ? [heartbeat.alarm] : []), ...Object.values(this.alarms)];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: shownAlarms, width: 24 })],
        ...(heartbeat
          ? [
              [
                new GraphWidget({
                  title: 'Heartbeat: the whole chain answered the probe ids (1) or not (0), and how long it took',
                  left: [heartbeat.success],
                  leftYAxis: { min: 0, max: 1 },
                  right: [heartbeat.latency],
                  width: 24,
                }),
              ],
            ]
          : []),
        [
          new GraphWidget({
            title: 'API requests, errors and throttling',
            left: [
              stage.metricCount({ period }),
              stage.metricClientError({ period }),
              stage.metricServerError({ period }),
              apiThrottled,
            ],
          }),
          new GraphWidget({
            title: 'API and Cashfree latency (p99, ms)',
            left: [stage.metricLatency({ period, statistic: 'p99' }), serviceMetric(METRIC.upstreamLatency, 'p99')],
          }),
        ],
        [
          new GraphWidget({
            title: 'Cashfree outcomes',
            left: [...Object.values(OUTCOME_METRIC), METRIC.upstreamRetries].map((name) => serviceMetric(name)),
          }),
          new GraphWidget({
            title: 'Function, concurrency and credentials',
            left: [
              fn.metricErrors({ period }),
              fn.metricThrottles({ period }),
              fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum' }),
            ],
            right: [serviceMetric(METRIC.credentialRefreshes), serviceMetric(METRIC.credentialFailures)],
          }),
        ],
        [
          new GraphWidget({
            title: 'Per version: share of 5xx answers and of failed Cashfree calls (release alarms at 0.2)',
            left: [
              perVersionShare(fn.functionName, VERSION_METRIC.serverErrorAnswer, '5xx share'),
              perVersionShare(fn.functionName, VERSION_METRIC.upstreamFailure, 'Cashfree failure share'),
            ],
            leftYAxis: { min: 0, max: 1 },
            width: 24,
          }),
        ],
      ],
    });
  }
}
