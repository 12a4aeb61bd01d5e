import fc from 'fast-check';
import { OpenAPIBackend } from 'openapi-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import { parseCryptogram } from '../../client/src/answer.ts';
import { ERROR_CODES } from '../../client/src/codes.ts';
import { CLIENT_ERROR_CODES } from '../../client/src/errors.ts';
import { CRYPTOGRAM_FIELDS } from '../../client/src/types.ts';
import { FUNCTION_ERRORS } from '../../lambda/errors.ts';
import { at, documentedErrors, loadDocument, operation } from '../api/document.ts';

const responses = at(operation().item, 'get', 'responses') as Record<string, never>;
const table = Object.entries(ERROR_CODES);
const listedAt = (status: string | number, by: 'function' | 'gateway') =>
  table
    .filter(([, entry]) => (entry.by as readonly string[]).includes(by))
    .filter(([, entry]) => (entry.statuses as readonly (string | number)[]).map(String).includes(String(status)))
    .map(([code]) => code)
    .sort();

describe("the client's table of codes", () => {
  it('lists for every status of the document exactly the codes the document lists, by who answers them', () => {
    const { 200: _cryptogram, ...errors } = responses;
    for (const [status, response] of Object.entries(errors)) {
      for (const by of ['function', 'gateway'] as const) {
        const documented = documentedErrors(response).filter((error) => error.by === by);
        expect(listedAt(status, by), `${status} ${by}`).toEqual(documented.map(({ code }) => code).sort());
      }
    }
  });

  it('lists every code the function answers, at its status, and none it does not', () => {
    for (const { status, code } of FUNCTION_ERRORS) expect(listedAt(status, 'function'), code).toContain(code);
    const functionCodes = new Set(FUNCTION_ERRORS.map(({ code }) => code));
    for (const [code, entry] of table) {
      expect((entry.by as readonly string[]).includes('function'), code).toBe(functionCodes.has(code));
    }
  });

  it('lists every refusal of API Gateway, at its status, and none it does not', () => {
    for (const refusal of Object.values(GATEWAY_REFUSALS)) {
      expect(listedAt(refusal.status, 'gateway'), refusal.type).toContain(refusal.code);
    }
    const refusalCodes = new Set<string>(Object.values(GATEWAY_REFUSALS).map(({ code }) => code));
    for (const [code, entry] of table) {
      expect((entry.by as readonly string[]).includes('gateway'), code).toBe(refusalCodes.has(code));
    }
  });

  it('lists the client own codes, which the document does not, but for invalid_request which means the same', () => {
    const own = table.filter(([, entry]) => (entry.by as readonly string[]).includes('client')).map(([code]) => code);
    expect(own.sort()).toEqual(Object.values(CLIENT_ERROR_CODES).sort());
    const documented = new Set(Object.values(responses).flatMap((r) => documentedErrors(r).map(({ code }) => code)));
    for (const code of own) expect(documented.has(code), code).toBe(code === CLIENT_ERROR_CODES.invalidRequest);
  });

  it('gives every code its own fixed message', () => {
    const messages = table.map(([, entry]) => entry.message);
    expect(new Set(messages).size).toBe(messages.length);
  });
});

describe("the client's 200 and the document's", () => {
  const schema = at(responses['200'] ?? null, 'content', 'application/json', 'schema');
  const api = new OpenAPIBackend({ definition: loadDocument() as never, quick: true });
  beforeAll(async () => {
    await api.init();
  });

  it('have the same seven fields, and require the same five', () => {
    expect(Object.keys(CRYPTOGRAM_FIELDS).sort()).toEqual(Object.keys(at(schema, 'properties') as object).sort());
    const required = Object.entries(CRYPTOGRAM_FIELDS).filter(([, presence]) => presence === 'required');
    expect(required.map(([field]) => field).sort()).toEqual([...(at(schema, 'required') as string[])].sort());
  });

  it('accept a body exactly when the document allows it', () => {
    const INSTRUMENT = '54deabb4-ba45-4a60-9e6a-9c016fe7ab10';
    const digits = (minLength: number, maxLength: number) =>
      fc.string({ unit: fc.constantFrom('0', '1', '7', '9'), minLength, maxLength });
    // Mostly values near the rule's edges, so that both sides of every rule are tried often.
    const near = (valid: fc.Arbitrary<unknown>, edges: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { arbitrary: valid, weight: 12 },
        { arbitrary: edges, weight: 3 },
        { arbitrary: fc.oneof(fc.string({ maxLength: 24 }), fc.integer(), fc.constant(null)), weight: 1 },
      );
    const field = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 12 });
    const body = fc.record({
      instrument_id: field(fc.constant(INSTRUMENT)),
      token_requestor_id: field(near(digits(1, 32), digits(0, 34))),
      card_number: field(near(digits(12, 19), digits(10, 21))),
      card_expiry_mm: field(near(fc.constantFrom('01', '09', '10', '12'), fc.constantFrom('00', '13', '1', '001'))),
      card_expiry_yy: field(near(fc.constantFrom('31', '2031'), digits(1, 5))),
      cryptogram: field(
        near(
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
          fc.oneof(
            fc.string({ unit: fc.constantFrom(' ', '\t', '\n'), maxLength: 4 }),
            fc.string({ unit: fc.constantFrom('A', '='), minLength: 510, maxLength: 514 }),
            fc.string({ unit: 'binary', minLength: 510, maxLength: 514 }),
          ),
        ),
      ),
      card_display: field(
        near(
          fc
            .tuple(fc.string({ unit: fc.constantFrom('X', 'x', '*', '.', ' ', '-'), maxLength: 15 }), digits(4, 4))
            .map(([mask, last4]) => mask + last4),
          fc.oneof(
            fc.string({ unit: fc.constantFrom('X', 'x', '*', '.', ' ', '-', '1', '9', 'a'), maxLength: 21 }),
            digits(3, 19),
          ),
        ),
      ),
    });
    fc.assert(
      fc.property(body, (candidate) => {
        const sent = Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
        const documented = api.validateResponse(sent, 'getCryptogram', 200).valid;
        expect(parseCryptogram(JSON.stringify(sent), INSTRUMENT) !== undefined, JSON.stringify(sent)).toBe(documented);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses an answer for another instrument than the one asked for', () => {
    const answer = {
      instrument_id: 'another',
      card_number: '4491365621601472',
      card_expiry_mm: '06',
      card_expiry_yy: '2031',
      cryptogram: 'c',
    };
    expect(parseCryptogram(JSON.stringify(answer), 'another')).toEqual(answer);
    expect(parseCryptogram(JSON.stringify(answer), 'asked')).toBeUndefined();
  });
});
