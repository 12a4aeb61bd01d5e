import * as v from 'valibot';
import { UpstreamInvalidResponseError } from './errors.ts';

// Cashfree's three OpenAPI documents mark all seven CryptogramEntity fields optional; the service guarantees five
// and passes the other two on only when Cashfree sent them, never invented (contract §2). valibot's object drops
// any key Cashfree adds, and each field has a format and a length cap, so a 200 can pass through only what a
// card-network token answer can hold.
const cryptogramSchema = v.object({
  // Required and compared with the id asked for: a 200 that names no card is never taken for this one.
  instrument_id: v.string(),
  // Card networks issue 11-digit TRIDs; 32 leaves room without letting a large field through.
  token_requestor_id: v.optional(v.pipe(v.string(), v.regex(/^\d{1,32}$/))),
  card_number: v.pipe(v.string(), v.regex(/^\d{12,19}$/)),
  card_expiry_mm: v.pipe(v.string(), v.regex(/^(0[1-9]|1[0-2])$/)),
  // Four digits in Cashfree's example, two in some of its other material.
  card_expiry_yy: v.pipe(v.string(), v.regex(/^(\d{2}|\d{4})$/)),
  cryptogram: v.pipe(
    v.string(),
    v.maxLength(512),
    v.check((value) => value.trim() !== ''),
  ),
  // At most the last four digits, masked or not: callers show and log it as safe, so 19 digits here (a full PAN)
  // must never pass.
  card_display: v.optional(v.pipe(v.string(), v.regex(/^[Xx*. -]{0,15}[0-9]{4}$/))),
});

export type Cryptogram = v.InferOutput<typeof cryptogramSchema>;

/** The cryptogram answer in a Cashfree 200 body for `instrumentId`, or an `UpstreamInvalidResponseError`. */
export function parseCryptogram(text: string, instrumentId: string): Cryptogram {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold a token PAN: it is dropped, not wrapped.
    throw new UpstreamInvalidResponseError('body is not JSON');
  }
  // Neither the issues nor the input are kept: both can quote a token PAN or a cryptogram.
  const result = v.safeParse(cryptogramSchema, body);
  if (!result.success) throw new UpstreamInvalidResponseError('body fields missing or malformed');
  if (result.output.instrument_id !== instrumentId) {
    throw new UpstreamInvalidResponseError('body describes another instrument');
  }
  return result.output;
}
