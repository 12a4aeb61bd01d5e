import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidId, isValidRequestId } from '../../client/src/index.ts';
import { MAX_ID_LENGTH, parseInstrumentIds, pickRequestId } from '../../lambda/request.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

const functionAcceptsId = (id: string) => {
  try {
    parseInstrumentIds({ customer_id: encodeURIComponent(id), instrument_id: 'x' });
    return true;
  } catch {
    return false;
  }
};

const functionKeepsRequestId = (id: string) => {
  const context = lambdaContext(1000, 'f', 'lambda-id');
  const event = apiGatewayEvent({
    customerId: 'c',
    instrumentId: 'i',
    headers: { 'x-request-id': id },
    requestId: 'gw',
  });
  return pickRequestId(event, context) === id;
};

const near = 'aZ09_.:@+=-%/?# \u00e9\u212a\u{1f600}\n';

describe('the client id rules', () => {
  it('accept an id exactly when the function does, so a bad id never leaves the caller', () => {
    const id = fc.oneof(
      fc.string({ unit: fc.constantFrom(...near), maxLength: MAX_ID_LENGTH + 2 }),
      fc.string({ unit: fc.constantFrom('a', '.'), maxLength: 5 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.string({ unit: fc.constantFrom('a', '-'), minLength: MAX_ID_LENGTH - 1, maxLength: MAX_ID_LENGTH + 1 }),
    );
    fc.assert(
      fc.property(id, (value) => {
        expect(isValidId(value)).toBe(functionAcceptsId(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('accept a request id exactly when the function keeps it', () => {
    const id = fc.oneof(
      fc.string({ unit: fc.constantFrom(...near), maxLength: 130 }),
      fc.string({ unit: fc.constantFrom('a', ':'), minLength: 127, maxLength: 129 }),
    );
    fc.assert(
      fc.property(id, (value) => {
        expect(isValidRequestId(value)).toBe(functionKeepsRequestId(value));
      }),
      { numRuns: 1000 },
    );
  });
});
