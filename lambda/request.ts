import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import * as v from 'valibot';
import { InvalidRequestError } from './errors.ts';

export interface InstrumentIds {
  customerId: string;
  instrumentId: string;
}

export const MAX_ID_LENGTH = 64;

// An allow-list, not a deny-list: whatever is not a letter, digit or one of these few marks is refused, which
// covers '/', '?', '#', '%', whitespace, control characters and anything a URL would treat as structure.
const ID_PATTERN = /^[A-Za-z0-9_.:@+=-]+$/;

const idSchema = (name: string) =>
  v.pipe(
    v.string(),
    v.nonEmpty(`${name} is empty`),
    v.maxLength(MAX_ID_LENGTH, `${name} is longer than ${MAX_ID_LENGTH} characters`),
    v.regex(ID_PATTERN, `${name} may contain only letters, digits and _ . : @ + = -`),
    // URL parsers resolve '.' and '..' segments (encoded or not), which would change the path Cashfree sees.
    v.check((id) => id !== '.' && !id.includes('..'), `${name} must not be '.' or contain '..'`),
  );

const customerIdSchema = idSchema('customer_id');
const instrumentIdSchema = idSchema('instrument_id');

function decodeOnce(name: string, raw: string | undefined): string {
  if (raw === undefined) throw new InvalidRequestError(`${name} is missing`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidRequestError(`${name} is not valid percent-encoding`);
  }
}

function validId(schema: ReturnType<typeof idSchema>, name: string, raw: string | undefined): string {
  const result = v.safeParse(schema, decodeOnce(name, raw), { abortEarly: true });
  // The issue's message is fixed text from the schema; the id itself is never echoed.
  if (!result.success) throw new InvalidRequestError(result.issues[0].message);
  return result.output;
}

/** Decodes (once) and validates the two path ids; throws `InvalidRequestError` before anything is called. */
export function parseInstrumentIds(pathParameters: APIGatewayProxyEvent['pathParameters']): InstrumentIds {
  return {
    customerId: validId(customerIdSchema, 'customer_id', pathParameters?.customer_id),
    instrumentId: validId(instrumentIdSchema, 'instrument_id', pathParameters?.instrument_id),
  };
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The id sent to Cashfree and back to the caller: the caller's `x-request-id` when it is a plain token, else
 * API Gateway's request id, else Lambda's.
 */
export function pickRequestId(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>,
  context: Context,
): string {
  const headers = event.headers ?? {};
  for (const name in headers) {
    if (name.toLowerCase() !== 'x-request-id') continue;
    const value = headers[name];
    if (value !== undefined && REQUEST_ID_PATTERN.test(value)) return value;
  }
  return event.requestContext?.requestId || context.awsRequestId;
}
