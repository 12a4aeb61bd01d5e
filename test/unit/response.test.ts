import { describe, expect, it } from 'vitest';
import {
  HttpError,
  InternalError,
  InvalidRequestError,
  RateLimitedError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../lambda/errors.ts';
import { cryptogramResponse, errorResponse } from '../../lambda/response.ts';
import { SAMPLE_CRYPTOGRAM } from '../support/cashfree-answers.ts';

const REQUEST_ID = 'req-resp-1';

describe('cryptogramResponse', () => {
  it('answers 200 with the cryptogram as the JSON body', () => {
    // Act
    const response = cryptogramResponse(SAMPLE_CRYPTOGRAM, REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(SAMPLE_CRYPTOGRAM);
  });

  it('marks the answer as uncacheable JSON carrying the request id', () => {
    // Act
    const { headers } = cryptogramResponse(SAMPLE_CRYPTOGRAM, REQUEST_ID);

    // Assess
    expect(headers).toEqual({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-request-id': REQUEST_ID,
    });
  });
});

describe('errorResponse', () => {
  it.each([
    ['InvalidRequestError', new InvalidRequestError('customer_id is empty')],
    ['UpstreamRejectedError', new UpstreamRejectedError(404)],
    ['UpstreamTimeoutError', new UpstreamTimeoutError('deadline')],
    ['RateLimitedError', new RateLimitedError(9)],
  ])('answers %s with its status and a body of exactly its message and code', (_case, error) => {
    // Act
    const response = errorResponse(error, REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(error.statusCode);
    expect(JSON.parse(response.body)).toStrictEqual({ message: error.message, code: error.code });
  });

  it('sends the JSON, no-store and x-request-id headers on errors too', () => {
    // Act
    const { headers } = errorResponse(new UpstreamRejectedError(409), 'req-err-2');

    // Assess
    expect(headers).toEqual({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-request-id': 'req-err-2',
    });
  });

  it('adds retry-after to a 429', () => {
    // Act
    const response = errorResponse(new RateLimitedError(12), REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'retry-after': '12', 'content-type': 'application/json' });
  });

  it('replaces the message of an error not written for the caller', () => {
    // Prepare
    const error = new HttpError(500, 'boom', 'card 4491365621601472 broke the parser');

    // Act
    const response = errorResponse(error, REQUEST_ID);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toStrictEqual({ message: 'Internal error', code: 'boom' });
  });

  it('never puts the cause or stack of an internal error in the body', () => {
    // Prepare
    let cause: unknown;
    try {
      JSON.parse('{"card_number": "4491365621601472", oops}');
    } catch (error) {
      cause = error;
    }

    // Act
    const { body } = errorResponse(new InternalError(cause), REQUEST_ID);

    // Assess
    expect(body).not.toContain('4491365621601472');
    expect(body).not.toContain('SyntaxError');
    expect(body).not.toContain(' at ');
  });
});
