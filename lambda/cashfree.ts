import { setTimeout as sleep } from 'node:timers/promises';
import type { CashfreeCredentials, CredentialsProvider } from './credentials.ts';
import { type Cryptogram, parseCryptogram } from './cryptogram.ts';
import {
  isPassedThrough,
  RateLimitedError,
  UpstreamAuthError,
  UpstreamInvalidResponseError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
import type { InstrumentIds } from './request.ts';
import { MAX_BODY_BYTES, type Transport, type TransportResult } from './transport.ts';

export type { Cryptogram } from './cryptogram.ts';

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
  /**
   * Requests the transport sent again on a new connection because a reused one was dead before any response
   * byte (an idle connection dropped by a NAT, or while the environment was frozen). Not attempts, not errors.
   */
  freshConnectionRetries: number;
  status?: number;
  outcome?: UpstreamOutcome;
  /** Cashfree's error `code`, only when it is a plain snake_case word. */
  cashfreeCode?: string;
  /** The network error's code (ECONNRESET, CERT_HAS_EXPIRED, ...), never its message. */
  networkErrorCode?: string;
}

export const newUpstreamRecord = (): UpstreamRecord => ({
  attempts: 0,
  retries: 0,
  latencyMs: 0,
  credentialRefreshed: false,
  freshConnectionRetries: 0,
});

export interface CashfreeClientOptions {
  /** Canonical base URL (`config.cashfreeBaseUrl`): the request URL is this plus the documented path. */
  baseUrl: string;
  apiVersion: string;
  attemptTimeoutMs: number;
  maxAttempts: number;
  credentials: CredentialsProvider;
  transport: Transport;
  random?: () => number;
  now?: () => number;
}

export interface CryptogramCall {
  ids: InstrumentIds;
  requestId: string;
  /** Absolute time by which an answer must be ready, already short of the Lambda deadline and the budget. */
  deadlineAtMs: number;
  record: UpstreamRecord;
}

/** No attempt starts with less time than this left: it could not finish, and the caller is better told now. */
export const MIN_ATTEMPT_MS = 100;
/**
 * Kept back from the deadline for every wait the deadline bounds (the last attempt's timer, a Secrets Manager
 * read). A timer fires a millisecond or more late, and turning its expiry into the answer (destroying the socket,
 * building the error, writing the log line) takes a few more: set to the deadline itself, such an answer landed
 * 1 to 6 ms after it on a quiet machine. 20 ms covers that several times over at Lambda's fraction of a vCPU
 * and costs 0.4 % of the default budget.
 */
export const DEADLINE_RESERVE_MS = 20;
/** The longest 429 delay worth waiting inside a request; a longer one is the caller's to wait. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 1;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 1000;
const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 1;
/** The shape of Cashfree's own error codes (`instrument_not_found`); anything else is not logged. */
const CASHFREE_ERROR_CODE = /^[a-z_]{1,64}$/;

export interface CashfreeClient {
  getCryptogram(call: CryptogramCall): Promise<Cryptogram>;
}

/**
 * The upstream client: one GET per attempt on the keep-alive transport (no redirects, bounded bodies), each
 * attempt bounded by the invocation's deadline; bounded jittered retries on 5xx, resets and timeouts; waits
 * out a short 429 when it fits; one credential refresh on 401/403.
 */
export function createCashfreeClient(options: CashfreeClientOptions): CashfreeClient {
  const { baseUrl, apiVersion, attemptTimeoutMs, maxAttempts, credentials, transport } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  async function getCryptogram({ ids, requestId, deadlineAtMs, record }: CryptogramCall) {
    const url = new URL(
      `${baseUrl}/customers/${encodeURIComponent(ids.customerId)}/instruments/${encodeURIComponent(ids.instrumentId)}/cryptogram`,
    );
    const answerByMs = deadlineAtMs - DEADLINE_RESERVE_MS;
    const remainingMs = () => answerByMs - now();

    let creds = await credentials.get(answerByMs);
    let retriesLeft = maxAttempts - 1;
    // A second 429 after waiting means the limit still holds: the caller, not this invocation, should wait.
    let rateLimitWaited = false;

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
      const result: TransportResult = await transport.request({
        url,
        headers: requestHeaders(creds, apiVersion, requestId),
        timeoutMs: Math.min(attemptTimeoutMs, budgetMs),
        maxBodyBytes: MAX_BODY_BYTES,
      });
      record.latencyMs += now() - startedAtMs;
      if (result.freshConnectionRetry) record.freshConnectionRetries++;

      // Cashfree is asked again only when it never had the request (no byte of an answer came back), or when it
      // said it failed (a whole 5xx) or asked to wait (a 429): once it began to answer it may have issued a
      // single-use cryptogram, and asking again would issue another.
      if (result.kind === 'timeout') {
        record.outcome = 'timeout';
        // Never at once: an upstream that is slow now is rarely fast a millisecond later.
        if (!result.answered && (await retryAfter(timeoutPauseMs(record.retries, random)))) continue;
        throw new UpstreamTimeoutError(result.answered ? 'answer too slow' : 'attempt timeout');
      }
      if (result.kind === 'network') {
        record.outcome = 'network_error';
        // Already reduced to a bare error code by the transport.
        record.networkErrorCode = result.code;
        // A certificate that does not verify will not verify a moment later either.
        const retryable = !result.certificate && !result.answered;
        if (retryable && (await retryAfter(backoffMs(record.retries, random)))) continue;
        throw new UpstreamUnavailableError(
          result.certificate ? 'certificate' : result.answered ? `answer cut off: ${result.code}` : result.code,
        );
      }
      if (result.kind === 'informational_flood') {
        record.outcome = 'invalid_response';
        throw new UpstreamInvalidResponseError('too many informational answers');
      }

      const { status } = result;
      record.status = status;
      if (status === 200) {
        record.outcome = 'invalid_response';
        if (result.bodyTruncated) throw new UpstreamInvalidResponseError('body over the size cap');
        const cryptogram = parseCryptogram(result.body, ids.instrumentId);
        record.outcome = 'success';
        return cryptogram;
      }
      record.cashfreeCode = cashfreeErrorCode(result.body);

      if (status === 401 || status === 403) {
        record.outcome = 'auth_rejected';
        if (record.credentialRefreshed) throw new UpstreamAuthError();
        record.credentialRefreshed = true;
        creds = await credentials.refresh(creds, answerByMs);
        continue;
      }
      if (status === 429) {
        record.outcome = 'rate_limited';
        const waitSeconds = rateLimitWaitSeconds(result.headers);
        if (!rateLimitWaited && waitSeconds <= MAX_RATE_LIMIT_WAIT_SECONDS && (await retryAfter(waitSeconds * 1000))) {
          rateLimitWaited = true;
          continue;
        }
        throw new RateLimitedError(waitSeconds);
      }
      if (isPassedThrough(status)) {
        record.outcome = 'client_error';
        throw new UpstreamRejectedError(status);
      }
      if (status >= 500) {
        record.outcome = 'server_error';
        // A 5xx whose body would not decode is a broken exchange, like one cut off, not Cashfree saying it failed.
        if (!result.bodyUndecodable && (await retryAfter(backoffMs(record.retries, random)))) continue;
        throw new UpstreamUnavailableError(`status ${status}`);
      }
      // 3xx included: the transport never follows Location, so the key pair goes to the configured origin only.
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

/** The `code` of a Cashfree error body when it has the shape of one; never its `message`. */
function cashfreeErrorCode(text: string): string | undefined {
  try {
    const code: unknown = JSON.parse(text)?.code;
    return typeof code === 'string' && CASHFREE_ERROR_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cashfree's own delay when it gives one (x-ratelimit-retry, then Retry-After), in whole seconds, at least 1.
 * `headers` has lower-case names, as the transport returns them.
 */
export function rateLimitWaitSeconds(headers: Readonly<Record<string, string | undefined>>): number {
  for (const name of ['x-ratelimit-retry', 'retry-after']) {
    const value = headers[name]?.trim();
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

/** Equal jitter: at least half the backoff cap, so a timed-out attempt is never repeated at once. */
export function timeoutPauseMs(retriesSoFar: number, random: () => number): number {
  const capMs = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retriesSoFar);
  return Math.floor(capMs / 2 + random() * (capMs / 2));
}
