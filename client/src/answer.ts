import { isDocumented, type ServiceErrorCode } from './codes.ts';
import { isValidRequestId } from './ids.ts';
import { CRYPTOGRAM_FIELDS, type Cryptogram } from './types.ts';

/**
 * The most bytes the client reads of any answer. The service's largest is under 1 KiB (a 200 with a 512-character
 * cryptogram; an error is about 150 bytes), and the function caps Cashfree's 200 at the same 64 KiB. API
 * Gateway's own limit, 10 MB, would let a wrong or hostile `baseUrl` hold that much per call in flight.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

const FIELD_FORMATS: Record<Exclude<keyof Cryptogram, 'instrument_id'>, (value: string) => boolean> = {
  token_requestor_id: (value) => /^[0-9]{1,32}$/.test(value),
  card_number: (value) => /^[0-9]{12,19}$/.test(value),
  card_expiry_mm: (value) => /^(0[1-9]|1[0-2])$/.test(value),
  card_expiry_yy: (value) => /^([0-9]{2}|[0-9]{4})$/.test(value),
  // Counted in code points, as JSON Schema's maxLength is.
  cryptogram: (value) => /\S/.test(value) && [...value].length <= 512,
  // Mask characters, then the last four digits: never a full PAN.
  card_display: (value) => /^[Xx*. -]{0,15}[0-9]{4}$/.test(value),
};

/**
 * The answer's body as text, or `undefined` when the client will not read it: longer than `MAX_ANSWER_BYTES`
 * (by its `content-length` or as it streams in) or compressed. The client asks for `identity`; a compressed
 * answer is not decoded at all, so no compression ratio can multiply what is held.
 */
export async function readBody(response: Response): Promise<string | undefined> {
  const length = response.headers.get('content-length');
  const encoding = response.headers.get('content-encoding')?.trim().toLowerCase();
  if ((length !== null && !(Number(length) <= MAX_ANSWER_BYTES)) || (encoding && encoding !== 'identity')) {
    void response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > MAX_ANSWER_BYTES) {
      // Cancelling closes the connection: nothing more of the body is received.
      void reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A 200's cryptogram when it has the five required fields, each field in its documented format. */
export function parseCryptogram(text: string | undefined, instrumentId: string): Cryptogram | undefined {
  const body = parseObject(text);
  if (!body) return undefined;
  const picked: Record<string, string> = {};
  for (const [field, presence] of Object.entries(CRYPTOGRAM_FIELDS) as [keyof Cryptogram, string][]) {
    const value = body[field];
    if (value === undefined && presence === 'optional') continue;
    if (typeof value !== 'string') return undefined;
    const valid = field === 'instrument_id' ? value === instrumentId : FIELD_FORMATS[field](value);
    if (!valid) return undefined;
    picked[field] = value;
  }
  return picked as unknown as Cryptogram;
}

/**
 * What the client keeps of an error body: its `code` when the document lists it for this status, and the
 * `requestId` of an API Gateway refusal when it has the id shape. Nothing else of the body, the message included.
 */
export function parseRefusal(
  text: string | undefined,
  status: number,
): { code: ServiceErrorCode | undefined; requestId: string | undefined } {
  const body = parseObject(text);
  const code = body?.code;
  const requestId = body?.requestId;
  return {
    code: typeof code === 'string' && isDocumented(code, status) ? code : undefined,
    requestId: isValidRequestId(requestId) ? requestId : undefined,
  };
}

/**
 * The id to report, in the contract's order: the function's `x-request-id`, the refusal body's `requestId`,
 * API Gateway's `x-amzn-RequestId`, each only when it has the id shape; else the id the client sent.
 */
export function answeredRequestId(headers: Headers, bodyRequestId: string | undefined, sentId: string): string {
  const candidates = [headers.get('x-request-id'), bodyRequestId, headers.get('x-amzn-requestid')];
  return candidates.find(isValidRequestId) ?? sentId;
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The parser's message would quote the text, which may hold card data: it is not kept.
    return undefined;
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}
