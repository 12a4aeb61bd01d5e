/** A well-formed Cashfree 200 body for `instrumentId`, with `overrides` applied (undefined removes a field). */
export function cryptogramAnswer(
  instrumentId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    instrument_id: instrumentId,
    token_requestor_id: '22457512314',
    card_number: '4491365621601472',
    card_expiry_mm: '06',
    card_expiry_yy: '2031',
    cryptogram: 'AQBBBBBBZatIlaIAmWKSghwBBBB=',
    card_display: '1234',
    ...overrides,
  };
}
