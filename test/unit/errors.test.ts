import { describe, expect, it } from 'vitest';
import {
  CredentialsInvalidError,
  CredentialsUnavailableError,
  FUNCTION_ERRORS,
  HttpError,
  InternalError,
  InvalidRequestError,
  PASSED_THROUGH_STATUSES,
  RateLimitedError,
  toHttpError,
  UpstreamAuthError,
  UpstreamInvalidResponseError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lambda/errors.ts';

describe('error classes', () => {
  it.each([
    ['InvalidRequestError', () => new InvalidRequestError('customer_id is empty'), 400, 'invalid_request', true],
    ['UpstreamRejectedError 400', () => new UpstreamRejectedError(400), 400, 'upstream_bad_request', true],
    ['UpstreamRejectedError 404', () => new UpstreamRejectedError(404), 404, 'instrument_not_found', true],
    ['UpstreamRejectedError 409', () => new UpstreamRejectedError(409), 409, 'upstream_conflict', true],
    ['UpstreamRejectedError 422', () => new UpstreamRejectedError(422), 422, 'upstream_unprocessable', true],
    ['RateLimitedError', () => new RateLimitedError(3), 429, 'rate_limited', true],
    ['UpstreamAuthError', () => new UpstreamAuthError(), 502, 'upstream_auth_failed', true],
    ['UpstreamUnavailableError', () => new UpstreamUnavailableError('status 503'), 502, 'upstream_unavailable', true],
    [
      'UpstreamInvalidResponseError',
      () => new UpstreamInvalidResponseError('body is not JSON'),
      502,
      'upstream_invalid_response',
      true,
    ],
    ['UpstreamTimeoutError', () => new UpstreamTimeoutError('deadline'), 504, 'upstream_timeout', true],
    [
      'CredentialsUnavailableError',
      () => new CredentialsUnavailableError('ThrottlingException'),
      503,
      'credentials_unavailable',
      true,
    ],
    ['CredentialsInvalidError', () => new CredentialsInvalidError('SecretNotJson'), 500, 'credentials_invalid', true],
    ['InternalError', () => new InternalError(new Error('boom')), 500, 'internal_error', false],
  ] as const)('gives %s its status, code and exposure', (name, make, statusCode, code, expose) => {
    // Act
    const error = make();

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name.split(' ')[0]);
    expect({ statusCode: error.statusCode, code: error.code, expose: error.expose }).toEqual({
      statusCode,
      code,
      expose,
    });
    expect(error.message).not.toBe('');
  });

  it('passes exactly Cashfree 400, 404, 409 and 422 through', () => {
    // Act
    const statuses = [...PASSED_THROUGH_STATUSES].sort();

    // Assess
    expect(statuses).toEqual([400, 404, 409, 422]);
  });

  it('carries the wait in a retry-after header on RateLimitedError', () => {
    // Act
    const error = new RateLimitedError(42);

    // Assess
    expect(error.headers).toEqual({ 'retry-after': '42' });
  });

  it('tells the caller when to retry on a 503, as on every 429', () => {
    // Act
    const error = new CredentialsUnavailableError('ThrottlingException');

    // Assess
    expect(error.statusCode).toBe(503);
    expect(Number(error.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('sends no extra headers on other errors', () => {
    // Act
    const error = new UpstreamTimeoutError();

    // Assess
    expect(error.headers).toEqual({});
  });

  it('keeps the original failure as cause', () => {
    // Prepare
    const original = new Error('socket hang up');

    // Act
    const error = new UpstreamUnavailableError(original);

    // Assess
    expect(error.cause).toBe(original);
  });

  it('exposes a plain HttpError below 500 and hides one at 500 or above by default', () => {
    // Act
    const [client, server] = [new HttpError(418, 'teapot', 'short and stout'), new HttpError(500, 'x', 'detail')];

    // Assess
    expect(client.expose).toBe(true);
    expect(server.expose).toBe(false);
  });
});

describe('toHttpError', () => {
  it('returns an HttpError unchanged', () => {
    // Prepare
    const error = new UpstreamAuthError();

    // Act
    const result = toHttpError(error);

    // Assess
    expect(result).toBe(error);
  });

  it.each([
    ['an Error', new TypeError("Cannot read properties of undefined (reading 'card_number 4491365621601472')")],
    ['a string', 'client_secret=cfsk_ma_test_LEAK'],
    ['an object', { card_number: '4491365621601472' }],
    ['undefined', undefined],
  ])('wraps %s as a 500 that does not expose its message', (_case, thrown) => {
    // Act
    const error = toHttpError(thrown);

    // Assess
    expect(error).toBeInstanceOf(InternalError);
    expect(error.statusCode).toBe(500);
    expect(error.expose).toBe(false);
    expect(error.cause).toBe(thrown);
    expect(error.message).not.toContain('4491365621601472');
    expect(error.message).not.toContain('cfsk_ma_test_LEAK');
  });
});

describe('FUNCTION_ERRORS', () => {
  it('lists every status and code the function answers with, once each', () => {
    // Act
    const pairs = FUNCTION_ERRORS.map(({ status, code }) => `${status} ${code}`);

    // Assess
    expect(pairs.sort()).toEqual(
      [
        '400 invalid_request',
        '400 upstream_bad_request',
        '404 instrument_not_found',
        '409 upstream_conflict',
        '422 upstream_unprocessable',
        '429 rate_limited',
        '500 credentials_invalid',
        '500 internal_error',
        '502 upstream_auth_failed',
        '502 upstream_invalid_response',
        '502 upstream_unavailable',
        '503 credentials_unavailable',
        '504 upstream_timeout',
      ].sort(),
    );
  });

  it('follows the passed-through Cashfree statuses', () => {
    // Act
    const statuses = new Set(FUNCTION_ERRORS.map(({ status }) => status));

    // Assess
    for (const status of PASSED_THROUGH_STATUSES) expect(statuses.has(status)).toBe(true);
  });
});
