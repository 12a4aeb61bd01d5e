import { describe, expect, it } from 'vitest';
import {
  type AlarmState,
  alarmSeries,
  type Classified,
  evaluateAt,
  evaluateExpression,
  MetricStore,
  parseExpression,
  readAlarm,
  type Series,
  stateOf,
  TREATMENTS,
  type TreatMissingData,
} from './alarm-evaluation.ts';

/** `0 - X - X` as the CloudWatch User Guide writes a range: 0 not breaching, X breaching, - missing. */
const range = (text: string): Classified => text.split(' ').map((point) => (point === '-' ? undefined : point === 'X'));
const series = (values: ReadonlyArray<number | undefined>): Series =>
  new Map(values.flatMap((value, minute) => (value === undefined ? [] : [[minute, value] as [number, number]])));
const listed = (value: unknown, length: number) =>
  Array.from({ length }, (_, minute) => (value instanceof Map ? value.get(minute) : value));
const asIs = (value: unknown) => String(value);

// The two tables of "How alarm state is evaluated when data is missing" (evaluation range 5, period 5 minutes);
// columns MISSING, IGNORE, BREACHING, NOT BREACHING. RETAIN is "Retain current state".
const RETAIN = 'retain';
const DOCUMENTED: Array<[string, number, string, (AlarmState | typeof RETAIN)[]]> = [
  ['3 of 3', 3, '0 - X - X', ['OK', 'OK', 'OK', 'OK']],
  ['3 of 3', 3, '0 - - - -', ['OK', 'OK', 'OK', 'OK']],
  ['3 of 3', 3, '- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
  ['3 of 3', 3, '0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['3 of 3', 3, '- - X - -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  ['2 of 3', 2, '0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['2 of 3', 2, '0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['2 of 3', 2, '0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
  ['2 of 3', 2, '- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
  ['2 of 3', 2, '- - - X -', ['ALARM', RETAIN, 'ALARM', 'OK']],
];
const COLUMNS: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

describe('the state of one alarm evaluation', () => {
  it.each(
    DOCUMENTED.flatMap(([label, m, points, states]) =>
      COLUMNS.map((treat, column) => ({ label, m, points, treat, expected: states[column] })),
    ),
  )(
    'sets $expected for $points ($label, missing data $treat), as the User Guide tabulates it',
    ({ m, points, treat, expected }) => {
      for (const current of ['OK', 'ALARM'] as const) {
        const state = stateOf(
          range(points),
          { evaluationPeriods: 3, datapointsToAlarm: m, treatMissingData: treat },
          current,
        );
        expect(state).toBe(expected === RETAIN ? current : expected);
      }
    },
  );

  it('does not go to ALARM on a lone recent breaching datapoint of a 3 of 3 alarm treating missing data as missing', () => {
    // "the alarm does not go immediately into ALARM state when the data is either - - - - X or - - - X -".
    for (const points of ['- - - - X', '- - - X -']) {
      expect(
        stateOf(range(points), { evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing' }, 'OK'),
      ).toBe('INSUFFICIENT_DATA');
    }
  });

  it('judges the most recent N real datapoints, reaching back past missing ones, whatever the missing-data setting', () => {
    for (const treat of TREATMENTS) {
      const rule = { evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: treat };
      expect(stateOf(range('X X - -'), rule, 'OK')).toBe('ALARM');
      expect(stateOf(range('X 0 - -'), rule, 'ALARM')).toBe('OK');
      // Older real datapoints past the most recent N do not count.
      expect(stateOf(range('X X 0 -'), rule, 'ALARM')).toBe('OK');
    }
  });
});

describe('metric math', () => {
  const m1 = series([30, 20, 0, 0]);
  const m2 = series([20, undefined, 20, undefined]);

  it('compares two series with a missing value taken as 0, and a series with a number datapoint by datapoint', () => {
    // The User Guide's "Comparison and logical operators" examples.
    expect(
      listed(evaluateExpression(parseExpression('metric1 < metric2'), { metric1: m1, metric2: m2 }, [0, 1, 2, 3]), 4),
    ).toEqual([0, 0, 1, 0]);
    expect(listed(evaluateExpression(parseExpression('metric1 >= 30'), { metric1: m1 }, [0, 1, 2, 3]), 4)).toEqual([
      1, 0, 0, 0,
    ]);
  });

  it('evaluates IF as "Using IF expressions" tabulates it', () => {
    const metrics = {
      metric1: series([1, 1, 0, 0, undefined]),
      metric2: series([30, undefined, 0, 0, 30]),
      metric3: series([0, 0, 20, undefined, 20]),
    };
    const minutes = [0, 1, 2, 3, 4];
    const run = (text: string) => listed(evaluateExpression(parseExpression(text), metrics, minutes), 5);
    expect(run('IF(metric1, metric2, metric3)')).toEqual([30, 0, 20, undefined, undefined]);
    expect(run('IF(metric1, 5, metric3)')).toEqual([5, 5, 20, undefined, undefined]);
    expect(run('IF(metric1, metric2, 5)')).toEqual([30, 0, 5, 5, undefined]);
    expect(run('IF(metric1, metric2)')).toEqual([30, 0, undefined, undefined, undefined]);
  });

  it('fills every queried minute with FILL, drops a division by zero and keeps * / above + - above comparisons', () => {
    const metrics = { a: series([4, undefined, 0]), b: series([2, 2, 0]) };
    const run = (text: string) => listed(evaluateExpression(parseExpression(text), metrics, [0, 1, 2]), 3);
    expect(run('FILL(a, 7)')).toEqual([4, 7, 0]);
    expect(run('a / b')).toEqual([2, 0, undefined]);
    // A series and a number combine only where the series has a datapoint.
    expect(run('1 + a * 2 >= 9')).toEqual([1, undefined, 0]);
    expect(run('-(a - b)')).toEqual([-2, 2, 0]);
  });

  it.each([
    ['SUM(METRICS())', /function SUM/],
    ['a > 1 AND b > 1', /keyword AND/],
    ['FILL(a, REPEAT)', /keyword REPEAT/],
    ['FILL(a, b)', /FILL\(series, number\)/],
    ['a ^ 2', /cannot read/],
    ['IF(a)', /2 or 3 arguments/],
    ['(a + b', /expected \)/],
  ])('refuses %s rather than guess what CloudWatch would do', (text, message) => {
    expect(() => parseExpression(text)).toThrow(message);
  });
});

describe('an alarm read from its template properties', () => {
  const dims = [{ Name: 'FunctionName', Value: 'fn' }];
  const guarded = {
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 0.2,
    TreatMissingData: 'notBreaching',
    Metrics: [
      { Id: 'expr_1', Expression: 'IF(requests >= 6, FILL(failures, 0) / requests, 0)', ReturnData: true },
      {
        Id: 'requests',
        MetricStat: {
          Metric: { Namespace: 'N', MetricName: 'Failed', Dimensions: dims },
          Period: 60,
          Stat: 'SampleCount',
        },
        ReturnData: false,
      },
      {
        Id: 'failures',
        MetricStat: { Metric: { Namespace: 'N', MetricName: 'Failed', Dimensions: dims }, Period: 60, Stat: 'Sum' },
        ReturnData: false,
      },
    ],
  };
  const metric = { namespace: 'N', metricName: 'Failed', dimensions: { FunctionName: 'fn' } };

  it('gives a guarded share only in minutes with calls: 0 below the guard, the share above, nothing without calls', () => {
    const store = new MetricStore();
    store.put(0, metric, 1, 5); // five calls, all failed: below the guard of 6
    store.put(2, metric, 1, 2); // eight calls, two failed
    store.put(2, metric, 0, 6);
    const alarm = readAlarm('Guarded', guarded, asIs);
    expect(listed(alarmSeries(alarm, store, [0, 1, 2]), 3)).toEqual([0, undefined, 0.25]);
  });

  it('fires a 2 of 2 guarded share on two failing minutes running, reaching back past a quiet minute', () => {
    const store = new MetricStore();
    const alarm = readAlarm('Guarded', guarded, asIs);
    store.put(1, metric, 1, 6);
    expect(evaluateAt(alarm, store, 1, 'OK').state).toBe('OK');
    store.put(2, metric, 1, 6);
    expect(evaluateAt(alarm, store, 2, 'OK').state).toBe('ALARM');
    // Minute 3 had no calls: the two real datapoints before it are still the most recent N.
    expect(evaluateAt(alarm, store, 3, 'ALARM')).toEqual({ state: 'ALARM', range: [undefined, true, true, undefined] });
  });

  it('reads a single-metric alarm with its statistic and resolves its dimension values', () => {
    const store = new MetricStore();
    store.put(0, { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'real-name' } }, 1);
    const alarm = readAlarm(
      'Errors',
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'Fn' } }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
      (value) => ((value as { Ref?: string }).Ref === 'Fn' ? 'real-name' : String(value)),
    );
    expect(alarm.treatMissingData).toBe('missing');
    expect(evaluateAt(alarm, store, 0, 'OK').state).toBe('ALARM');
  });

  it.each([
    [{ ExtendedStatistic: 'p99' }, /property ExtendedStatistic/],
    [{ Period: 300 }, /period of 300/],
    [{ Statistic: 'p99' }, /statistic "p99"/],
    [{ ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }, /comparison/],
    [{ ThresholdMetricId: 'band' }, /property ThresholdMetricId/],
    [{ DatapointsToAlarm: 3 }, /DatapointsToAlarm 3/],
  ])('refuses a feature it does not evaluate: %o', (change, message) => {
    const single = {
      Namespace: 'N',
      MetricName: 'M',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    };
    expect(() => readAlarm('Odd', { ...single, ...change }, asIs)).toThrow(message);
  });

  it('refuses an expression naming an id no metric has, and more than one query returning data', () => {
    const unknownId = {
      ...guarded,
      Metrics: [{ Id: 'e', Expression: 'errors / requests' }, ...guarded.Metrics.slice(1)],
    };
    expect(() => readAlarm('Odd', unknownId, asIs)).toThrow(/unknown id errors/);
    const twoResults = { ...guarded, Metrics: guarded.Metrics.map((entry) => ({ ...entry, ReturnData: true })) };
    expect(() => readAlarm('Odd', twoResults, asIs)).toThrow(/3 queries returning data/);
  });
});
