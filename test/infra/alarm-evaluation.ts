/**
 * CloudWatch's metric alarm evaluation, as AWS documents it, for the alarms this stack synthesizes: statistics of
 * per-minute datapoints, metric math (the subset the templates use), the evaluation range, M of N and the four
 * missing-data treatments. Anything else in an alarm is refused with an error naming it, so that a new kind of
 * alarm cannot pass for evaluated.
 *
 * Sources (the CloudWatch User Guide, as of its last public source, awsdocs/amazon-cloudwatch-user-guide
 * doc_source/AlarmThatSendsEmail.md and doc_source/using-metric-math.md, 2023-05-17):
 * - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
 * - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 *   ("How alarm state is evaluated when data is missing", "Avoiding premature transitions to alarm state")
 * - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 *   ("Basic arithmetic functions", "Comparison and logical operators", "Using IF expressions", FILL)
 */

/** One metric stream: CloudWatch tells metrics apart by namespace, name and the exact set of dimensions. */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
}

/** What CloudWatch keeps of the samples of one metric in one period, enough for every statistic used here. */
export interface Aggregate {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

/** Per-minute aggregates of every metric written; a metric with no sample in a minute has no datapoint there. */
export class MetricStore {
  private readonly minutes = new Map<number, Map<string, Aggregate>>();

  /** Records samples of one metric in one minute (a count of equal samples at once, for speed). */
  put(minute: number, metric: MetricId, value: number, times = 1): void {
    if (times <= 0) return;
    let metrics = this.minutes.get(minute);
    if (!metrics) {
      metrics = new Map();
      this.minutes.set(minute, metrics);
    }
    const key = metricKey(metric);
    const aggregate = metrics.get(key);
    if (!aggregate) {
      metrics.set(key, { sampleCount: times, sum: value * times, minimum: value, maximum: value });
      return;
    }
    aggregate.sampleCount += times;
    aggregate.sum += value * times;
    aggregate.minimum = Math.min(aggregate.minimum, value);
    aggregate.maximum = Math.max(aggregate.maximum, value);
  }

  get(minute: number, metric: MetricId): Aggregate | undefined {
    return this.minutes.get(minute)?.get(metricKey(metric));
  }
}

export function metricKey({ namespace, metricName, dimensions }: MetricId): string {
  const sorted = Object.keys(dimensions)
    .sort()
    .map((name) => `${name}=${dimensions[name]}`);
  return `${namespace}|${metricName}|${sorted.join(',')}`;
}

const STATISTICS = {
  Sum: (a: Aggregate) => a.sum,
  SampleCount: (a: Aggregate) => a.sampleCount,
  Average: (a: Aggregate) => a.sum / a.sampleCount,
  Maximum: (a: Aggregate) => a.maximum,
  Minimum: (a: Aggregate) => a.minimum,
} as const;
type Statistic = keyof typeof STATISTICS;

const COMPARISONS = {
  GreaterThanOrEqualToThreshold: (value: number, threshold: number) => value >= threshold,
  GreaterThanThreshold: (value: number, threshold: number) => value > threshold,
  LessThanThreshold: (value: number, threshold: number) => value < threshold,
  LessThanOrEqualToThreshold: (value: number, threshold: number) => value <= threshold,
} as const;
type Comparison = keyof typeof COMPARISONS;

export const TREATMENTS = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;
export type TreatMissingData = (typeof TREATMENTS)[number];
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

interface MetricStat {
  metric: MetricId;
  statistic: Statistic;
}

/** An alarm as CloudWatch evaluates it: one time series (a metric, or the expression's result) against a threshold. */
export interface AlarmDefinition {
  /** A name for messages: the logical id in the template. */
  name: string;
  /** The metrics by id (a single-metric alarm has one, `m`) and the expression whose result is compared, if any. */
  metrics: Readonly<Record<string, MetricStat>>;
  expression?: Expression;
  threshold: number;
  comparison: Comparison;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: TreatMissingData;
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
type Json = Record<string, any>;

/** Turns a dimension value of the template (a string or an intrinsic) into the value the deployed resource has. */
export type ResolveValue = (value: unknown) => string;

const KNOWN_ALARM_PROPERTIES = new Set([
  'AlarmName',
  'AlarmDescription',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'ActionsEnabled',
  'ComparisonOperator',
  'DatapointsToAlarm',
  'Dimensions',
  'EvaluationPeriods',
  'MetricName',
  'Metrics',
  'Namespace',
  'Period',
  'Statistic',
  'Threshold',
  'TreatMissingData',
]);

function refuse(alarm: string, what: string): never {
  throw new Error(`alarm ${alarm}: ${what} is not something this evaluator knows`);
}

function statisticOf(alarm: string, stat: unknown): Statistic {
  if (typeof stat === 'string' && Object.hasOwn(STATISTICS, stat)) return stat as Statistic;
  return refuse(alarm, `the statistic ${JSON.stringify(stat)}`);
}

// The simulator writes one aggregate a minute; a longer period would need datapoints of several minutes at once.
function checkPeriod(alarm: string, period: unknown): void {
  if (period !== 60) refuse(alarm, `a period of ${JSON.stringify(period)} s (only 60 is simulated)`);
}

function metricIdOf(alarm: string, source: Json, resolve: ResolveValue): MetricId {
  const { Namespace, MetricName, Dimensions = [] } = source;
  if (typeof Namespace !== 'string' || typeof MetricName !== 'string') refuse(alarm, 'a metric without a name');
  const dimensions: Record<string, string> = {};
  for (const { Name, Value } of Dimensions as Json[]) dimensions[Name] = resolve(Value);
  return { namespace: Namespace, metricName: MetricName, dimensions };
}

/** Reads an `AWS::CloudWatch::Alarm`'s properties; refuses every feature it does not evaluate. */
export function readAlarm(name: string, properties: Json, resolve: ResolveValue): AlarmDefinition {
  for (const key of Object.keys(properties)) if (!KNOWN_ALARM_PROPERTIES.has(key)) refuse(name, `the property ${key}`);
  const comparison = properties.ComparisonOperator;
  if (!Object.hasOwn(COMPARISONS, comparison)) refuse(name, `the comparison ${comparison}`);
  const evaluationPeriods = properties.EvaluationPeriods;
  const datapointsToAlarm = properties.DatapointsToAlarm ?? evaluationPeriods;
  const treatMissingData = properties.TreatMissingData ?? 'missing';
  if (!TREATMENTS.includes(treatMissingData)) refuse(name, `TreatMissingData ${treatMissingData}`);
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) refuse(name, 'EvaluationPeriods');
  if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
    refuse(name, `DatapointsToAlarm ${datapointsToAlarm}`);
  }
  if (typeof properties.Threshold !== 'number') refuse(name, 'a threshold that is not a number');
  const common = {
    name,
    threshold: properties.Threshold,
    comparison,
    evaluationPeriods,
    datapointsToAlarm,
    treatMissingData,
  };

  if (!properties.Metrics) {
    checkPeriod(name, properties.Period);
    return {
      ...common,
      metrics: {
        m: { metric: metricIdOf(name, properties, resolve), statistic: statisticOf(name, properties.Statistic) },
      },
    };
  }
  if (properties.MetricName || properties.Statistic) refuse(name, 'both a metric and a Metrics list');
  const metrics: Record<string, MetricStat> = {};
  const returned: Json[] = [];
  for (const entry of properties.Metrics as Json[]) {
    for (const key of Object.keys(entry)) {
      if (!['Id', 'Label', 'ReturnData', 'Expression', 'MetricStat', 'Period'].includes(key)) {
        refuse(name, `the metric query property ${key}`);
      }
    }
    if (entry.ReturnData !== false) returned.push(entry);
    if (entry.MetricStat) {
      const { Metric, Period, Stat, ...rest } = entry.MetricStat;
      if (Object.keys(rest).length > 0) refuse(name, `MetricStat ${Object.keys(rest).join(', ')}`);
      checkPeriod(name, Period);
      metrics[entry.Id] = { metric: metricIdOf(name, Metric, resolve), statistic: statisticOf(name, Stat) };
    } else if (typeof entry.Expression !== 'string') {
      refuse(name, `the metric query ${entry.Id} with neither a metric nor an expression`);
    }
  }
  const [result, ...more] = returned;
  if (!result || more.length > 0) refuse(name, `${returned.length} queries returning data (an alarm takes one)`);
  if (result.MetricStat) return { ...common, metrics: { [result.Id]: metrics[result.Id] as MetricStat } };
  const expression = parseExpression(result.Expression);
  for (const id of idsIn(expression)) if (!metrics[id]) refuse(name, `the expression's unknown id ${id}`);
  return { ...common, metrics, expression };
}

// ---------------------------------------------------------------------------------------------------------------
// Metric math: numbers, metric ids, + - * /, unary minus, comparisons, IF and FILL with a number.

export type Expression =
  | { kind: 'number'; value: number }
  | { kind: 'id'; id: string }
  | { kind: 'negate'; operand: Expression }
  | { kind: 'binary'; operator: BinaryOperator; left: Expression; right: Expression }
  | { kind: 'call'; name: 'IF' | 'FILL'; args: Expression[] };

const ARITHMETIC = ['+', '-', '*', '/'] as const;
const COMPARISON_OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
type BinaryOperator = (typeof ARITHMETIC)[number] | (typeof COMPARISON_OPERATORS)[number];

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/()<>,]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new Error(`metric math: cannot read ${JSON.stringify(text.slice(start))} in ${text}`);
    tokens.push(match[1] ?? match[2] ?? (match[3] as string));
  }
  return tokens;
}

/** Parses the metric math the templates use; every other function, operator or keyword is refused. */
export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`metric math: expected ${expected ?? 'more'} at token ${position} of ${text}`);
    }
    return token;
  };
  // One precedence level: operands from the next tighter level, joined left to right by these operators.
  const level = (operators: readonly string[], operand: () => Expression) => (): Expression => {
    let left = operand();
    while (operators.includes(peek() ?? '')) {
      const operator = take() as BinaryOperator;
      left = { kind: 'binary', operator, left, right: operand() };
    }
    return left;
  };
  // Comparisons bind loosest, then + -, then * /, then unary minus, as in the documented examples.
  const multiplicative = level(['*', '/'], () => unary());
  const additive = level(['+', '-'], multiplicative);
  const comparison = level(COMPARISON_OPERATORS, additive);
  const unary = (): Expression => {
    if (peek() === '-') {
      take();
      return { kind: 'negate', operand: unary() };
    }
    return primary();
  };
  const primary = (): Expression => {
    const token = take();
    if (token === '(') {
      const inner = comparison();
      take(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (!/^[A-Za-z_]/.test(token)) throw new Error(`metric math: unexpected ${token} in ${text}`);
    if (peek() !== '(') {
      if (/^[A-Z]+$/.test(token)) throw new Error(`metric math: the keyword ${token} is not supported (${text})`);
      if (!/^[a-z]/.test(token)) throw new Error(`metric math: ${token} is not a valid metric id (${text})`);
      return { kind: 'id', id: token };
    }
    if (token !== 'IF' && token !== 'FILL') throw new Error(`metric math: the function ${token} is not supported`);
    take('(');
    const args = [comparison()];
    while (peek() === ',') {
      take();
      args.push(comparison());
    }
    take(')');
    if (token === 'IF' && (args.length < 2 || args.length > 3))
      throw new Error(`metric math: IF takes 2 or 3 arguments`);
    // FILL also takes REPEAT, LINEAR or a time series; none is used, so none is evaluated.
    if (token === 'FILL' && (args.length !== 2 || args[1]?.kind !== 'number')) {
      throw new Error(`metric math: only FILL(series, number) is supported (${text})`);
    }
    return { kind: 'call', name: token, args };
  };
  const expression = comparison();
  const rest = tokens[position];
  if (rest !== undefined && /^[A-Z]+$/.test(rest))
    throw new Error(`metric math: the keyword ${rest} is not supported (${text})`);
  if (rest !== undefined) throw new Error(`metric math: unexpected ${rest} in ${text}`);
  return expression;
}

function idsIn(expression: Expression): string[] {
  switch (expression.kind) {
    case 'number':
      return [];
    case 'id':
      return [expression.id];
    case 'negate':
      return idsIn(expression.operand);
    case 'binary':
      return [...idsIn(expression.left), ...idsIn(expression.right)];
    case 'call':
      return expression.args.flatMap(idsIn);
  }
}

/** A time series over the queried minutes: a minute without a value has no datapoint. */
export type Series = Map<number, number>;
type Value = number | Series;

const isSeries = (value: Value): value is Series => value instanceof Map;

function apply(operator: BinaryOperator, left: number, right: number): number | undefined {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    // "If the value of a data point causes a function to attempt to divide by zero, the data point is dropped."
    case '/':
      return right === 0 ? undefined : left / right;
    case '>=':
      return Number(left >= right);
    case '<=':
      return Number(left <= right);
    case '>':
      return Number(left > right);
    case '<':
      return Number(left < right);
    case '==':
      return Number(left === right);
    case '!=':
      return Number(left !== right);
  }
}

function binary(operator: BinaryOperator, left: Value, right: Value): Value {
  if (!isSeries(left) && !isSeries(right)) {
    const value = apply(operator, left, right);
    if (value === undefined) throw new Error('metric math: a scalar division by zero');
    return value;
  }
  const out: Series = new Map();
  if (isSeries(left) && isSeries(right)) {
    // Between two series, a value only one of them has meets a 0 in the other ("Missing values in a time series
    // are treated as 0"; for comparisons "the function treats the missing value in the other time series as 0").
    for (const minute of new Set([...left.keys(), ...right.keys()])) {
      const value = apply(operator, left.get(minute) ?? 0, right.get(minute) ?? 0);
      if (value !== undefined) out.set(minute, value);
    }
    return out;
  }
  const series = (isSeries(left) ? left : right) as Series;
  for (const [minute, point] of series) {
    const value = isSeries(left) ? apply(operator, point, right as number) : apply(operator, left, point);
    if (value !== undefined) out.set(minute, value);
  }
  return out;
}

/** IF as "Using IF expressions" describes it, datapoint by datapoint of the condition. */
function ifThenElse(condition: Value, whenTrue: Value, whenFalse: Value | undefined): Value {
  if (!isSeries(condition)) {
    if (condition !== 0) return whenTrue;
    return whenFalse ?? new Map();
  }
  const out: Series = new Map();
  for (const [minute, test] of condition) {
    if (test !== 0) {
      // True with no datapoint in a series argument: 0.
      out.set(minute, isSeries(whenTrue) ? (whenTrue.get(minute) ?? 0) : whenTrue);
    } else if (whenFalse !== undefined) {
      // False with no datapoint in a series argument (or none given): the datapoint is dropped.
      const value = isSeries(whenFalse) ? whenFalse.get(minute) : whenFalse;
      if (value !== undefined) out.set(minute, value);
    }
  }
  return out;
}

/** Evaluates an expression over `minutes` (the query's range, which FILL fills), given each id's series. */
export function evaluateExpression(expression: Expression, series: Record<string, Series>, minutes: number[]): Value {
  const evaluate = (node: Expression): Value => {
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'id': {
        const found = series[node.id];
        if (!found) throw new Error(`metric math: no metric with id ${node.id}`);
        return found;
      }
      case 'negate':
        return binary('-', 0, evaluate(node.operand));
      case 'binary':
        return binary(node.operator, evaluate(node.left), evaluate(node.right));
      case 'call': {
        const [first, second, third] = node.args.map(evaluate) as [Value, Value, Value | undefined];
        if (node.name === 'IF') return ifThenElse(first, second, third);
        if (!isSeries(first)) throw new Error('metric math: FILL of a scalar');
        return new Map(minutes.map((minute) => [minute, first.get(minute) ?? (second as number)]));
      }
    }
  };
  return evaluate(expression);
}

/** The alarm's time series over `minutes`: its metric's statistic, or its expression's result. */
export function alarmSeries(alarm: AlarmDefinition, store: MetricStore, minutes: number[]): Series {
  const series: Record<string, Series> = {};
  for (const [id, { metric, statistic }] of Object.entries(alarm.metrics)) {
    const points: Series = new Map();
    for (const minute of minutes) {
      const aggregate = store.get(minute, metric);
      if (aggregate) points.set(minute, STATISTICS[statistic](aggregate));
    }
    series[id] = points;
  }
  if (!alarm.expression) return series[Object.keys(alarm.metrics)[0] as string] as Series;
  const result = evaluateExpression(alarm.expression, series, minutes);
  if (!isSeries(result)) throw new Error(`alarm ${alarm.name}: the expression's result must be a time series`);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The state of one evaluation.

/**
 * How many periods an evaluation retrieves. AWS says only that it is more than the evaluation periods, depending
 * on the period, and shows 5 for 3 evaluation periods of 5 minutes; this takes two more than the evaluation
 * periods, which gives that example.
 */
export const evaluationRange = (evaluationPeriods: number): number => evaluationPeriods + 2;

/** Breaching (true), not breaching (false) or missing (undefined), oldest first. */
export type Classified = ReadonlyArray<boolean | undefined>;

/**
 * The state an evaluation sets, from the classified datapoints of its evaluation range (oldest first, the most
 * recent last), following "How alarm state is evaluated when data is missing":
 * - with at least N (evaluation periods) real datapoints in the range, the most recent N real ones are judged,
 *   reaching back past missing ones, and the missing-data setting is not used;
 * - with fewer, the missing ones are filled with the setting, as few as needed to make N, every real one kept;
 *   `missing` and `ignore` fill nothing that counts;
 * - then ALARM when at least M (datapoints to alarm) are breaching, else OK; except that with `missing` or
 *   `ignore`, a range with no real datapoint is INSUFFICIENT_DATA or the current state, and fewer than M
 *   breaching real datapoints with no non-breaching one are judged by "Avoiding premature transitions to alarm
 *   state": ALARM when the oldest breaching one is at least M periods old (`ignore` keeps the current state),
 *   else INSUFFICIENT_DATA (`ignore`: the current state).
 */
export function stateOf(
  range: Classified,
  rule: Pick<AlarmDefinition, 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'>,
  current: AlarmState,
): AlarmState {
  const { evaluationPeriods: n, datapointsToAlarm: m, treatMissingData } = rule;
  const real = range.filter((point): point is boolean => point !== undefined);
  const judge = (breaching: number): AlarmState => (breaching >= m ? 'ALARM' : 'OK');
  const count = (points: readonly boolean[]) => points.filter(Boolean).length;
  if (real.length >= n) return judge(count(real.slice(-n)));

  switch (treatMissingData) {
    case 'breaching':
      return judge(count(real) + (n - real.length));
    case 'notBreaching':
      return judge(count(real));
    case 'missing':
    case 'ignore': {
      const keep: AlarmState = treatMissingData === 'missing' ? 'INSUFFICIENT_DATA' : current;
      if (real.length === 0) return keep;
      if (count(real) >= m) return 'ALARM';
      if (real.some((point) => !point)) return 'OK';
      const oldestBreachingAge = range.length - range.indexOf(true);
      if (oldestBreachingAge >= m) return treatMissingData === 'missing' ? 'ALARM' : current;
      return keep;
    }
  }
}

/** Whether one datapoint breaches the alarm's threshold. */
export const breaches = (alarm: Pick<AlarmDefinition, 'comparison' | 'threshold'>, value: number): boolean =>
  COMPARISONS[alarm.comparison](value, alarm.threshold);

/**
 * The alarm's state after an evaluation whose most recent datapoint is `minute`'s, given its state before.
 * The range reaches back `evaluationRange(N)` minutes; the store must hold whatever was written before.
 */
export function evaluateAt(
  alarm: AlarmDefinition,
  store: MetricStore,
  minute: number,
  current: AlarmState,
): { state: AlarmState; range: Classified } {
  const size = evaluationRange(alarm.evaluationPeriods);
  const minutes = Array.from({ length: size }, (_, index) => minute - size + 1 + index);
  const series = alarmSeries(alarm, store, minutes);
  const range = minutes.map((at) => {
    const value = series.get(at);
    return value === undefined ? undefined : breaches(alarm, value);
  });
  return { state: stateOf(range, alarm, current), range };
}
