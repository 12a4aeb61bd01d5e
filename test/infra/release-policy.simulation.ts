import type { InvocationResponse } from '@aws-sdk/client-lambda';
import { judgeProbe, judgeRefusal, type Verdict } from '../../infra/functions/pre-traffic-check.ts';
import { type AlarmState, evaluateAt, type MetricId, MetricStore } from './alarm-evaluation.ts';
import type { DeployedNames, ReleasePlan } from './release-policy.plan.ts';

// How the pieces behave, as AWS documents them:
// - a weighted alias sends each call to one version or the other at random ("a simple probabilistic model"),
//   and its metrics carry the version that ran as `ExecutedVersion` ("Determining which version has been
//   invoked"), https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html;
// - Lambda counts a call of an alias under `Resource` = function:alias, and `Errors` counts invocations that
//   ended in a function error, https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html;
// - API Gateway answers a proxy integration's function error with 502,
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html;
// - CodeDeploy stops a deployment when any of its group's alarms is in ALARM and rolls back when configured to,
//   https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html.

/**
 * A datapoint of minute m is seen by an alarm evaluation one minute after that minute ends: Lambda's and API
 * Gateway's metrics, and EMF lines through CloudWatch Logs, take about a minute to arrive (an assumption: AWS
 * gives no bound). So the new version's last minute before the final shift is never seen before that shift.
 */
export const DATAPOINT_DELAY_MINUTES = 1;
/** Minutes of the old version alone before the release, so that the stage's alarm ranges start full. */
const WARM_UP_MINUTES = 4;

export interface Sample {
  metric: MetricId;
  value: number;
}

/** One way a version answers a call, with what that invocation writes to CloudWatch. */
export interface Answer {
  /** What API Gateway answers: the function's status, or 502 when the invocation failed. */
  status: number;
  /** The invocation ended in a function error (a crash or a timeout): Lambda counts it in `Errors`. */
  crashed: boolean;
  /** The metrics of the invocation's EMF line, under the version's own `FunctionVersion` (none after a crash). */
  samples: readonly Sample[];
  /** The invocation's result as the pre-traffic check reads it; only its own two calls need one. */
  response?: Pick<InvocationResponse, 'FunctionError' | 'Payload'>;
}

/** How one version answers each kind of call the release sees. */
export interface VersionBehaviour {
  /** The pre-traffic check's invalid id and its probe ids, invoked directly. */
  refusal: Answer;
  probe: Answer;
  /** The heartbeat's probe ids, through the stage and the live alias. */
  heartbeat: Answer;
  /** A payment flow's call for a saved card. */
  card: Answer;
  /** Calls for the share of saved cards' ids this version crashes on. */
  crash?: { share: number; answer: Answer };
  /** One call answered so instead (a Cashfree hiccup), the first the version gets in the run's `blipMinute`. */
  blip?: Answer;
}

export interface RunOptions {
  /** Payment flows' calls, per second, spread evenly over each minute. */
  requestsPerSecond: number;
  oldVersion: VersionBehaviour;
  newVersion: VersionBehaviour;
  seed: number;
  /** The minute of the shift whose first call to the new version is the blip. */
  blipMinute?: number;
  /** Runs the alarms as if the pre-traffic check had passed: what they would stop on their own. */
  bypassCheck?: boolean;
}

export type Outcome =
  | { kind: 'stopped by the check'; minute: 0 }
  | { kind: 'rolled back'; minute: number; alarms: string[] }
  | { kind: 'at 100%'; minute: number };

export interface RunResult {
  outcome: Outcome;
  verdict: Verdict;
  /** Crashing calls of the new version in minutes whose datapoints the alarms see before the final shift. */
  crashesSeen: number;
  /** The most calls the new version got in one minute whose datapoints the alarms see before the final shift. */
  mostCallsSeen: number;
  blipped: boolean;
}

/** A small seeded generator (mulberry32): the same seed gives the same run, on every machine. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one group of equal invocations writes: API Gateway's stage metrics, Lambda's and the EMF line's. */
function record(
  store: MetricStore,
  minute: number,
  names: DeployedNames,
  version: string,
  answer: Answer,
  times: number,
  throughStage: boolean,
): void {
  if (times === 0) return;
  if (throughStage) {
    const stageDimensions: Record<string, string>[] = [
      { ApiName: names.apiName, Stage: names.stage },
      { ApiName: names.apiName },
    ];
    for (const dimensions of stageDimensions) {
      const api = (metricName: string): MetricId => ({ namespace: 'AWS/ApiGateway', metricName, dimensions });
      store.put(minute, api('Count'), 1, times);
      store.put(minute, api('5XXError'), answer.status >= 500 ? 1 : 0, times);
      store.put(minute, api('4XXError'), answer.status >= 400 && answer.status < 500 ? 1 : 0, times);
    }
  }
  // Through the alias Lambda also counts by the version that ran; a direct invoke names the version itself.
  const resource = throughStage ? `${names.functionName}:${names.liveAlias}` : `${names.functionName}:${version}`;
  const lambdaDimensions: Record<string, string>[] = [
    { FunctionName: names.functionName },
    { FunctionName: names.functionName, Resource: resource },
    ...(throughStage ? [{ FunctionName: names.functionName, Resource: resource, ExecutedVersion: version }] : []),
  ];
  for (const dimensions of lambdaDimensions) {
    store.put(minute, { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions }, 1, times);
    store.put(minute, { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions }, answer.crashed ? 1 : 0, times);
  }
  for (const { metric, value } of answer.samples) store.put(minute, metric, value, times);
}

/** The pre-traffic check's judgement of the new version, on the answers it gives to the check's two calls. */
export function checkVerdict(plan: ReleasePlan, version: VersionBehaviour): Verdict {
  if (!plan.probe) return { ok: true, reason: 'no pre-traffic check' };
  const refused = judgeRefusal(required(version.refusal.response));
  return refused.ok ? judgeProbe(required(version.probe.response), plan.probe.expected) : refused;
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the check reads an answer the scenario did not give');
  return value;
}

/**
 * One release of the new version under scripted traffic: the pre-traffic check at minute 0, then CodeDeploy's
 * shifts, every release alarm evaluated at the end of each minute of the shift (on datapoints up to
 * `DATAPOINT_DELAY_MINUTES` before), a rollback at the first evaluation with any of them in ALARM, and 100%
 * at the end of the final shift's minute otherwise.
 */
export function simulateRelease(plan: ReleasePlan, options: RunOptions): RunResult {
  const { names, shift, alarms } = plan;
  const random = seeded(options.seed);
  const store = new MetricStore();
  const verdict = checkVerdict(plan, options.newVersion);
  const perMinute = options.requestsPerSecond * 60;
  const lastSeenMinute = shift.finalShiftMinute - DATAPOINT_DELAY_MINUTES;
  let crashesSeen = 0;
  let mostCallsSeen = 0;
  let blipped = false;
  // The alarms outlive releases (CloudFormation updates their dimensions): OK is where a healthy one left them.
  const states: AlarmState[] = alarms.map(() => 'OK');

  // Spread evenly: the calls of minute m are those whose (fractional) count crosses an integer in it.
  const callsIn = (minute: number, rate: number) =>
    Math.floor((minute + WARM_UP_MINUTES + 1) * rate) - Math.floor((minute + WARM_UP_MINUTES) * rate);

  if (plan.probe) {
    record(store, 0, names, names.newVersion, options.newVersion.refusal, 1, false);
    if (judgeRefusal(required(options.newVersion.refusal.response)).ok) {
      record(store, 0, names, names.newVersion, options.newVersion.probe, 1, false);
    }
  }
  if (!verdict.ok && options.bypassCheck !== true) {
    return { outcome: { kind: 'stopped by the check', minute: 0 }, verdict, crashesSeen, mostCallsSeen, blipped };
  }

  for (let minute = -WARM_UP_MINUTES; minute <= shift.finalShiftMinute; minute++) {
    const share = minute >= 1 ? shift.shareAt(minute) : 0;
    const tally = new Map<Answer, { version: string; times: number }>();
    const count = (version: string, answer: Answer) => {
      const entry = tally.get(answer) ?? { version, times: 0 };
      entry.times++;
      tally.set(answer, entry);
    };
    let newCalls = 0;
    let crashes = 0;
    const route = (answerOf: (behaviour: VersionBehaviour) => Answer, crashable: boolean) => {
      if (share === 0 || random() >= share) {
        count(names.oldVersion, answerOf(options.oldVersion));
        return;
      }
      newCalls++;
      const { newVersion } = options;
      if (newVersion.blip && !blipped && minute === options.blipMinute) {
        blipped = true;
        count(names.newVersion, newVersion.blip);
      } else if (crashable && newVersion.crash && random() < newVersion.crash.share) {
        crashes++;
        count(names.newVersion, newVersion.crash.answer);
      } else {
        count(names.newVersion, answerOf(newVersion));
      }
    };
    for (let call = callsIn(minute, perMinute); call > 0; call--) route((behaviour) => behaviour.card, true);
    // The heartbeat asks for the probe ids, which no version crashes on (the check has just proven that).
    for (let beat = callsIn(minute, plan.heartbeatCallsPerMinute); beat > 0; beat--) {
      route((behaviour) => behaviour.heartbeat, false);
    }
    for (const [answer, { version, times }] of tally) record(store, minute, names, version, answer, times, true);
    if (minute >= 1 && minute <= lastSeenMinute) {
      crashesSeen += crashes;
      mostCallsSeen = Math.max(mostCallsSeen, newCalls);
    }

    if (minute < 1) continue;
    const firing: string[] = [];
    alarms.forEach(({ name, definition }, index) => {
      const state = evaluateAt(definition, store, minute - DATAPOINT_DELAY_MINUTES, states[index] as AlarmState).state;
      states[index] = state;
      if (state === 'ALARM') firing.push(name);
    });
    if (firing.length > 0) {
      return { outcome: { kind: 'rolled back', minute, alarms: firing }, verdict, crashesSeen, mostCallsSeen, blipped };
    }
  }
  return { outcome: { kind: 'at 100%', minute: shift.finalShiftMinute }, verdict, crashesSeen, mostCallsSeen, blipped };
}
