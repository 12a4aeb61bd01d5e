import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { answeredRequestId, parseCryptogram, parseRefusal, readBody } from './answer.ts';
import { stageUrl } from './base-url.ts';
import { type CryptogramErrorCode, documentedStatus } from './codes.ts';
import { CLIENT_ERROR_CODES as CODES, CryptogramServiceError, type CryptogramServiceErrorDetails } from './errors.ts';
import { isValidId, isValidRequestId } from './ids.ts';
import { retryAfterSeconds } from './retry-after.ts';
import type { AwsCredentials, AwsCredentialsProvider, Cryptogram } from './types.ts';

export interface CryptogramClientOptions {
  /**
   * The stage URL, the stack's `BaseUrl` output: `https://{api-id}.execute-api.{region}.amazonaws.com/v1`. A URL
   * with `{placeholders}`, a query, a fragment or part of the method's path (the `InvokeUrl` output) is refused: on an
   * `execute-api` host anything past the stage, on a custom domain `/customers/…/instruments`, so that a base path
   * such as `/customers/v1` is taken.
   */
  baseUrl: string;
  /** The region the API is deployed in; part of the signature. */
  region: string;
  /** Fixed credentials or a provider; default: the AWS SDK's default provider chain (env, SSO, profile, ECS, EC2). */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /**
   * Bounds a whole `getCryptogram` call: every attempt and every wait. Default 12000, above the function's 10 s;
   * at most `MAX_TIMEOUT_MS`.
   */
  timeoutMs?: number;
  /** Requests per call, the first included; only 429 and 503 are sent again. Default 3. */
  maxAttempts?: number;
}

export interface GetCryptogramInput {
  customerId: string;
  instrumentId: string;
  /** Sent as `x-request-id` and returned by the service; 1 to 128 of `A-Z a-z 0-9 _ . : -`. Default: a new UUID. */
  requestId?: string;
  /** Aborts the call, waits included; the call then fails with code `aborted`. */
  signal?: AbortSignal;
}

export interface CryptogramClient {
  /** The network token and a fresh cryptogram, or a `CryptogramServiceError`. */
  getCryptogram(input: GetCryptogramInput): Promise<Cryptogram>;
}

export const DEFAULT_TIMEOUT_MS = 12_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
/** The longest `timeoutMs`: Node's timers hold at most 2^31 - 1 ms (about 24.8 days) and fire at once beyond. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A retry is sent only when at least this much of the budget is left after its wait. */
export const MIN_ATTEMPT_MS = 250;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 1000;
const SAFE_NETWORK_CODE = /^[A-Z0-9_]{1,64}$/;

/**
 * A client of the cryptogram service for payment flows: SigV4-signed GETs (each attempt signed anew), a
 * deadline over the whole call, retries only on 429 and 503 while the service's `Retry-After` fits the
 * deadline, answers read up to `MAX_ANSWER_BYTES`, and typed errors. It never logs.
 */
export function createCryptogramClient(options: CryptogramClientOptions): CryptogramClient {
  const base = stageUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!options.region) throw new TypeError('region is required');
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new TypeError(
      `timeoutMs must be a number above 0 and at most ${MAX_TIMEOUT_MS}, the longest timer Node holds`,
    );
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts must be an integer >= 1');

  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: credentialsProvider(options.credentials),
    sha256: Sha256,
  });

  async function getCryptogram(input: GetCryptogramInput): Promise<Cryptogram> {
    const requestId = input.requestId ?? randomUUID();
    let attempts = 0;
    const fail = (code: CryptogramErrorCode, details: Partial<CryptogramServiceErrorDetails> = {}) =>
      new CryptogramServiceError({
        code,
        status: undefined,
        requestId,
        retryAfterSeconds: undefined,
        attempts,
        ...details,
      });

    // Checked here so that a bad id never leaves the process: the service would refuse it anyway.
    if (!isValidId(input.customerId) || !isValidId(input.instrumentId) || !isValidRequestId(requestId)) {
      throw fail(CODES.invalidRequest);
    }

    const url = new URL(
      `${base.basePath}/customers/${encodeURIComponent(input.customerId)}/instruments/${encodeURIComponent(input.instrumentId)}/cryptogram`,
      base.origin,
    );
    const deadlineAtMs = Date.now() + timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = input.signal ? AbortSignal.any([input.signal, timeout.signal]) : timeout.signal;

    // Which of the two signals ended the call decides the code; anything else is the network's.
    const interrupted = (cause: unknown, stage: 'credentials' | 'network') => {
      if (input.signal?.aborted) return fail(CODES.aborted);
      if (timeout.signal.aborted) return fail(CODES.timeout);
      // The provider's message can name profiles and files, never secrets; it stays as the cause.
      if (stage === 'credentials') return fail(CODES.credentials, { cause });
      // A fetch error's cause may hold the request with its headers (the session token among them): only
      // its code is kept.
      return fail(CODES.network, { networkErrorCode: networkErrorCode(cause) });
    };

    try {
      for (;;) {
        if (signal.aborted) throw interrupted(undefined, 'network');
        let headers: Record<string, string>;
        try {
          headers = await abortable(sign(signer, url, requestId), signal);
        } catch (error) {
          throw interrupted(error, 'credentials');
        }

        attempts++;
        let response: Response;
        let text: string | undefined;
        try {
          // identity: fetch would ask for gzip and decode it, and a small compressed body can decode to gigabytes.
          response = await fetch(url, {
            method: 'GET',
            headers: { ...headers, 'accept-encoding': 'identity' },
            redirect: 'error',
            signal,
          });
          text = await readBody(response);
        } catch (error) {
          throw interrupted(error, 'network');
        }

        const status = documentedStatus(response.status);
        if (response.status === 200) {
          const cryptogram = parseCryptogram(text, input.instrumentId);
          if (cryptogram) return cryptogram;
        }
        const refusal = parseRefusal(text, response.status);
        const retryAfter =
          status === 429 || status === 503 ? retryAfterSeconds(response.headers.get('retry-after')) : undefined;
        const error = fail(refusal.code ?? CODES.invalidResponse, {
          status,
          requestId: answeredRequestId(response.headers, refusal.requestId, requestId),
          retryAfterSeconds: retryAfter,
        });
        if (!error.retryable || attempts >= maxAttempts) throw error;
        const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(attempts - 1);
        if (waitMs + MIN_ATTEMPT_MS > deadlineAtMs - Date.now()) throw error;
        try {
          await sleep(waitMs, undefined, { signal });
        } catch {
          throw interrupted(undefined, 'network');
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  return { getCryptogram };
}

function credentialsProvider(credentials: CryptogramClientOptions['credentials']): AwsCredentialsProvider {
  if (typeof credentials === 'function') return credentials;
  if (credentials) return async () => credentials;
  // Loaded on first use: callers that pass credentials never load the provider chain.
  let chain: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

async function sign(signer: SignatureV4, url: URL, requestId: string): Promise<Record<string, string>> {
  const signed = await signer.sign({
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { host: url.host, accept: 'application/json', 'x-request-id': requestId },
  });
  // fetch sends Host itself, from the same URL.
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function networkErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && SAFE_NETWORK_CODE.test(code) ? code : undefined;
}

/** Full jitter when the service gave no `Retry-After`, so retrying callers do not move in step. */
function backoffMs(retriesSoFar: number): number {
  return Math.floor(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retriesSoFar));
}
