import { setTimeout as sleep } from 'node:timers/promises';
import * as v from 'valibot';
import type { CashfreeCredentials, CredentialsProvider } from './credentials.ts';
import {
  PASSED_THROUGH_STATUSES,
  RateLimitedError,
  UpstreamAuthError,
  UpstreamInvalidResponseError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
import type { InstrumentIds } from './request.ts';

const optionalString = v.optional(v.string());
const requiredString = v.pipe(v.string(), v.nonEmpty());

// The seven documented fields, nothing else: valibot's object drops any key Cashfree adds.
const cryptogramSchema = v.object({
  instrument_id: optionalString,
  token_requestor_id: optionalString,
  card_number: requiredString,
  card_expiry_mm: optionalString,
  card_expiry_yy: optionalString,
  cryptogram: requiredString,
  card_display: optionalString,
});

export type Cryptogram = v.InferOutput<typeof cryptogramSchema>;

export type UpstreamOutcome =
  | 'success'
  | 'client_error'
  | 'auth_rejected'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network_error'
  | 'invalid_response';

/** What one invocation's calls to Cashfree did; filled in as they happen, so it is complete on every path. */
export interface UpstreamRecord {
  attempts: number;
  retries: number;
  latencyMs: number;
  credentialRefreshed: boolean;
  status?: number;
  outcome?: UpstreamOutcome;
  /** Cashfree's error `code`, only when it is a plain snake_case word. */
  cashfreeCode?: string;
  /** The network error's code (ECONNRESET, ...), never its message. */
  networkErrorCode?: string;
}

export const newUpstreamRecord = (): UpstreamRecord => ({
  attempts: 0,
  retries: 0,
  latencyMs: 0,
  credentialRefreshed: false,
});

export interface CashfreeClientOptions {
  baseUrl: string;
  apiVersion: string;
  attemptTimeoutMs: number;
  maxAttempts: number;
  credentials: CredentialsProvider;
  random?: () => number;
  now?: () => number;
}

export interface CryptogramCall {
  ids: InstrumentIds;
  requestId: string;
  /** Absolute time by which an answer must be ready, already short of the Lambda deadline. */
  deadlineAtMs: number;
  record: UpstreamRecord;
}

/** No attempt starts with less time than this left: it could not finish, and the caller is better told now. */
export const MIN_ATTEMPT_MS = 100;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 1000;
const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 1;
const SAFE_CODE = /^[a-z_]{1,64}$/;

type AttemptResult =
  | { kind: 'response'; status: number; headers: Headers; text: string }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string | undefined };

export interface CashfreeClient {
  getCryptogram(call: CryptogramCall): Promise<Cryptogram>;
}

/**
 * The upstream client: one GET per attempt on Node's global fetch (one keep-alive pool per process), each
 * attempt bounded by the invocation's deadline; bounded jittered retries on 5xx, resets and timeouts; waits
 * out a 429 when Cashfree's delay fits; one credential refresh on 401/403.
 */
export function createCashfreeClient(options: CashfreeClientOptions): CashfreeClient {
  const { baseUrl, apiVersion, attemptTimeoutMs, maxAttempts, credentials } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  async function getCryptogram({ ids, requestId, deadlineAtMs, record }: CryptogramCall) {
    const url = `${baseUrl}/customers/${encodeURIComponent(ids.customerId)}/instruments/${encodeURIComponent(ids.instrumentId)}/cryptogram`;
    const remainingMs = () => deadlineAtMs - now();

    let creds = await credentials.get(deadlineAtMs);
    let retriesLeft = maxAttempts - 1;

    // Waits before the next attempt when the budget allows it; false means the failure stands.
    const retryAfter = async (waitMs: number): Promise<boolean> => {
      if (retriesLeft <= 0 || waitMs + MIN_ATTEMPT_MS > remainingMs()) return false;
      retriesLeft--;
      record.retries++;
      // Bounded by the check above: the wait always leaves room for one more attempt before the deadline.
      await sleep(waitMs);
      return true;
    };

    for (;;) {
      const budgetMs = remainingMs();
      if (budgetMs < MIN_ATTEMPT_MS) throw new UpstreamTimeoutError('deadline');

      const startedAtMs = now();
      record.attempts++;
      const result = await attempt(
        url,
        requestHeaders(creds, apiVersion, requestId),
        Math.min(attemptTimeoutMs, budgetMs),
      );
      record.latencyMs += now() - startedAtMs;

      if (result.kind === 'timeout') {
        record.outcome = 'timeout';
        if (await retryAfter(0)) continue;
        throw new UpstreamTimeoutError('attempt timeout');
      }
      if (result.kind === 'network') {
        record.outcome = 'network_error';
        record.networkErrorCode = result.code;
        if (await retryAfter(backoffMs(record.retries, random))) continue;
        throw new UpstreamUnavailableError(result.code);
      }

      const { status } = result;
      record.status = status;
      if (status === 200) return parseCryptogram(result.text, record);
      record.cashfreeCode = errorCode(result.text);

      if (status === 401 || status === 403) {
        record.outcome = 'auth_rejected';
        if (record.credentialRefreshed) throw new UpstreamAuthError();
        record.credentialRefreshed = true;
        creds = await credentials.refresh(creds, deadlineAtMs);
        continue;
      }
      if (status === 429) {
        record.outcome = 'rate_limited';
        const waitSeconds = rateLimitWaitSeconds(result.headers);
        if (await retryAfter(waitSeconds * 1000)) continue;
        throw new RateLimitedError(waitSeconds);
      }
      if (PASSED_THROUGH_STATUSES.has(status)) {
        record.outcome = 'client_error';
        throw new UpstreamRejectedError(status);
      }
      if (status >= 500) {
        record.outcome = 'server_error';
        if (await retryAfter(backoffMs(record.retries, random))) continue;
        throw new UpstreamUnavailableError(`status ${status}`);
      }
      record.outcome = 'invalid_response';
      throw new UpstreamInvalidResponseError(`status ${status}`);
    }
  }

  return { getCryptogram };
}

function requestHeaders(creds: CashfreeCredentials, apiVersion: string, requestId: string): Record<string, string> {
  return {
    accept: 'application/json',
    'x-api-version': apiVersion,
    'x-client-id': creds.clientId,
    'x-client-secret': creds.clientSecret,
    'x-request-id': requestId,
  };
}

async function attempt(url: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult> {
  // One controller and one cleared timer per attempt: AbortSignal.timeout/any would leave a live timer and
  // signal graph behind every finished call until the timeout fires, which the warm benchmark shows as GC time.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    // The body is read under the same signal, so a response that stalls mid-body is a timeout too.
    const text = await response.text();
    return { kind: 'response', status: response.status, headers: response.headers, text };
  } catch (error) {
    // A fetch error's cause can hold the request, headers included: only its code leaves this function.
    if (controller.signal.aborted) return { kind: 'timeout' };
    return { kind: 'network', code: networkErrorCode(error) };
  } finally {
    clearTimeout(timer);
  }
}

function parseCryptogram(text: string, record: UpstreamRecord): Cryptogram {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold a token PAN: it is dropped, not wrapped.
    record.outcome = 'invalid_response';
    throw new UpstreamInvalidResponseError('body is not JSON');
  }
  const result = v.safeParse(cryptogramSchema, body);
  if (!result.success) {
    record.outcome = 'invalid_response';
    throw new UpstreamInvalidResponseError('body lacks required fields');
  }
  record.outcome = 'success';
  return result.output;
}

function errorCode(text: string): string | undefined {
  try {
    const code: unknown = JSON.parse(text)?.code;
    return typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function networkErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : undefined;
}

/** Cashfree's own delay when it gives one (x-ratelimit-retry, then Retry-After), in whole seconds, at least 1. */
export function rateLimitWaitSeconds(headers: Headers): number {
  for (const name of ['x-ratelimit-retry', 'retry-after']) {
    const value = headers.get(name)?.trim();
    if (!value) continue;
    if (/^\d+$/.test(value)) {
      // 0 means "within the limit" in x-ratelimit-retry: look at the next header rather than parse it as a date.
      if (Number(value) > 0) return Math.min(Number(value), 60);
      continue;
    }
    const dateMs = Date.parse(value);
    if (!Number.isNaN(dateMs)) return Math.min(Math.max(1, Math.ceil((dateMs - Date.now()) / 1000)), 60);
  }
  return DEFAULT_RATE_LIMIT_WAIT_SECONDS;
}

/** Full jitter: a random wait up to an exponentially growing cap, so retrying callers do not move in step. */
export function backoffMs(retriesSoFar: number, random: () => number): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retriesSoFar));
}
