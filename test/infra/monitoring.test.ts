import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  METRIC,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  VERSION_DIMENSION,
  VERSION_METRIC,
} from '../../lambda/telemetry.ts';
import { cryptogramFunctionId, logicalIdOf, synthesize } from './synth.ts';

const { template: prod } = synthesize('prod');
const functionId = cryptogramFunctionId(prod);
const apiId = logicalIdOf(prod, 'AWS::ApiGateway::RestApi');
const alarms = Object.values(prod.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
const alarmOn = (metricName: string) => alarms.filter((alarm) => alarm.MetricName === metricName);
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
const spilloverAlarms = (template: typeof prod): any[] =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((alarm) => alarm.Properties)
    .filter((alarm) => JSON.stringify(alarm.Metrics ?? []).includes('ProvisionedConcurrencySpilloverInvocations'));
const serviceMetric = (name: string) => ({
  Namespace: METRIC_NAMESPACE,
  MetricName: name,
  Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: functionId } }],
});

describe('the alarms', () => {
  it('each name their section of docs/runbook.md', () => {
    for (const alarm of alarms) expect(alarm.AlarmDescription).toMatch(/What to do: docs\/runbook\.md#[a-z0-9]+$/);
  });

  it('each have that section, headed by the alarm id', () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const headings = [...runbook.matchAll(/^### (\w+)$/gm)].map(([, id]) => id?.toLowerCase());
    const anchors = alarms.map((alarm) => /#([a-z0-9]+)$/.exec(alarm.AlarmDescription)?.[1]);
    expect(anchors.length).toBeGreaterThanOrEqual(15);
    for (const anchor of anchors) expect(headings).toContain(anchor);
  });

  it('notify the environment alarm topic', () => {
    expect(alarms.map((alarm) => alarm.AlarmActions)).toEqual(
      alarms.map(() => ['arn:aws:sns:ap-south-1:222222222222:payments-oncall']),
    );
  });

  it('watch the function for errors, throttles, a duration near its timeout and concurrency near its reservation', () => {
    for (const name of ['Errors', 'Throttles']) {
      expect(alarmOn(name)).toContainEqual(
        expect.objectContaining({ Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }], Threshold: 1 }),
      );
    }
    expect(alarmOn('Duration')).toEqual([expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: 8000 })]);
    expect(alarmOn('ConcurrentExecutions')).toEqual([expect.objectContaining({ Statistic: 'Maximum', Threshold: 8 })]);
  });

  it('watch a steady share of calls spilling over the provisioned instances into cold starts', () => {
    const [spillover] = spilloverAlarms(prod);
    expect(spillover).toMatchObject({ Threshold: 0.1, TreatMissingData: 'notBreaching' });
    expect(spillover.Metrics).toContainEqual(
      expect.objectContaining({ Expression: 'IF(calls >= 11, FILL(spilled, 0) / calls, 0)' }),
    );
  });

  it('do not page for the spillover of a release: the alarm needs longer than the traffic shift lasts', () => {
    const [spillover] = spilloverAlarms(prod);
    const canaryMinutes = 5;
    // Lambda splits the warm instances by weight while both versions answer; the 5-minute periods it needs in a
    // row must outlast the canary plus the pre-traffic check, wherever the canary falls across period edges.
    expect(spillover.EvaluationPeriods * 5).toBeGreaterThanOrEqual(canaryMinutes + 10);
    expect(spillover.DatapointsToAlarm ?? spillover.EvaluationPeriods).toBe(spillover.EvaluationPeriods);
    const linear = synthesize('prod', { release: { strategy: 'linear', percent: 20, intervalMinutes: 10 } }).template;
    // Five steps of 20%: four intervals with two versions on the alias.
    expect(spilloverAlarms(linear)[0]?.EvaluationPeriods * 5).toBeGreaterThanOrEqual(40 + 10);
  });

  it('watch the API for 5xx, the share of 4xx, latency and throttled requests', () => {
    expect(alarmOn('5XXError').length).toBeGreaterThanOrEqual(1);
    expect(alarmOn('Latency')).toHaveLength(1);
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.2,
      Metrics: Match.arrayWith([
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '4XXError' }) }) }),
      ]),
    });
    expect(alarmOn('ApiThrottled')).toEqual([
      expect.objectContaining({ Namespace: METRIC_NAMESPACE, Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }),
    ]);
  });

  it('count API Gateway throttling from the access log, which has no metric of its own', () => {
    prod.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.errorType = "THROTTLED" }',
      MetricTransformations: [
        {
          MetricNamespace: METRIC_NAMESPACE,
          MetricName: 'ApiThrottled',
          MetricValue: '1',
          Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }],
        },
      ],
    });
  });

  it('watch Cashfree failures, rate limiting and a refused key pair, and unreadable credentials', () => {
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith(
        [
          METRIC.upstreamServerError,
          METRIC.upstreamTimeout,
          METRIC.upstreamNetworkError,
          METRIC.upstreamInvalidResponse,
        ].map((name) => Match.objectLike({ MetricStat: Match.objectLike({ Metric: serviceMetric(name) }) })),
      ),
    });
    for (const name of [METRIC.upstreamRateLimited, METRIC.upstreamAuthRejected, METRIC.credentialFailures]) {
      expect(alarmOn(name)).toEqual([expect.objectContaining(serviceMetric(name))]);
    }
  });

  it("show each version's 5xx share and Cashfree failure share on the dashboard, whatever its number", () => {
    const [dashboard] = Object.values(prod.findResources('AWS::CloudWatch::Dashboard'));
    // The body is a Fn::Join of JSON text and references; a placeholder per reference makes it plain JSON.
    const parts: unknown[] = dashboard?.Properties.DashboardBody['Fn::Join'][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : '<ref>')).join(''));
    const expressions = body.widgets
      .flatMap((widget: { properties: { metrics?: unknown[][] } }) => widget.properties.metrics ?? [])
      .flat()
      .map((entry: { expression?: string }) => entry.expression)
      .filter(Boolean);
    for (const name of Object.values(VERSION_METRIC)) {
      expect(expressions).toContain(
        `SEARCH('{${METRIC_NAMESPACE},${METRIC_DIMENSION},${VERSION_DIMENSION}} MetricName="${name}" ${METRIC_DIMENSION}="<ref>"', 'Average', 60)`,
      );
    }
  });

  it('are shown on a dashboard', () => {
    prod.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardBody: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"alarm"')])] }),
    });
  });
});

describe('the alarms of dev', () => {
  const { template: dev } = synthesize('dev');
  const devAlarms = Object.values(dev.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  it('notify nobody, and skip the provisioned concurrency alarm it has no use for', () => {
    for (const alarm of devAlarms) expect(alarm.AlarmActions).toBeUndefined();
    expect(spilloverAlarms(dev)).toEqual([]);
  });
});
