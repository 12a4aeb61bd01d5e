import type { Cryptogram } from '../../lambda/cryptogram.ts';

/**
 * The seven fields of a cryptogram answer, in the order Cashfree documents them; the compiler holds the list to
 * the function's `Cryptogram` type (test/api/openapi.test.ts checks that none is left out).
 */
export const CRYPTOGRAM_FIELDS = [
  'instrument_id',
  'token_requestor_id',
  'card_number',
  'card_expiry_mm',
  'card_expiry_yy',
  'cryptogram',
  'card_display',
] as const satisfies readonly (keyof Cryptogram)[];

/** A well-formed cryptogram answer carrying all seven fields, as Cashfree's example shows one. */
export const SAMPLE_CRYPTOGRAM: Cryptogram = {
  instrument_id: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10',
  token_requestor_id: '22457512314',
  card_number: '4491365621601472',
  card_expiry_mm: '06',
  card_expiry_yy: '2031',
  cryptogram: 'AQBBBBBBZatIlaIAmWKSghwBBBB=',
  card_display: '1234',
};

/** A well-formed Cashfree 200 body for `instrumentId`, with `overrides` applied (undefined removes a field). */
export function cryptogramAnswer(
  instrumentId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...SAMPLE_CRYPTOGRAM, instrument_id: instrumentId, ...overrides };
}
