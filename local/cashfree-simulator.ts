import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type CryptogramBody, cashfreeError, type Fault, isFault, playFault } from './cashfree-faults.ts';
import { listen, type RunningServer, sendJson } from './http.ts';

export { FAULTS, type Fault, type FaultInfo } from './cashfree-faults.ts';

export interface SimulatorCredentials {
  clientId: string;
  clientSecret: string;
}

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

/** The API version Cashfree's document for this call describes, and the one answered when none is sent. */
const DOCUMENTED_API_VERSION = '2022-09-01';

export interface CashfreeSimulatorOptions {
  credentials: SimulatorCredentials;
  port?: number;
  rateLimitPerMinute?: number;
  /** How long `slow` holds its answer and `slow_body` takes to send its body. */
  slowDelayMs?: number;
  /** Size of the `huge_body` / `huge_length` answers (default 10 MiB). */
  hugeBodyBytes?: number;
}

export interface SimulatorRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Which TCP connection it came on (1, 2, ... in order of arrival), to tell reuse from a new connection. */
  connection: number;
  /** For `huge_body` / `huge_length`: the body bytes sent before the stream ended or the client left. */
  bodyBytesSent?: number;
}

export interface CashfreeSimulator {
  /** The base URL to configure, `/pg` included. */
  baseUrl: string;
  /** Every request that reached the simulator, in order (a request refused by `reset_on_reuse` included). */
  readonly requests: readonly SimulatorRequest[];
  /** Every request that reached the other origin `redirect` points at; it should stay empty. */
  readonly redirected: readonly SimulatorRequest[];
  /** Every token PAN and cryptogram it has sent, for leak checks. */
  readonly issued: ReadonlySet<string>;
  /** Plays `fault` for the next `times` cryptogram requests, after any already queued. */
  failNext(fault: Fault, times?: number): void;
  /** Accepts only `next` from now on, as Cashfree does once old keys are revoked. */
  rotateCredentials(next: SimulatorCredentials): void;
  /** Starts a fresh rate-limit window with the whole allowance. */
  resetRateLimit(): void;
  close(): Promise<void>;
}

const ROUTE = /^\/pg\/customers\/([^/]+)\/instruments\/([^/]+)\/cryptogram$/;
const RATE_WINDOW_MS = 60_000;

/**
 * A Cashfree `GET .../cryptogram` on loopback whose answers follow Cashfree's OpenAPI document for API version
 * 2022-09-01 (statuses, error bodies, x-ratelimit-* headers), plus the undocumented faults of real networks.
 */
export async function startCashfreeSimulator(options: CashfreeSimulatorOptions): Promise<CashfreeSimulator> {
  let accepted = options.credentials;
  const rateLimitPerMinute = options.rateLimitPerMinute ?? 400;
  const slowDelayMs = options.slowDelayMs ?? 15_000;
  const hugeBodyBytes = options.hugeBodyBytes ?? 10 * 1024 * 1024;
  const requests: SimulatorRequest[] = [];
  const redirected: SimulatorRequest[] = [];
  const issued = new Set<string>();
  const queuedFaults: Fault[] = [];
  const connectionIds = new WeakMap<Socket, number>();
  const doomedSockets = new WeakSet<Socket>();
  let connections = 0;
  let windowStartMs = Date.now();
  let usedInWindow = 0;

  const record = (req: IncomingMessage, into: SimulatorRequest[]): SimulatorRequest => {
    let connection = connectionIds.get(req.socket);
    if (connection === undefined) {
      connection = ++connections;
      connectionIds.set(req.socket, connection);
    }
    const entry = { path: req.url ?? '', headers: { ...req.headers }, connection };
    into.push(entry);
    return entry;
  };

  const rateLimitHeaders = (limited: boolean): Record<string, string> => {
    const elapsedMs = Date.now() - windowStartMs;
    const retrySeconds = limited ? Math.max(1, Math.ceil((RATE_WINDOW_MS - elapsedMs) / 1000)) : 0;
    return {
      'x-ratelimit-limit': String(rateLimitPerMinute),
      'x-ratelimit-remaining': String(Math.max(0, rateLimitPerMinute - usedInWindow)),
      'x-ratelimit-retry': String(Math.min(retrySeconds, 59)),
      'x-ratelimit-type': 'app_id',
    };
  };

  // A fresh, single-use cryptogram per call, as the network issues one.
  const issue = (card: Omit<DemoInstrument, 'customerId'>): CryptogramBody => {
    const cryptogram = randomBytes(20).toString('base64');
    issued.add(cryptogram);
    issued.add(card.tokenPan);
    return {
      instrument_id: card.instrumentId,
      token_requestor_id: '22457512314',
      card_number: card.tokenPan,
      card_expiry_mm: card.expiryMonth,
      card_expiry_yy: card.expiryYear,
      cryptogram,
      card_display: card.last4,
      // Not documented for this call: the service must drop what it does not know.
      card_network: 'visa',
      cf_trace: randomUUID(),
    };
  };

  // The origin `redirect` sends clients to: it answers like Cashfree would, so following the redirect looks
  // like success to a careless client, and it records what reached it (the key pair included).
  const elsewhere = await listen((req, res) => {
    record(req, redirected);
    const demo = DEMO_INSTRUMENTS[0] as DemoInstrument;
    sendJson(res, 200, issue(demo));
  });

  const server: RunningServer = await listen(async (req, res) => {
    if (doomedSockets.has(req.socket)) {
      record(req, requests);
      return req.socket.destroy();
    }
    const entry = record(req, requests);
    const path = entry.path;
    const requestId = req.headers['x-request-id'];
    const apiVersion = req.headers['x-api-version'];
    const headers: Record<string, string> = {
      'x-api-version': typeof apiVersion === 'string' && apiVersion ? apiVersion : DOCUMENTED_API_VERSION,
      ...(typeof requestId === 'string' && { 'x-request-id': requestId }),
    };

    const route = req.method === 'GET' ? ROUTE.exec(path.split('?')[0] ?? '') : null;
    if (!route) return sendJson(res, 404, cashfreeError('not found', 'request_failed', 'invalid_request_error'));
    const [customerId, instrumentId] = [decodeURIComponent(route[1] ?? ''), decodeURIComponent(route[2] ?? '')];

    if (Date.now() - windowStartMs >= RATE_WINDOW_MS) {
      windowStartMs = Date.now();
      usedInWindow = 0;
    }
    if (!apiVersion) {
      const body = cashfreeError('x-api-version is missing', 'request_failed', 'invalid_request_error');
      return sendJson(res, 400, body, { ...headers, ...rateLimitHeaders(false) });
    }
    if (req.headers['x-client-id'] !== accepted.clientId || req.headers['x-client-secret'] !== accepted.clientSecret) {
      const body = cashfreeError('authentication Failed', 'request_failed', 'authentication_error');
      return sendJson(res, 401, body, { ...headers, ...rateLimitHeaders(false) });
    }
    if (usedInWindow >= rateLimitPerMinute) {
      const body = cashfreeError('Too many requests from IP. Check headers', 'request_failed', 'rate_limit_error');
      return sendJson(res, 429, body, { ...headers, ...rateLimitHeaders(true) });
    }
    usedInWindow++;
    Object.assign(headers, rateLimitHeaders(false));

    const known = DEMO_INSTRUMENTS.find((i) => i.customerId === customerId && i.instrumentId === instrumentId);
    const fault = queuedFaults.shift() ?? magicFault(customerId);
    if (fault) {
      // Faults that answer a 200 answer for the instrument asked for, with a demo card's data.
      const card = known ?? (DEMO_INSTRUMENTS[0] as DemoInstrument);
      return playFault(fault, {
        res,
        headers,
        card: () => issue({ ...card, instrumentId }),
        otherInstrumentId: DEMO_INSTRUMENTS.find((i) => i.instrumentId !== instrumentId)?.instrumentId ?? randomUUID(),
        slowDelayMs,
        hugeBodyBytes,
        redirectUrl: `${elsewhere.url}${path}`,
        destroyOnReuse: () => doomedSockets.add(req.socket),
        countBodyBytes: (bytes) => {
          entry.bodyBytesSent = bytes;
        },
      });
    }

    if (!known) {
      const body = cashfreeError('instrument not found', 'instrument_not_found', 'invalid_request_error');
      return sendJson(res, 404, body, headers);
    }
    sendJson(res, 200, issue(known), headers);
  }, options.port);

  return {
    baseUrl: `${server.url}/pg`,
    requests,
    redirected,
    issued,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) queuedFaults.push(fault);
    },
    rotateCredentials(next) {
      accepted = next;
    },
    resetRateLimit() {
      windowStartMs = Date.now();
      usedInWindow = 0;
    },
    async close() {
      await Promise.all([server.close(), elsewhere.close()]);
    },
  };
}

function magicFault(customerId: string): Fault | undefined {
  const name = customerId.startsWith('sim_') ? customerId.slice(4) : '';
  return isFault(name) ? name : undefined;
}
