import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambda/errors.ts';
import { MAX_ID_LENGTH, parseInstrumentIds, pickRequestId } from '../../lambda/request.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

const VALID_INSTRUMENT = '54deabb4-ba45-4a60-9e6a-9c016fe7ab10';
const ALLOWED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@+=-';
// Marks the ids of the leak checks, so "the message contains the id" cannot happen by coincidence.
const MARKER = 'Qz7Wk';

/** The id `parseInstrumentIds` would send upstream, or the error it throws. */
function outcome(params: APIGatewayProxyEvent['pathParameters']): { ids?: unknown; error?: unknown } {
  try {
    return { ids: parseInstrumentIds(params) };
  } catch (error) {
    return { error };
  }
}

const allowedId = fc
  .string({ unit: fc.constantFrom(...ALLOWED), minLength: 1, maxLength: MAX_ID_LENGTH })
  .filter((id) => id !== '.' && !id.includes('..'));

// Characters outside the allow-list: structure, whitespace, controls, percent, quotes, unicode.
const forbiddenChar = fc.oneof(
  fc.constantFrom(
    '/',
    '?',
    '#',
    '%',
    ' ',
    '\t',
    '\n',
    '\r',
    '\0',
    '\x7f',
    '\\',
    '"',
    '<',
    '&',
    '~',
    '\u00a0',
    '\u2028',
  ),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
    .filter((char) => [...char].some((c) => !ALLOWED.includes(c))),
);

/** An id that breaks one of the rules, with the marker in it. */
const invalidId = fc.oneof(
  fc
    .tuple(allowedId, forbiddenChar, allowedId)
    .map(([head, bad, tail]) => `${MARKER}${head}${bad}${tail}`.slice(0, MAX_ID_LENGTH + 40)),
  fc.tuple(allowedId, allowedId).map(([head, tail]) => `${MARKER}${head}..${tail}`),
  fc
    .string({ unit: fc.constantFrom(...ALLOWED), minLength: MAX_ID_LENGTH + 1 - MARKER.length, maxLength: 200 })
    .map((tail) => `${MARKER}${tail}`),
);

describe('parseInstrumentIds', () => {
  it('returns both ids when they are plain tokens', () => {
    // Act
    const ids = parseInstrumentIds({ customer_id: 'cust_demo_1', instrument_id: VALID_INSTRUMENT });

    // Assess
    expect(ids).toEqual({ customerId: 'cust_demo_1', instrumentId: VALID_INSTRUMENT });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a bad percent sequence', 'cust%ZZ'],
    ['a truncated percent sequence', 'cust%2'],
    ['an encoded lone surrogate', 'cust%ED%A0%80'],
    ['a raw slash', 'cust/1'],
    ['an encoded slash', 'cust%2F1'],
    ['a question mark', 'cust%3F1'],
    ['a hash', 'cust%231'],
    ['a dot-dot', 'cust..1'],
    ['an encoded dot-dot', '%2E%2E'],
    ['a bare dot-dot', '..'],
    ['a lone dot', '.'],
    ['a lone encoded dot', '%2E'],
    ['a space', 'cust%201'],
    ['a tab', 'cust%091'],
    ['a newline', 'cust%0A1'],
    ['a NUL', 'cust%001'],
    ['a DEL', 'cust%7F1'],
    ['a double-encoded slash that decodes to a percent', 'cust%252F1'],
    ['a backslash', 'cust%5C1'],
    ['unicode letters', 'cust%C3%A91'],
    ['an emoji', 'cust%F0%9F%92%B3'],
    ['65 characters', 'a'.repeat(MAX_ID_LENGTH + 1)],
  ])('refuses a customer_id with %s as a 400', (_case, customerId) => {
    // Act
    const { ids, error } = outcome({ customer_id: customerId, instrument_id: VALID_INSTRUMENT });

    // Assess
    expect(ids).toBeUndefined();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).statusCode).toBe(400);
    expect((error as InvalidRequestError).message).toContain('customer_id');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['an encoded slash', `${VALID_INSTRUMENT}%2F..`],
    ['whitespace', `${VALID_INSTRUMENT}%20`],
    ['65 characters', 'b'.repeat(MAX_ID_LENGTH + 1)],
  ])('refuses an instrument_id with %s as a 400 naming instrument_id', (_case, instrumentId) => {
    // Act
    const { error } = outcome({ customer_id: 'cust_demo_1', instrument_id: instrumentId });

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toContain('instrument_id');
  });

  it('refuses a request with no path parameters at all', () => {
    // Act
    const { error } = outcome(null);

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestError);
  });

  it.each([
    ['an encoded dot', 'a%2Eb', 'a.b'],
    ['encoded allowed marks', 'user%40example%3A1%2B2%3D3', 'user@example:1+2=3'],
    ['a literal plus, which is not a space in a path', 'a+b', 'a+b'],
    ['exactly 64 characters', 'c'.repeat(MAX_ID_LENGTH), 'c'.repeat(MAX_ID_LENGTH)],
    ['64 characters once decoded', '%41'.repeat(MAX_ID_LENGTH), 'A'.repeat(MAX_ID_LENGTH)],
    ['single dots', '.a.b.', '.a.b.'],
  ])('decodes a customer_id with %s exactly once', (_case, raw, decoded) => {
    // Act
    const ids = parseInstrumentIds({ customer_id: raw, instrument_id: VALID_INSTRUMENT });

    // Assess
    expect(ids.customerId).toBe(decoded);
  });

  it('round-trips every id of the allowed alphabet that API Gateway percent-encodes', () => {
    fc.assert(
      fc.property(allowedId, allowedId, (customerId, instrumentId) => {
        // Act
        const ids = parseInstrumentIds({
          customer_id: encodeURIComponent(customerId),
          instrument_id: encodeURIComponent(instrumentId),
        });

        // Assess
        expect(ids).toEqual({ customerId, instrumentId });
      }),
    );
  });

  it('refuses every percent-encoded id that breaks a rule with an InvalidRequestError that does not quote it', () => {
    fc.assert(
      fc.property(invalidId, fc.boolean(), (id, asInstrument) => {
        // Prepare: API Gateway hands the id over percent-encoded
        const raw = encodeURIComponent(id);
        const params = asInstrument
          ? { customer_id: 'cust_demo_1', instrument_id: raw }
          : { customer_id: raw, instrument_id: VALID_INSTRUMENT };

        // Act
        const { error } = outcome(params);

        // Assess
        expect(error).toBeInstanceOf(InvalidRequestError);
        const { message } = error as InvalidRequestError;
        expect(message).not.toContain(MARKER);
        expect(message).not.toContain(raw);
      }),
    );
  });

  it('never returns an id outside the rules, whatever raw text arrives', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (raw) => {
        // Act
        const { ids, error } = outcome({ customer_id: raw, instrument_id: VALID_INSTRUMENT });

        // Assess
        if (error !== undefined) {
          expect(error).toBeInstanceOf(InvalidRequestError);
          return;
        }
        const { customerId } = ids as { customerId: string };
        expect(customerId).toBe(decodeURIComponent(raw));
        expect(customerId.length).toBeGreaterThan(0);
        expect(customerId.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
        expect([...customerId].every((char) => ALLOWED.includes(char))).toBe(true);
        expect(customerId).not.toContain('..');
        expect(customerId).not.toBe('.');
      }),
      { numRuns: 500 },
    );
  });
});

describe('pickRequestId', () => {
  const context: Context = lambdaContext();
  const withHeaders = (headers: Record<string, string>, requestId = 'apigw-request-id-1') =>
    apiGatewayEvent({ customerId: 'c', instrumentId: 'i', headers, requestId });

  it.each(['x-request-id', 'X-Request-Id', 'X-REQUEST-ID'])(
    "uses the caller's %s header when it is a plain token",
    (name) => {
      // Prepare
      const event = withHeaders({ [name]: 'caller-req_42:a.b' });

      // Act
      const requestId = pickRequestId(event, context);

      // Assess
      expect(requestId).toBe('caller-req_42:a.b');
    },
  );

  it('accepts a caller id of 128 characters', () => {
    // Prepare
    const callerId = 'r'.repeat(128);

    // Act
    const requestId = pickRequestId(withHeaders({ 'x-request-id': callerId }), context);

    // Assess
    expect(requestId).toBe(callerId);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'abc def'],
    ['with a newline', 'abc\r\nx-client-secret: leaked'],
    ['with a slash', 'a/b'],
    ['with unicode', 'réq'],
    ['longer than 128 characters', 'r'.repeat(129)],
  ])("falls back to API Gateway's request id when the caller's header is %s", (_case, callerId) => {
    // Prepare
    const event = withHeaders({ 'x-request-id': callerId }, 'apigw-fallback-7');

    // Act
    const requestId = pickRequestId(event, context);

    // Assess
    expect(requestId).toBe('apigw-fallback-7');
  });

  it("uses API Gateway's request id when the caller sends none", () => {
    // Act
    const requestId = pickRequestId(withHeaders({ accept: 'application/json' }, 'apigw-only-3'), context);

    // Assess
    expect(requestId).toBe('apigw-only-3');
  });

  it("uses Lambda's request id when neither the caller nor API Gateway gives one", () => {
    // Prepare
    const event = {
      headers: null,
      requestContext: undefined,
    } as unknown as Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>;

    // Act
    const requestId = pickRequestId(event, context);

    // Assess
    expect(requestId).toBe(context.awsRequestId);
  });

  it("uses Lambda's request id when API Gateway's is empty", () => {
    // Prepare
    const event = withHeaders({});
    event.requestContext.requestId = '';

    // Act
    const requestId = pickRequestId(event, context);

    // Assess
    expect(requestId).toBe(context.awsRequestId);
  });
});
