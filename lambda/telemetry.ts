import type { UpstreamOutcome, UpstreamRecord } from './cashfree.ts';
import { CredentialsInvalidError, CredentialsUnavailableError, type HttpError } from './errors.ts';

/** CloudWatch namespace of the service's own metrics; `infra/` alarms on these names. */
export const METRIC_NAMESPACE = 'CryptogramService';
/** The one dimension every metric carries: the Lambda function name, so stacks in one account stay apart. */
export const METRIC_DIMENSION = 'FunctionName';
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

export interface InvocationSummary {
  requestId: string;
  apiRequestId?: string | undefined;
  awsRequestId: string;
  traceId?: string | undefined;
  functionName: string;
  status: number;
  durationMs: number;
  upstream: UpstreamRecord;
  error?: HttpError;
}

const OUTCOME_METRIC: Record<UpstreamOutcome, string> = {
  success: METRIC.upstreamSuccess,
  client_error: METRIC.upstreamClientError,
  auth_rejected: METRIC.upstreamAuthRejected,
  rate_limited: METRIC.upstreamRateLimited,
  server_error: METRIC.upstreamServerError,
  invalid_response: METRIC.upstreamInvalidResponse,
  timeout: METRIC.upstreamTimeout,
  network_error: METRIC.upstreamNetworkError,
};

const DIRECTIVES = new Map<string, string>();

/**
 * The EMF `CloudWatchMetrics` directive for one set of metric names, serialised once and reused: there are
 * only a handful of such sets (one per upstream outcome), and the hot path need not rebuild them per call.
 */
function directive(names: readonly string[]): string {
  const key = names.join();
  let json = DIRECTIVES.get(key);
  if (json === undefined) {
    const Metrics = names.map((Name) => ({ Name, Unit: Name === METRIC.upstreamLatency ? 'Milliseconds' : 'Count' }));
    json = JSON.stringify([{ Namespace: METRIC_NAMESPACE, Dimensions: [[METRIC_DIMENSION]], Metrics }]);
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
  const metrics: Record<string, number> = {};

  if (upstream.attempts > 0) {
    metrics[METRIC.upstreamLatency] = upstream.latencyMs;
    metrics[METRIC.upstreamRetries] = upstream.retries;
    metrics[METRIC.credentialRefreshes] = upstream.credentialRefreshed ? 1 : 0;
    if (upstream.outcome !== undefined) metrics[OUTCOME_METRIC[upstream.outcome]] = 1;
  }
  if (error instanceof CredentialsUnavailableError || error instanceof CredentialsInvalidError) {
    metrics[METRIC.credentialFailures] = 1;
  }
  const metricNames = Object.keys(metrics);

  const line = JSON.stringify({
    timestamp: new Date(timestampMs).toISOString(),
    level: summary.status >= 500 ? 'ERROR' : 'INFO',
    message: 'cryptogram request',
    requestId: summary.requestId,
    apiRequestId: summary.apiRequestId,
    awsRequestId: summary.awsRequestId,
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
    ...(metricNames.length > 0 && { [METRIC_DIMENSION]: summary.functionName, ...metrics }),
  });
  if (metricNames.length === 0) return `${line}\n`;
  // Splices the cached directive in before the closing brace; everything else went through JSON.stringify.
  return `${line.slice(0, -1)},"_aws":{"Timestamp":${timestampMs},"CloudWatchMetrics":${directive(metricNames)}}}\n`;
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
    const frames = (cause.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
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
