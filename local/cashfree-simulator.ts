import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, sendJson } from './http.ts';

export interface SimulatorCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Failures the simulator can play, for tests (`failNext`) and for curl (a customer_id of `sim_<fault>`, e.g.
 * `sim_500`, `sim_slow`, `sim_reset`).
 */
export type Fault =
  | '400'
  | '401'
  | '404'
  | '409'
  | '422'
  | '429'
  | '500'
  | '502_html'
  | '503'
  | 'slow'
  | 'reset'
  | 'bad_json'
  | 'no_cryptogram';

export const FAULTS: readonly Fault[] = [
  '400',
  '401',
  '404',
  '409',
  '422',
  '429',
  '500',
  '502_html',
  '503',
  'slow',
  'reset',
  'bad_json',
  'no_cryptogram',
];

export interface DemoInstrument {
  customerId: string;
  instrumentId: string;
  tokenPan: string;
  expiryMonth: string;
  expiryYear: string;
  last4: string;
}

export const DEMO_INSTRUMENTS: readonly DemoInstrument[] = [
  {
    customerId: 'cust_demo_1',
    instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10',
    tokenPan: '4491365621601472',
    expiryMonth: '06',
    expiryYear: '2031',
    last4: '1234',
  },
  {
    customerId: 'cust_demo_2',
    instrumentId: '0f9a3c1e-7d2b-4c55-8e61-3b2a9d4f7c10',
    tokenPan: '5204730000001003',
    expiryMonth: '11',
    expiryYear: '29',
    last4: '4242',
  },
];

export interface CashfreeSimulatorOptions {
  credentials: SimulatorCredentials;
  port?: number;
  rateLimitPerMinute?: number;
  /** How long a `slow` answer takes. */
  slowDelayMs?: number;
}

export interface SimulatorRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface CashfreeSimulator {
  /** The base URL to configure, `/pg` included. */
  baseUrl: string;
  /** Every request that reached the simulator, in order. */
  readonly requests: readonly SimulatorRequest[];
  /** Every token PAN and cryptogram it has sent, for leak checks. */
  readonly issued: ReadonlySet<string>;
  /** Plays `fault` for the next `times` cryptogram requests, after any already queued. */
  failNext(fault: Fault, times?: number): void;
  /** Accepts only `next` from now on, as Cashfree does once old keys are revoked. */
  rotateCredentials(next: SimulatorCredentials): void;
  close(): Promise<void>;
}

const ROUTE = /^\/pg\/customers\/([^/]+)\/instruments\/([^/]+)\/cryptogram$/;

const cashfreeError = (message: string, code: string, type: string) => ({ message, code, type });

/** A Cashfree `GET .../cryptogram` on loopback that follows ../shared/reference/cashfree-cryptogram.md. */
export async function startCashfreeSimulator(options: CashfreeSimulatorOptions): Promise<CashfreeSimulator> {
  let accepted = options.credentials;
  const rateLimitPerMinute = options.rateLimitPerMinute ?? 400;
  const slowDelayMs = options.slowDelayMs ?? 15_000;
  const requests: SimulatorRequest[] = [];
  const issued = new Set<string>();
  const queuedFaults: Fault[] = [];
  let windowStartMs = Date.now();
  let usedInWindow = 0;

  const rateLimitHeaders = (limited: boolean): Record<string, string> => {
    const elapsedMs = Date.now() - windowStartMs;
    const retrySeconds = limited ? Math.max(1, Math.ceil((60_000 - elapsedMs) / 1000)) : 0;
    return {
      'x-ratelimit-limit': String(rateLimitPerMinute),
      'x-ratelimit-remaining': String(Math.max(0, rateLimitPerMinute - usedInWindow)),
      'x-ratelimit-retry': String(Math.min(retrySeconds, 59)),
      'x-ratelimit-type': 'app_id',
    };
  };

  const play = async (fault: Fault, res: ServerResponse, headers: Record<string, string>) => {
    const error = (status: number, message: string, code: string, type: string) =>
      sendJson(res, status, cashfreeError(message, code, type), headers);
    switch (fault) {
      case '400':
        return error(400, 'bad request', 'request_failed', 'invalid_request_error');
      case '401':
        return error(401, 'authentication Failed', 'request_failed', 'authentication_error');
      case '404':
        return error(404, 'instrument not found', 'instrument_not_found', 'invalid_request_error');
      case '409':
        return error(409, 'conflict', 'request_failed', 'invalid_request_error');
      case '422':
        return error(422, 'idempotency error', 'request_invalid', 'idempotency_error');
      case '429':
        return sendJson(res, 429, cashfreeError('Too many requests', 'request_failed', 'rate_limit_error'), {
          ...headers,
          'x-ratelimit-retry': '1',
          'x-ratelimit-remaining': '0',
        });
      case '500':
        return error(500, 'internal error', 'internal_error', 'api_error');
      case '502_html':
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case '503':
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('Service Unavailable');
      case 'slow':
        await sleep(slowDelayMs);
        return error(500, 'too late', 'internal_error', 'api_error');
      case 'reset':
        return res.socket?.destroy();
      case 'bad_json':
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        return res.end('{"card_number": "4111 oops');
      case 'no_cryptogram':
        return sendJson(res, 200, { instrument_id: 'x', card_display: '0000' }, headers);
    }
  };

  const server = await listen(async (req, res) => {
    const path = req.url ?? '';
    requests.push({ path, headers: { ...req.headers } });
    const requestId = req.headers['x-request-id'];
    const headers: Record<string, string> = {
      'x-api-version': String(req.headers['x-api-version'] ?? ''),
      ...(typeof requestId === 'string' && { 'x-request-id': requestId }),
    };

    const route = req.method === 'GET' ? ROUTE.exec(path.split('?')[0] ?? '') : null;
    if (!route) return sendJson(res, 404, cashfreeError('not found', 'request_failed', 'invalid_request_error'));
    const [customerId, instrumentId] = [decodeURIComponent(route[1] ?? ''), decodeURIComponent(route[2] ?? '')];

    if (!req.headers['x-api-version']) {
      return sendJson(res, 400, cashfreeError('x-api-version is missing', 'request_failed', 'invalid_request_error'));
    }
    if (req.headers['x-client-id'] !== accepted.clientId || req.headers['x-client-secret'] !== accepted.clientSecret) {
      return sendJson(res, 401, cashfreeError('authentication Failed', 'request_failed', 'authentication_error'));
    }

    if (Date.now() - windowStartMs >= 60_000) {
      windowStartMs = Date.now();
      usedInWindow = 0;
    }
    if (usedInWindow >= rateLimitPerMinute) {
      return sendJson(res, 429, cashfreeError('Too many requests', 'request_failed', 'rate_limit_error'), {
        ...headers,
        ...rateLimitHeaders(true),
      });
    }
    usedInWindow++;
    Object.assign(headers, rateLimitHeaders(false));

    const fault = queuedFaults.shift() ?? magicFault(customerId);
    if (fault) return play(fault, res, headers);

    const instrument = DEMO_INSTRUMENTS.find((i) => i.customerId === customerId && i.instrumentId === instrumentId);
    if (!instrument) {
      return sendJson(res, 404, cashfreeError('instrument not found', 'instrument_not_found', 'invalid_request_error'));
    }
    // A fresh, single-use cryptogram per call, as the network issues one.
    const cryptogram = randomBytes(20).toString('base64');
    issued.add(cryptogram);
    issued.add(instrument.tokenPan);
    sendJson(
      res,
      200,
      {
        instrument_id: instrument.instrumentId,
        token_requestor_id: '22457512314',
        card_number: instrument.tokenPan,
        card_expiry_mm: instrument.expiryMonth,
        card_expiry_yy: instrument.expiryYear,
        cryptogram,
        card_display: instrument.last4,
        // Not documented for this call: the service must drop what it does not know.
        card_network: 'visa',
        cf_trace: randomUUID(),
      },
      headers,
    );
  }, options.port);

  return {
    baseUrl: `${server.url}/pg`,
    requests,
    issued,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) queuedFaults.push(fault);
    },
    rotateCredentials(next) {
      accepted = next;
    },
    close: server.close,
  };
}

function magicFault(customerId: string): Fault | undefined {
  const name = customerId.startsWith('sim_') ? customerId.slice(4) : undefined;
  return FAULTS.find((fault) => fault === name);
}
