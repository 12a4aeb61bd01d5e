/**
 * Errors that carry the HTTP answer they stand for, as middy's http-errors do: `statusCode`, a stable `code`,
 * and `expose` telling whether `message` is written for the caller. Every message here is fixed text: it
 * never quotes an id, a header, a Cashfree body or another error's message, so it cannot carry card data.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string>; expose?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.statusCode = statusCode;
    this.code = code;
    this.expose = options.expose ?? statusCode < 500;
    this.headers = options.headers ?? {};
  }
}

export class InvalidRequestError extends HttpError {
  override name = 'InvalidRequestError';
  constructor(message: string) {
    super(400, 'invalid_request', message);
  }
}

const UPSTREAM_REJECTIONS = {
  400: ['upstream_bad_request', 'Cashfree rejected the request as invalid'],
  404: ['instrument_not_found', 'No saved card matches this customer_id and instrument_id'],
  409: ['upstream_conflict', 'Cashfree reported a conflict for this instrument'],
  422: ['upstream_unprocessable', 'Cashfree could not process the request for this instrument'],
} as const satisfies Record<number, readonly [code: string, message: string]>;

/** A Cashfree status that describes the caller's request and is passed through as it is. */
export type PassedThroughStatus = keyof typeof UPSTREAM_REJECTIONS;

export const PASSED_THROUGH_STATUSES: ReadonlySet<number> = new Set(Object.keys(UPSTREAM_REJECTIONS).map(Number));

export function isPassedThrough(status: number): status is PassedThroughStatus {
  return PASSED_THROUGH_STATUSES.has(status);
}

export class UpstreamRejectedError extends HttpError {
  override name = 'UpstreamRejectedError';
  constructor(status: PassedThroughStatus) {
    const [code, message] = UPSTREAM_REJECTIONS[status];
    super(status, code, message);
  }
}

export class RateLimitedError extends HttpError {
  override name = 'RateLimitedError';
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Cashfree is rate-limiting this service; retry after the Retry-After delay', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

// The 5xx messages below are written for the caller too: they say whose fault it is without saying more.
export class UpstreamAuthError extends HttpError {
  override name = 'UpstreamAuthError';
  constructor() {
    super(502, 'upstream_auth_failed', 'Cashfree refused the service credentials', { expose: true });
  }
}

export class UpstreamUnavailableError extends HttpError {
  override name = 'UpstreamUnavailableError';
  constructor(cause?: unknown) {
    super(502, 'upstream_unavailable', 'Cashfree is unavailable', { cause, expose: true });
  }
}

export class UpstreamInvalidResponseError extends HttpError {
  override name = 'UpstreamInvalidResponseError';
  constructor(cause?: unknown) {
    super(502, 'upstream_invalid_response', 'Cashfree returned a response the service cannot use', {
      cause,
      expose: true,
    });
  }
}

export class UpstreamTimeoutError extends HttpError {
  override name = 'UpstreamTimeoutError';
  constructor(cause?: unknown) {
    super(504, 'upstream_timeout', 'Cashfree did not answer in time', { cause, expose: true });
  }
}

/** What a 503 tells the caller to wait: a failed read is never cached, so the next call reads again at once. */
const CREDENTIALS_RETRY_AFTER_SECONDS = 1;

export class CredentialsUnavailableError extends HttpError {
  override name = 'CredentialsUnavailableError';
  constructor(cause?: unknown) {
    super(503, 'credentials_unavailable', 'The service credentials could not be loaded; retry shortly', {
      cause,
      expose: true,
      headers: { 'retry-after': String(CREDENTIALS_RETRY_AFTER_SECONDS) },
    });
  }
}

export class CredentialsInvalidError extends HttpError {
  override name = 'CredentialsInvalidError';
  constructor(cause?: unknown) {
    super(500, 'credentials_invalid', 'The service credentials are missing or malformed', { cause, expose: true });
  }
}

export class InternalError extends HttpError {
  override name = 'InternalError';
  constructor(cause?: unknown) {
    super(500, 'internal_error', 'Internal error', { cause });
  }
}

/** Any thrown value as an `HttpError`; unknown failures become a 500 whose message says nothing. */
export function toHttpError(error: unknown): HttpError {
  return error instanceof HttpError ? error : new InternalError(error);
}

/**
 * Every `{ status, code }` the function can answer with, built from the classes themselves (one instance of
 * each, one per passed-through Cashfree status) so the list cannot drift from what is thrown.
 */
export const FUNCTION_ERRORS: readonly { status: number; code: string }[] = [
  new InvalidRequestError(''),
  ...[...PASSED_THROUGH_STATUSES].filter(isPassedThrough).map((status) => new UpstreamRejectedError(status)),
  new RateLimitedError(1),
  new UpstreamAuthError(),
  new UpstreamUnavailableError(),
  new UpstreamInvalidResponseError(),
  new UpstreamTimeoutError(),
  new CredentialsUnavailableError(),
  new CredentialsInvalidError(),
  new InternalError(),
].map(({ statusCode, code }) => ({ status: statusCode, code }));
