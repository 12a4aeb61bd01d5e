import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { probeIdsEvent, refusalEvent } from '../../infra/functions/pre-traffic-check.ts';
import { newCredentials } from '../../local/embedded.ts';
import { listen } from '../../local/http.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import { demo, type setUp } from '../support/handler-harness.ts';
import type { MetricId } from './alarm-evaluation.ts';
import type { DeployedNames, ReleasePlan } from './release-policy.plan.ts';
import type { Answer, Sample, VersionBehaviour } from './release-policy.simulation.ts';

type Harness = Awaited<ReturnType<typeof setUp>>;
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The versions a release can bring, each the real handler in a configuration that breaks it one way. */
export const VERSION_KINDS = ['healthy', 'cashfree fails', 'key pair refused', 'crashes on some ids'] as const;
export type VersionKind = (typeof VERSION_KINDS)[number];

/** The share of saved cards' ids the crashing version fails on: a bug in one card type's path. */
export const CRASHING_SHARE = 0.1;

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * The metrics an embedded-metric-format line carries, read as CloudWatch reads them: each directive's metrics
 * under each of its dimension sets, values and dimension values from the line's own members.
 */
export function emfSamples(line: string): Sample[] {
  const document = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  const samples: Sample[] = [];
  for (const { Namespace: namespace, Dimensions, Metrics } of document._aws.CloudWatchMetrics) {
    for (const set of Dimensions) {
      const dimensions = Object.fromEntries(set.map((name) => [name, String(document[name])]));
      for (const { Name: metricName } of Metrics) {
        const value = document[metricName];
        const values = Array.isArray(value) ? value : [value];
        if (!values.every((item) => typeof item === 'number')) throw new Error(`EMF metric ${metricName} has no value`);
        const metric: MetricId = { namespace, metricName, dimensions };
        for (const item of values as number[]) samples.push({ metric, value: item });
      }
    }
  }
  return samples;
}

/** Invokes the real handler once as `version` of the deployed function and keeps what it answered and wrote. */
async function answerOf(
  harness: Harness,
  handler: Handler,
  event: APIGatewayProxyEvent | Record<string, unknown>,
  names: DeployedNames,
  version: string,
): Promise<Answer> {
  const before = harness.output.text().length;
  const context: Context = { ...lambdaContext(10_000, names.functionName), functionVersion: version };
  let result: APIGatewayProxyResult;
  try {
    result = await handler(event as APIGatewayProxyEvent, context);
  } catch {
    return crashAnswer();
  }
  const written = harness.output.text().slice(before).split('\n');
  return {
    status: result.statusCode,
    crashed: false,
    samples: written.filter((line) => line.includes('"_aws"')).flatMap(emfSamples),
    response: { Payload: encode(result) },
  };
}

/** The same answers as written by another version: its EMF lines carry that version's `FunctionVersion`. */
export function asVersion(behaviour: VersionBehaviour, version: string): VersionBehaviour {
  const relabel = (answer: Answer): Answer => ({
    ...answer,
    samples: answer.samples.map(({ metric, value }) => ({
      value,
      metric: metric.dimensions.FunctionVersion
        ? { ...metric, dimensions: { ...metric.dimensions, FunctionVersion: version } }
        : metric,
    })),
  });
  return {
    refusal: relabel(behaviour.refusal),
    probe: relabel(behaviour.probe),
    heartbeat: relabel(behaviour.heartbeat),
    card: relabel(behaviour.card),
  };
}

/** An invocation that ended in a function error: no answer of the function's, no EMF line, API Gateway's 502. */
export const crashAnswer = (): Answer => ({
  status: 502,
  crashed: true,
  samples: [],
  response: { FunctionError: 'Unhandled', Payload: encode({ errorType: 'Error', errorMessage: 'crashed' }) },
});

/**
 * Each kind of version as the real handler answers the release's calls, behind the Cashfree simulator and the
 * Secrets Manager stand-in: a saved card, the heartbeat's probe ids through the stage, the pre-traffic check's
 * two events; and the healthy version's answer to a Cashfree hiccup (the simulator's `sim_500`: every attempt
 * of the call a 500).
 */
export async function versionBehaviours(
  harness: Harness,
  plan: ReleasePlan,
): Promise<{ old: VersionBehaviour; blip: Answer } & Record<VersionKind, VersionBehaviour>> {
  const { names, probe } = plan;
  if (!probe) throw new Error(`${plan.environment} has no pre-traffic check to run`);
  const deploymentId = `d-${plan.environment.toUpperCase()}`;
  const probePath = {
    customerId: encodeURIComponent(probe.customerId),
    instrumentId: encodeURIComponent(probe.instrumentId),
  };
  const behaviour = async (handler: Handler, version: string): Promise<VersionBehaviour> => ({
    refusal: await answerOf(harness, handler, refusalEvent(deploymentId), names, version),
    probe: await answerOf(harness, handler, probeIdsEvent(deploymentId, probe), names, version),
    heartbeat: await answerOf(harness, handler, apiGatewayEvent(probePath), names, version),
    card: await answerOf(harness, handler, apiGatewayEvent(demo), names, version),
  });

  const old = await behaviour(await harness.loadHandler(), names.oldVersion);
  const healthyHandler = await harness.loadHandler();
  const healthy = await behaviour(healthyHandler, names.newVersion);
  const hiccup = apiGatewayEvent({ ...demo, customerId: 'sim_500' });
  const blip = await answerOf(harness, healthyHandler, hiccup, names, names.newVersion);

  // A port that was free a moment ago: every Cashfree call fails to connect, as with a wrong URL or broken egress.
  const dead = await listen(() => undefined);
  await dead.close();
  const cashfreeFails = await behaviour(
    await harness.loadHandler({ CASHFREE_BASE_URL: `http://127.0.0.1:${dead.port}/pg` }),
    names.newVersion,
  );

  // Rotated in Cashfree's dashboard but not in the secret: Cashfree refuses the version's key pair.
  const { cashfree } = harness.upstreams;
  cashfree.rotateCredentials(newCredentials());
  let keyPairRefused: VersionBehaviour;
  try {
    keyPairRefused = await behaviour(await harness.loadHandler(), names.newVersion);
  } finally {
    cashfree.rotateCredentials(harness.upstreams.credentials);
  }

  return {
    old,
    blip,
    healthy,
    'cashfree fails': cashfreeFails,
    'key pair refused': keyPairRefused,
    'crashes on some ids': { ...healthy, crash: { share: CRASHING_SHARE, answer: crashAnswer() } },
  };
}
