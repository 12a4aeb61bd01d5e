import { randomUUID } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { type CryptogramClient, CryptogramServiceError, createCryptogramClient } from '../../client/src/index.ts';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../../lambda/telemetry.ts';
import { HEARTBEAT_ENV, HEARTBEAT_METRIC, PROBE_ANSWERS, type Probe, readProbe, SAFE_CODE } from './probe.ts';

/** The whole call, retries included; below the function's 15 s timeout, above the service's 5 s budget. */
export const HEARTBEAT_TIMEOUT_MS = 8_000;

/** Codes the heartbeat itself writes when it has no answer of the service's to report. */
export const HEARTBEAT_CODES = {
  /** The probe ids got a 200: they name a real card. The body is dropped unread. */
  realCard: 'probe_ids_name_a_card',
  /** The heartbeat's own settings are missing or wrong (infra/heartbeat.ts sets them). */
  misconfigured: 'heartbeat_misconfigured',
  /** Something in the heartbeat itself threw: a bug, not an answer. */
  failed: 'heartbeat_failed',
} as const;

interface HeartbeatBeat {
  success: boolean;
  status: number | undefined;
  code: string;
  attempts: number | undefined;
  latencyMs: number;
  /** The id the answer carried (the function's x-request-id, or API Gateway's for its own refusals). */
  requestId: string | undefined;
}

const SAFE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * One line per beat that is also the embedded-metric-format document for CloudWatch: success (0/1) and latency
 * under the probed function's name, and the answer's status, code, attempts and request id. Nothing else, and
 * nothing from a body.
 */
export function heartbeatLine(beat: HeartbeatBeat, functionName: string, timestampMs: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[METRIC_DIMENSION]],
          Metrics: [
            { Name: HEARTBEAT_METRIC.success, Unit: 'Count' },
            { Name: HEARTBEAT_METRIC.latency, Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    [METRIC_DIMENSION]: functionName,
    [HEARTBEAT_METRIC.success]: beat.success ? 1 : 0,
    [HEARTBEAT_METRIC.latency]: beat.latencyMs,
    status: beat.status,
    code: beat.code,
    attempts: beat.attempts,
    requestId: beat.requestId,
  });
}

interface HeartbeatDeps {
  client: CryptogramClient | undefined;
  probe: Probe | undefined;
  functionName: string;
  write?: (line: string) => void;
  now?: () => number;
}

/**
 * Asks the deployed API for the probe ids through the project's client, as a payment flow would (SigV4, the
 * resource policy, WAF, the live alias, Secrets Manager, Cashfree), and writes one line. A beat succeeds only
 * on the configured "authenticated and routed" answer within the client's timeout.
 */
export function createHeartbeat({
  client,
  probe,
  functionName,
  write = (line) => process.stdout.write(`${line}\n`),
  now = Date.now,
}: HeartbeatDeps) {
  return async function heartbeat(): Promise<HeartbeatBeat> {
    const startedAtMs = now();
    const requestId = `heartbeat-${randomUUID()}`;
    let beat: Omit<HeartbeatBeat, 'latencyMs'>;
    if (!client || !probe) {
      beat = {
        success: false,
        status: undefined,
        code: HEARTBEAT_CODES.misconfigured,
        attempts: 0,
        requestId: undefined,
      };
    } else {
      try {
        await client.getCryptogram({ customerId: probe.customerId, instrumentId: probe.instrumentId, requestId });
        beat = { success: false, status: 200, code: HEARTBEAT_CODES.realCard, attempts: undefined, requestId };
      } catch (error) {
        if (error instanceof CryptogramServiceError) {
          beat = {
            success: error.status === probe.expected && error.code === PROBE_ANSWERS[probe.expected],
            status: error.status,
            code: SAFE_CODE.test(error.code) ? error.code : HEARTBEAT_CODES.failed,
            attempts: error.attempts,
            requestId: SAFE_ID.test(error.requestId) ? error.requestId : undefined,
          };
        } else {
          beat = { success: false, status: undefined, code: HEARTBEAT_CODES.failed, attempts: undefined, requestId };
        }
      }
    }
    const finishedAtMs = now();
    const result = { ...beat, latencyMs: finishedAtMs - startedAtMs };
    write(heartbeatLine(result, functionName, finishedAtMs));
    return result;
  };
}

/** The heartbeat the stack configured in the environment; an unusable setting makes every beat a failure. */
export function heartbeatFromEnv(env: Record<string, string | undefined>, write?: (line: string) => void) {
  const functionName = env[HEARTBEAT_ENV.functionName] ?? 'unknown';
  let client: CryptogramClient | undefined;
  try {
    client = createCryptogramClient({
      baseUrl: env[HEARTBEAT_ENV.baseUrl] ?? '',
      region: env.AWS_REGION ?? '',
      // The function's own role, as Lambda hands it over in the environment: the default provider chain would
      // only find the same keys after trying the others, and is not bundled.
      credentials: fromEnv(),
      timeoutMs: HEARTBEAT_TIMEOUT_MS,
    });
  } catch {
    client = undefined;
  }
  return createHeartbeat({ client, probe: readProbe(env), functionName, ...(write && { write }) });
}

const beat = heartbeatFromEnv(process.env);

export const handler = async (): Promise<void> => {
  await beat();
};
