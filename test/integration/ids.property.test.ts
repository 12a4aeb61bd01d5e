import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH } from '../../lambda/request.ts';
import { invoke, setUp } from '../support/handler-harness.ts';

const ctx = await setUp({ rateLimitPerMinute: Number.MAX_SAFE_INTEGER });
const { upstreams } = ctx;
let handler: Awaited<ReturnType<typeof ctx.loadHandler>>;

beforeAll(async () => {
  handler = await ctx.loadHandler();
});

const ALLOWED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@+=-';

const validId = fc
  .string({ unit: fc.constantFrom(...ALLOWED), minLength: 1, maxLength: MAX_ID_LENGTH })
  .filter((id) => id !== '.' && !id.includes('..'));

// Strings that break at least one rule: a character outside the allow-list, a dot segment, or too long.
const invalidId = fc.oneof(
  fc.constantFrom('.', '..'),
  fc
    .tuple(validId, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), validId)
    .map(([a, bad, b]) => `${a}${bad}${b}`)
    .filter((id) => [...id].some((ch) => !ALLOWED.includes(ch))),
  fc.tuple(validId, validId).map(([a, b]) => `${a}..${b}`),
  fc.string({ unit: fc.constantFrom(...ALLOWED), minLength: MAX_ID_LENGTH + 1, maxLength: MAX_ID_LENGTH * 2 }),
);

const lastCashfreePath = () => upstreams.cashfree.requests.at(-1)?.path ?? '';

describe('ids, for any input', () => {
  it('refuses every invalid id with 400 and never calls Cashfree', async () => {
    await fc.assert(
      fc.asyncProperty(invalidId, fc.boolean(), async (id, asCustomer) => {
        const callsBefore = upstreams.cashfree.requests.length;
        const encoded = encodeURIComponent(id);

        const { response } = await invoke(handler, asCustomer ? { customerId: encoded } : { instrumentId: encoded });

        expect(response.statusCode).toBe(400);
        expect(JSON.parse(response.body)).toEqual({
          message: expect.stringMatching(asCustomer ? /^customer_id / : /^instrument_id /),
          code: 'invalid_request',
        });
        expect(upstreams.cashfree.requests.length).toBe(callsBefore);
      }),
      { numRuns: 200 },
    );
  });

  it('sends every valid id to Cashfree exactly as the caller meant it', async () => {
    await fc.assert(
      fc.asyncProperty(validId, validId, async (customerId, instrumentId) => {
        await invoke(handler, {
          customerId: encodeURIComponent(customerId),
          instrumentId: encodeURIComponent(instrumentId),
        });

        const [, , sentCustomer, , sentInstrument] = lastCashfreePath().split('/').slice(1);
        expect(decodeURIComponent(sentCustomer ?? '')).toBe(customerId);
        expect(decodeURIComponent(sentInstrument ?? '')).toBe(instrumentId);
      }),
      { numRuns: 200 },
    );
  });
});
