import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CLIENT_ERROR_CODES as CODES, CryptogramServiceError } from './errors.ts';
import { isValidId, isValidRequestId } from './ids.ts';
import { retryAfterSeconds } from './retry-after.ts';
import { type AwsCredentials, type AwsCredentialsProvider, CRYPTOGRAM_FIELDS, type Cryptogram } from './types.ts';

export interface CryptogramClientOptions {
  /** The stage URL, the stack's `InvokeUrl` without the path: `https://{api-id}.execute-api.{region}.amazonaws.com/v1`. */
  baseUrl: string;
  /** The region the API is deployed in; part of the signature. */
  region: string;
  /** Fixed credentials or a provider; default: the AWS SDK's default provider chain (env, SSO, profile, ECS, EC2). */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** Bounds a whole `getCryptogram` call: every attempt and every wait. Default 12000, above the function's 10 s. */
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
/** A retry is sent only when at least this much of the budget is left after its wait. */
export const MIN_ATTEMPT_MS = 250;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 1000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SAFE_NETWORK_CODE = /^[A-Z0-9_]{1,64}$/;

/**
 * A client of the cryptogram service for payment flows: SigV4-signed GETs (each attempt signed anew), a
 * deadline over the whole call, retries only on 429 and 503 while the service's `Retry-After` fits the
 * deadline, and typed errors. It never logs.
 */
export function createCryptogramClient(options: CryptogramClientOptions): CryptogramClient {
  const base = stageUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!options.region) throw new TypeError('region is required');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('timeoutMs must be a positive number');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts must be an integer >= 1');

  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: credentialsProvider(options.credentials),
    sha256: Sha256,
  });

  async function getCryptogram(input: GetCryptogramInput): Promise<Cryptogram> {
    const requestId = input.requestId ?? randomUUID();
    const fail = (message: string, details: Partial<ConstructorParameters<typeof CryptogramServiceError>[1]>) =>
      new CryptogramServiceError(message, {
        status: undefined,
        code: CODES.invalidRequest,
        requestId,
        retryAfterSeconds: undefined,
        attempts: 0,
        ...details,
      });

    // Checked here so that a bad id never leaves the process: the service would refuse it anyway.
    if (!isValidId(input.customerId)) throw fail('customerId breaks the id rule', {});
    if (!isValidId(input.instrumentId)) throw fail('instrumentId breaks the id rule', {});
    if (!isValidRequestId(input.requestId ?? requestId)) throw fail('requestId breaks the request id rule', {});

    const url = new URL(
      `${base.basePath}/customers/${encodeURIComponent(input.customerId)}/instruments/${encodeURIComponent(input.instrumentId)}/cryptogram`,
      base.origin,
    );
    const deadlineAtMs = Date.now() + timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = input.signal ? AbortSignal.any([input.signal, timeout.signal]) : timeout.signal;
    let attempts = 0;

    // Which of the two signals ended the call decides the code; anything else is the network's.
    const interrupted = (cause: unknown, stage: 'credentials' | 'network') => {
      if (input.signal?.aborted) return fail('The call was aborted', { code: CODES.aborted, attempts });
      if (timeout.signal.aborted) {
        return fail(`No answer within ${timeoutMs} ms`, { code: CODES.timeout, attempts });
      }
      if (stage === 'credentials') {
        // The provider's message can name profiles and files, never secrets; it stays as the cause.
        return fail('No AWS credentials to sign the request with', { code: CODES.credentials, attempts, cause });
      }
      const code = networkErrorCode(cause);
      // A fetch error's cause may hold the request with its headers (the session token among them): only
      // its code is kept.
      return fail(`The cryptogram service could not be reached${code ? ` (${code})` : ''}`, {
        code: CODES.network,
        attempts,
      });
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
        let text: string;
        try {
          response = await fetch(url, { method: 'GET', headers, redirect: 'error', signal });
          text = await response.text();
        } catch (error) {
          throw interrupted(error, 'network');
        }

        const answeredId = response.headers.get('x-request-id') ?? requestId;
        if (response.status === 200) {
          const cryptogram = parseCryptogram(text);
          if (cryptogram) return cryptogram;
          throw fail('The service answered 200 without a usable cryptogram', {
            status: 200,
            code: CODES.invalidResponse,
            requestId: answeredId,
            attempts,
          });
        }

        const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
        const { message, code } = parseError(text) ?? {
          message: `The service answered ${response.status} without an error code`,
          code: CODES.invalidResponse,
        };
        const error = fail(message, {
          status: response.status,
          code,
          requestId: answeredId,
          retryAfterSeconds: retryAfter,
          attempts,
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

function stageUrl(baseUrl: string): { origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('baseUrl is not a URL');
  }
  // Plain http would expose the signature and the session token, and the answer holds card data.
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure) throw new TypeError('baseUrl must be https (plain http only on loopback)');
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('baseUrl must not have a query, fragment or user info');
  }
  // Without its trailing slashes: a URL's pathname is never empty, so the stage path is kept apart.
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message would quote the text, which may hold card data: it is not kept.
    return undefined;
  }
}

function parseCryptogram(text: string): Cryptogram | undefined {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const picked: Record<string, string> = {};
  for (const field of CRYPTOGRAM_FIELDS) {
    const value = record[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    picked[field] = value;
  }
  if (!picked.card_number || !picked.cryptogram?.trim()) return undefined;
  return picked as unknown as Cryptogram;
}

function parseError(text: string): { message: string; code: string } | undefined {
  const body = parseJson(text) as { message?: unknown; code?: unknown } | undefined;
  const code = body?.code;
  const message = body?.message;
  if (typeof code !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(code)) return undefined;
  return { code, message: typeof message === 'string' ? message.slice(0, 300) : code };
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
