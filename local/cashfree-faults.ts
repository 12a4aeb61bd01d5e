import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendJson } from './http.ts';

export interface FaultInfo {
  description: string;
  /**
   * True when Cashfree's 2022-09-01 OpenAPI document describes this answer for the cryptogram call (its status,
   * content type, body schema and headers); false for what only real networks and proxies do.
   * test/contract/ holds both labels to the document.
   */
  documented: boolean;
}

/**
 * Every failure the simulator can play, for tests (`failNext`) and for curl (a customer_id of `sim_<fault>`).
 * The answers that Cashfree documents use its own error types and headers; the rest are labelled undocumented.
 */
export const FAULTS = {
  '400': { documented: true, description: 'Cashfree 400 BadRequestError (invalid_request_error)' },
  '401': { documented: true, description: 'Cashfree 401 AuthenticationError (authentication_error)' },
  '403': { documented: false, description: 'a 403 with an authentication_error body; not listed for this call' },
  '404': { documented: true, description: 'Cashfree 404 ApiError404, code instrument_not_found' },
  '409': { documented: true, description: 'Cashfree 409 ApiError409 (invalid_request_error)' },
  '422': { documented: true, description: 'Cashfree 422 IdempotencyError (idempotency_error)' },
  '429': { documented: true, description: 'Cashfree 429 RateLimitError, x-ratelimit-retry 1' },
  retry_4s: { documented: true, description: 'Cashfree 429 RateLimitError, x-ratelimit-retry 4' },
  '500': { documented: true, description: 'Cashfree 500 ApiError (api_error, internal_error)' },
  '502': { documented: true, description: 'Cashfree 502 ApiError502 (api_error, bank_processing_failure)' },
  '502_html': { documented: false, description: 'an HTML 502 from a load balancer in front of Cashfree' },
  '503': { documented: false, description: 'a plain-text 503 from a load balancer' },
  slow: { documented: false, description: 'no answer until slowDelayMs has passed, then a gateway HTML 504' },
  slow_body: {
    documented: false,
    description: 'a 200 whose headers come at once and whose body trickles in over slowDelayMs',
  },
  reset: { documented: false, description: 'the connection is destroyed before any response byte' },
  reset_on_reuse: {
    documented: false,
    description: 'a normal 200, then the kept-alive connection is destroyed when its next request arrives',
  },
  redirect: { documented: false, description: 'a 302 to another origin, which answers a 200 of its own' },
  huge_body: { documented: false, description: 'a 200 JSON body far over 64 KiB, streamed without content-length' },
  huge_length: { documented: false, description: 'the huge_body answer with its content-length declared' },
  bad_json: { documented: false, description: 'a 200 application/json body that is not JSON' },
  no_cryptogram: {
    documented: true,
    description: 'a 200 without card_number or cryptogram (every CryptogramEntity field is optional)',
  },
  wrong_instrument: { documented: true, description: 'a 200 for another instrument_id than the one asked for' },
} as const satisfies Record<string, FaultInfo>;

export type Fault = keyof typeof FAULTS;

export const isFault = (name: string): name is Fault => Object.hasOwn(FAULTS, name);

export type CryptogramBody = Record<string, string>;

export interface FaultContext {
  res: ServerResponse;
  /** x-api-version, x-request-id and x-ratelimit-*, as this request's answer would carry them. */
  headers: Record<string, string>;
  /** A fresh answer for the instrument asked for, its card data recorded as issued. */
  card(): CryptogramBody;
  /** Another instrument's id than the one asked for. */
  otherInstrumentId: string;
  slowDelayMs: number;
  hugeBodyBytes: number;
  /** The same path on another origin, for `redirect`. */
  redirectUrl: string;
  /** Destroys this connection when its next request arrives. */
  destroyOnReuse(): void;
  /** Reports how many body bytes went out before the stream ended or the client left. */
  countBodyBytes(bytes: number): void;
}

export const cashfreeError = (message: string, code: string, type: string) => ({ message, code, type });

/** Plays `fault` as the answer to one cryptogram request. */
export async function playFault(fault: Fault, ctx: FaultContext): Promise<void> {
  const { res, headers } = ctx;
  const error = (status: number, message: string, code: string, type: string, extra: Record<string, string> = {}) =>
    sendJson(res, status, cashfreeError(message, code, type), { ...headers, ...extra });
  const limited = (retrySeconds: number) =>
    error(429, 'Too many requests from IP. Check headers', 'request_failed', 'rate_limit_error', {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-retry': String(retrySeconds),
    });

  switch (fault) {
    case '400':
      return error(400, 'bad URL, please check API documentation', 'request_failed', 'invalid_request_error');
    case '401':
      return error(401, 'authentication Failed', 'request_failed', 'authentication_error');
    case '403':
      return error(403, 'request not allowed', 'request_failed', 'authentication_error');
    case '404':
      return error(404, 'instrument not found', 'instrument_not_found', 'invalid_request_error');
    case '409':
      return error(409, 'conflict', 'request_failed', 'invalid_request_error');
    case '422':
      return error(422, 'idempotency error', 'request_invalid', 'idempotency_error');
    case '429':
      return limited(1);
    case 'retry_4s':
      return limited(4);
    case '500':
      return error(500, 'internal Server Error', 'internal_error', 'api_error');
    case '502':
      return error(502, 'bank processing failed', 'bank_processing_failure', 'api_error');
    case '502_html':
      res.writeHead(502, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    case '503':
      res.writeHead(503, { 'content-type': 'text/plain' });
      return void res.end('Service Unavailable');
    case 'slow':
      if (!(await waitUnlessClosed(res, ctx.slowDelayMs))) return;
      res.writeHead(504, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>504 Gateway Time-out</h1></body></html>');
    case 'slow_body':
      return trickle(ctx);
    case 'reset':
      return void res.socket?.destroy();
    case 'reset_on_reuse':
      ctx.destroyOnReuse();
      return sendJson(res, 200, ctx.card(), headers);
    case 'redirect':
      res.writeHead(302, { ...headers, location: ctx.redirectUrl, 'content-type': 'text/plain' });
      return void res.end('Found');
    case 'huge_body':
      return streamHuge(ctx, false);
    case 'huge_length':
      return streamHuge(ctx, true);
    case 'bad_json':
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      return void res.end('{"card_number": "4111 oops');
    case 'no_cryptogram': {
      const { card_number: _pan, cryptogram: _cryptogram, ...rest } = ctx.card();
      return sendJson(res, 200, rest, headers);
    }
    case 'wrong_instrument':
      return sendJson(res, 200, { ...ctx.card(), instrument_id: ctx.otherInstrumentId }, headers);
  }
}

/** Resolves false as soon as the client goes away, so no timer outlives the connection. */
async function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed) return false;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  try {
    await sleep(ms, undefined, { signal: gone.signal });
    return !res.destroyed;
  } catch {
    return false;
  } finally {
    res.off('close', onClose);
  }
}

// A complete, valid CryptogramEntity with an unknown field padding it out: a client that reads it all and drops
// unknown fields would call it a success, so only a bound on the read stops it.
async function streamHuge(ctx: FaultContext, declareLength: boolean): Promise<void> {
  const { res } = ctx;
  const card = JSON.stringify(ctx.card());
  const head = Buffer.from(`${card.slice(0, -1)},"cf_padding":"`);
  const tail = Buffer.from('"}');
  const paddingBytes = Math.max(0, ctx.hugeBodyBytes - head.length - tail.length);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  res.writeHead(200, {
    ...ctx.headers,
    'content-type': 'application/json',
    ...(declareLength && { 'content-length': String(head.length + paddingBytes + tail.length) }),
  });

  let sent = 0;
  const write = async (bytes: Buffer): Promise<boolean> => {
    if (res.destroyed) return false;
    sent += bytes.length;
    if (res.write(bytes)) return true;
    // Waits for the client to take what is buffered, so memory stays flat however much is sent.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
    return !res.destroyed;
  };

  let ok = await write(head);
  for (let left = paddingBytes; ok && left > 0; left -= chunk.length) {
    ok = await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  }
  if (ok) {
    sent += tail.length;
    res.end(tail);
  }
  ctx.countBodyBytes(sent);
}

// Valid JSON all along: the trickled bytes are whitespace between two members, so only a deadline on the body
// read (not on the headers) stops a client from waiting for all of it.
async function trickle(ctx: FaultContext): Promise<void> {
  const { res } = ctx;
  const card = JSON.stringify(ctx.card());
  const splitAt = card.indexOf(',') + 1;
  res.writeHead(200, { ...ctx.headers, 'content-type': 'application/json' });
  res.write(card.slice(0, splitAt));
  const steps = 20;
  for (let i = 0; i < steps; i++) {
    if (!(await waitUnlessClosed(res, ctx.slowDelayMs / steps))) return;
    res.write(' ');
  }
  res.end(card.slice(splitAt));
}
