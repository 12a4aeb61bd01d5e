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
  /** A 200 without the fields a cryptogram needs, or an error status without the service's `{ message, code }`. */
  invalidResponse: 'invalid_response',
} as const;

export interface CryptogramServiceErrorDetails {
  /** The HTTP status, or `undefined` when no answer came (the client's own codes). */
  status: number | undefined;
  code: string;
  /** The request id the service answered with, else the one the client sent. */
  requestId: string;
  /** Seconds the service asked to wait before retrying (`Retry-After`), when it did. */
  retryAfterSeconds: number | undefined;
  /** How many requests were sent for this call. */
  attempts: number;
  cause?: unknown;
}

/**
 * Every failure of `getCryptogram`. The message is fixed text or the service's own fixed text: it never
 * carries card data, a credential or an id.
 */
export class CryptogramServiceError extends Error {
  override name = 'CryptogramServiceError';
  readonly status: number | undefined;
  readonly code: string;
  readonly requestId: string;
  readonly retryAfterSeconds: number | undefined;
  readonly attempts: number;

  constructor(message: string, details: CryptogramServiceErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
  }

  /** True for the answers worth retrying later (429 and 503): the service or its upstream asked to wait. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}
