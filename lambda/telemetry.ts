import type { UpstreamOutcome, UpstreamRecord } from './cashfree.ts';
import { CredentialsInvalidError, CredentialsUnavailableError, type HttpError } from './errors.ts';

/** CloudWatch namespace of the service's own metrics; `infra/` alarms on these names. */
export const METRIC_NAMESPACE = 'CryptogramService';
/** The one dimension every metric carries: the Lambda function name, so stacks in one account stay apart. */
export const METRIC_DIMENSION = 'FunctionName';
/** The second dimension of the per-version metrics: the published version that ran (`context.functionVersion`). */
export const VERSION_DIMENSION = 'FunctionVersion';
export const METRIC = {
  upstreamLatency: 'UpstreamLatency',
  upstreamSuccess: 'UpstreamSuccess',
  upstreamClientError: 'UpstreamClientError',
  upstreamAuthRejected: 'UpstreamAuthRejected',
  upstreamRateLimited: 'UpstreamRateLimited',
  upstreamServerError: 'UpstreamServerError',
  upstreamInvalidResponse: 'UpstreamInvalidResponse',
  upstreamTimeout: 'UpstreamTimeout',
  upstreamNetworkError: 'UpstreamNetworkError',
  upstreamRetries: 'UpstreamRetries',
  credentialRefreshes: 'CredentialRefreshes',
  credentialFailures: 'CredentialFailures',
} as const;
/**
 * Per invocation, 0 or 1, under `FunctionName` + `FunctionVersion`: their Average is one version's share, which
 * the release alarms watch during a canary without the old version's traffic diluting it. Only two, because
 * every published version that has traffic adds its own custom metrics.
 */
export const VERSION_METRIC = {
  /** 1 when the function answered 5xx: its handled failures, which Lambda's `Errors` never counts. */
  serverErrorAnswer: 'ServerErrorAnswer',
  /** 1 when Cashfree failed (5xx, timeout, network error, invalid answer); only when Cashfree was called. */
  upstreamFailure: 'UpstreamFailure',
} as const;

export interface InvocationSummary {
  requestId: string;
  apiRequestId?: string | undefined;
  awsRequestId: string;
  traceId?: string | undefined;
  functionName: string;
  functionVersion: string;
  status: number;
  durationMs: number;
  upstream: UpstreamRecord;
  error?: HttpError;
}

/** The metric each Cashfree outcome counts in, in the order the dashboard draws them. */
export const OUTCOME_METRIC: Record<UpstreamOutcome, string> = {
  success: METRIC.upstreamSuccess,
  client_error: METRIC.upstreamClientError,
  auth_rejected: METRIC.upstreamAuthRejected,
  rate_limited: METRIC.upstreamRateLimited,
  server_error: METRIC.upstreamServerError,
  invalid_response: METRIC.upstreamInvalidResponse,
  timeout: METRIC.upstreamTimeout,
  network_error: METRIC.upstreamNetworkError,
};

// The same four outcomes the stack-wide UpstreamFailures alarm adds up.
const UPSTREAM_FAILURE: Record<UpstreamOutcome, 0 | 1> = {
  success: 0,
  client_error: 0,
  auth_rejected: 0,
  rate_limited: 0,
  server_error: 1,
  invalid_response: 1,
  timeout: 1,
  network_error: 1,
};

const DIRECTIVES = new Map<string, string>();

/**
 * The EMF `CloudWatchMetrics` array for one set of function-wide metric names plus the per-version entry,
 * serialised once and reused: there are only a handful of such sets (one per upstream outcome), and the hot
 * path need not rebuild them per call.
 */
function directives(names: readonly string[], upstreamCalled: boolean): string {
  const key = `${upstreamCalled ? 'called' : 'not called'}:${names.join()}`;
  let json = DIRECTIVES.get(key);
  if (json === undefined) {
    const Metrics = names.map((Name) => ({ Name, Unit: Name === METRIC.upstreamLatency ? 'Milliseconds' : 'Count' }));
    const versionMetrics = upstreamCalled
      ? [VERSION_METRIC.serverErrorAnswer, VERSION_METRIC.upstreamFailure]
      : [VERSION_METRIC.serverErrorAnswer];
    json = JSON.stringify([
      // An entry with no metrics would be noise (a 400 that never reached Cashfree has none function-wide).
      ...(names.length > 0 ? [{ Namespace: METRIC_NAMESPACE, Dimensions: [[METRIC_DIMENSION]], Metrics }] : []),
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: [[METRIC_DIMENSION, VERSION_DIMENSION]],
        Metrics: versionMetrics.map((Name) => ({ Name, Unit: 'Count' })),
      },
    ]);
    DIRECTIVES.set(key, json);
  }
  return json;
}

/**
 * One JSON line per invocation that is both the structured log and the CloudWatch embedded-metric document.
 * It is built from ids, counters and fixed codes only: no field can hold the secret, a token PAN or a
 * cryptogram, and a raw error object is never serialised.
 */
export function invocationLine(summary: InvocationSummary, timestampMs: number): string {
  const { upstream, error } = summary;
  const upstreamCalled = upstream.attempts > 0;
  const metrics: Record<string, number> = {};

  if (upstreamCalled) {
    metrics[METRIC.upstreamLatency] = upstream.latencyMs;
    metrics[METRIC.upstreamRetries] = upstream.retries;
    metrics[METRIC.credentialRefreshes] = upstream.credentialRefreshed ? 1 : 0;
    if (upstream.outcome !== undefined) metrics[OUTCOME_METRIC[upstream.outcome]] = 1;
  }
  if (error instanceof CredentialsUnavailableError || error instanceof CredentialsInvalidError) {
    metrics[METRIC.credentialFailures] = 1;
  }
  const metricNames = Object.keys(metrics);
  // Every invocation counts, a 400 too: the Average is then the share of answers that were 5xx.
  metrics[VERSION_METRIC.serverErrorAnswer] = summary.status >= 500 ? 1 : 0;
  if (upstreamCalled) {
    metrics[VERSION_METRIC.upstreamFailure] = upstream.outcome === undefined ? 0 : UPSTREAM_FAILURE[upstream.outcome];
  }

  const line = JSON.stringify({
    timestamp: new Date(timestampMs).toISOString(),
    level: summary.status >= 500 ? 'ERROR' : 'INFO',
    message: 'cryptogram request',
    requestId: summary.requestId,
    apiRequestId: summary.apiRequestId,
    awsRequestId: summary.awsRequestId,
    functionVersion: summary.functionVersion,
    traceId: summary.traceId,
    status: summary.status,
    durationMs: summary.durationMs,
    ...(error && { errorCode: error.code, error: describe(error) }),
    upstream: {
      status: upstream.status,
      outcome: upstream.outcome,
      attempts: upstream.attempts,
      retries: upstream.retries,
      latencyMs: upstream.latencyMs,
      credentialRefreshed: upstream.credentialRefreshed,
      // Only when it happened: most lines would otherwise carry a zero nobody reads.
      freshConnectionRetries: upstream.freshConnectionRetries > 0 ? upstream.freshConnectionRetries : undefined,
      cashfreeCode: upstream.cashfreeCode,
      networkErrorCode: upstream.networkErrorCode,
    },
    // EMF reads dimension values from members named as the dimensions; `functionVersion` above is for queries.
    [METRIC_DIMENSION]: summary.functionName,
    [VERSION_DIMENSION]: summary.functionVersion,
    ...metrics,
  });
  // Splices the cached directives in before the closing brace; everything else went through JSON.stringify.
  return `${line.slice(0, -1)},"_aws":{"Timestamp":${timestampMs},"CloudWatchMetrics":${directives(metricNames, upstreamCalled)}}}\n`;
}

/**
 * The error's class and, for the service's own errors, their short string cause. For anything unexpected,
 * its class and stack frames only: the message line is dropped because messages of errors raised on data
 * (JSON.parse, for one) quote that data.
 */
function describe(error: HttpError): string {
  const { cause } = error;
  if (typeof cause === 'string') return `${error.name}: ${cause}`;
  if (cause instanceof Error) {
    // The stack opens with the message, which may span lines that look like frames: skip those lines first.
    const messageLines = Math.max(1, String(cause.message).split('\n').length);
    const frames = (cause.stack ?? '')
      .split('\n')
      .slice(messageLines)
      .filter((line) => line.trimStart().startsWith('at '));
    return [`${error.name} caused by ${cause.name}`, ...frames.slice(0, 8).map((line) => line.trim())].join(' | ');
  }
  return error.name;
}

/**
 * Writes straight to stdout: the Lambda runtime passes such lines through untouched even with the JSON log
 * format, which the embedded metric format needs, and it skips console's formatting.
 */
export function writeInvocationLine(summary: InvocationSummary, timestampMs = Date.now()): void {
  process.stdout.write(invocationLine(summary, timestampMs));
}
