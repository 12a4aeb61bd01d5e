/**
 * What the release check and the heartbeat ask the service, and the names of their environment variables. It
 * imports nothing, so that the stack can read these names at synth without constructing an AWS SDK client.
 */

/** Ids no saved card will ever have (contract §5): Cashfree answers them 404, as every unknown card. */
export const PROBE_DEFAULTS = {
  customerId: 'cryptogram_service_probe',
  instrumentId: 'probe-00000000-0000-4000-8000-000000000000',
  expected: 404,
} as const;

/**
 * The answers that count as "authenticated and routed": the function reached Cashfree with an accepted key
 * pair, and Cashfree did not know the card. Never 401, 403, 5xx or 200.
 */
export const PROBE_ANSWERS = { 404: 'instrument_not_found', 400: 'upstream_bad_request' } as const;

export type ProbeStatus = keyof typeof PROBE_ANSWERS;

export interface Probe {
  customerId: string;
  instrumentId: string;
  /** The status the probe ids must get; its code is `PROBE_ANSWERS[expected]`. */
  expected: ProbeStatus;
}

const PROBE_ENV = {
  customerId: 'PROBE_CUSTOMER_ID',
  instrumentId: 'PROBE_INSTRUMENT_ID',
  expected: 'PROBE_EXPECTED_STATUS',
} as const;

/** The pre-traffic check's own variable: the qualified ARN of the version under release. */
export const TARGET_VERSION_ENV = 'TARGET_VERSION_ARN';

/** An error code fit for a log line: a snake_case word, so no body text, id or card data rides along. */
export const SAFE_CODE = /^[a-z][a-z0-9_]{0,63}$/;

export const HEARTBEAT_ENV = {
  /** The stage URL the client takes (the stack's `BaseUrl`, or a private API's endpoint-specific one). */
  baseUrl: 'HEARTBEAT_BASE_URL',
  /** The probed function's name: the `FunctionName` dimension of the heartbeat's metrics. */
  functionName: 'HEARTBEAT_FUNCTION_NAME',
} as const;

/** The heartbeat's metrics, in the service's namespace under `FunctionName` = the probed function. */
export const HEARTBEAT_METRIC = {
  /** 1 when the probe got the expected answer within the client's timeout, else 0. */
  success: 'HeartbeatSuccess',
  /** Milliseconds of the whole client call, retries included. */
  latency: 'HeartbeatLatency',
} as const;

const isProbeStatus = (value: number): value is ProbeStatus => Object.hasOwn(PROBE_ANSWERS, value);

/** The probe the stack configured, or undefined when a variable is missing or out of range. */
export function readProbe(env: Record<string, string | undefined>): Probe | undefined {
  const customerId = env[PROBE_ENV.customerId];
  const instrumentId = env[PROBE_ENV.instrumentId];
  const expected = Number(env[PROBE_ENV.expected]);
  if (!customerId || !instrumentId || !isProbeStatus(expected)) return undefined;
  return { customerId, instrumentId, expected };
}

/** The variables that carry `probe` to a function. */
export function probeEnvironment(probe: Probe): Record<string, string> {
  return {
    [PROBE_ENV.customerId]: probe.customerId,
    [PROBE_ENV.instrumentId]: probe.instrumentId,
    [PROBE_ENV.expected]: String(probe.expected),
  };
}
