import { type CryptogramErrorCode, type CryptogramErrorStatus, ERROR_CODES } from './codes.ts';

/**
 * Codes the client itself raises when it has no answer from the service to report. Every other `code` is the
 * service's (see the OpenAPI document), with `status` the HTTP status it came with.
 */
export const CLIENT_ERROR_CODES = {
  /** An id or the request id broke the service's rule; nothing was sent. */
  invalidRequest: 'invalid_request',
  /** The caller's `timeoutMs` ran out, attempts and waits included. */
  timeout: 'client_timeout',
  /** The caller's `signal` aborted the call. */
  aborted: 'aborted',
  /** No HTTP answer: refused or reset connection, DNS failure, TLS failure, a redirect. */
  network: 'network_error',
  /** The AWS credential provider chain gave no credentials to sign with. */
  credentials: 'aws_credentials_unavailable',
  /**
   * An answer the document does not describe: a 200 without the five required fields or breaking their formats,
   * an error without a code documented for its status, a body over `MAX_ANSWER_BYTES` or compressed.
   */
  invalidResponse: 'invalid_response',
} as const satisfies Record<string, CryptogramErrorCode>;

export interface CryptogramServiceErrorDetails {
  code: CryptogramErrorCode;
  /**
   * The HTTP status of the answer, or `undefined` when no answer came (the client's own codes) or its status is
   * one the document never lists (a 204 or a 304, reported as `invalid_response`).
   */
  status: CryptogramErrorStatus | undefined;
  /**
   * The answer's `x-request-id`, else the `requestId` of API Gateway's refusal body, else its
   * `x-amzn-RequestId`, each only when it is 1 to 128 of `A-Z a-z 0-9 _ . : -`; else the id the client sent.
   */
  requestId: string;
  /** Seconds the service asked to wait before retrying (`Retry-After`, at most `MAX_RETRY_AFTER_SECONDS`). */
  retryAfterSeconds: number | undefined;
  /** How many requests were sent for this call. */
  attempts: number;
  /** For `network_error`: the system error code Node reported (`ECONNREFUSED`, `ENOTFOUND`, ...), if any. */
  networkErrorCode?: string | undefined;
  cause?: unknown;
}

// One mark for both builds: an application that loads the ESM and the CommonJS copy still gets `instanceof` right.
const BRAND = Symbol.for('@cryptogram-service/client.CryptogramServiceError');

/**
 * Every failure of `getCryptogram`. The message is fixed text per `code`: nothing of the service's answer is
 * copied into it, so it never carries card data, a credential or an id.
 */
export class CryptogramServiceError extends Error {
  override name = 'CryptogramServiceError';
  readonly code: CryptogramErrorCode;
  readonly status: CryptogramErrorStatus | undefined;
  readonly requestId: string;
  readonly retryAfterSeconds: number | undefined;
  readonly attempts: number;
  readonly networkErrorCode: string | undefined;

  constructor(details: CryptogramServiceErrorDetails) {
    super(ERROR_CODES[details.code].message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
    this.networkErrorCode = details.networkErrorCode;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  /** True for the answers worth retrying later (429 and 503): the service or its upstream asked to wait. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}
