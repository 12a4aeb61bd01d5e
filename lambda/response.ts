import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Cryptogram } from './cryptogram.ts';
import type { HttpError } from './errors.ts';

// A cryptogram is single-use and the token PAN is card data: no cache, proxy or browser may keep either.
function headers(requestId: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...extra,
  };
}

export function cryptogramResponse(cryptogram: Cryptogram, requestId: string): APIGatewayProxyResult {
  return { statusCode: 200, headers: headers(requestId), body: JSON.stringify(cryptogram) };
}

/** The caller's view of an error: `{ message, code }`, the message only when it was written for the caller. */
export function errorResponse(error: HttpError, requestId: string): APIGatewayProxyResult {
  const message = error.expose ? error.message : 'Internal error';
  return {
    statusCode: error.statusCode,
    headers: headers(requestId, error.headers),
    body: JSON.stringify({ message, code: error.code }),
  };
}
