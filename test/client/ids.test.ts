import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidId, isValidRequestId } from '../../client/src/index.ts';
import { parseInstrumentIds, pickRequestId } from '../../lambda/request.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import { idCandidates, NEAR_ID_CHARACTERS } from '../support/id-candidates.ts';

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

describe('the client id rules', () => {
  it('accept an id exactly when the function does, so a bad id never leaves the caller', () => {
    fc.assert(
      fc.property(idCandidates, (value) => {
        expect(isValidId(value)).toBe(functionAcceptsId(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('accept a request id exactly when the function keeps it', () => {
    const id = fc.oneof(
      fc.string({ unit: fc.constantFrom(...NEAR_ID_CHARACTERS), maxLength: 130 }),
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
