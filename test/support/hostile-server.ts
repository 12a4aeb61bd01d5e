import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { ServerCertificate } from './throwaway-ca.ts';

export interface HostileRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** 1 for the first request on its connection, 2 for the next one on the same connection, and so on. */
  onConnection: number;
  atMs: number;
}

export type HostileListener = (req: IncomingMessage, res: ServerResponse, seen: HostileRequest) => unknown;

export interface HostileServer {
  /** `http(s)://127.0.0.1:PORT` */
  origin: string;
  /** `origin + /pg`, what CASHFREE_BASE_URL would hold. */
  baseUrl: string;
  readonly requests: readonly HostileRequest[];
  /** TCP connections accepted so far (each new TLS connection is one handshake). */
  readonly connections: number;
  /** Replaces the behaviour for the requests that follow. */
  setListener(listener: HostileListener): void;
  close(): Promise<void>;
}

/**
 * A Cashfree stand-in that misbehaves on purpose (redirects, huge or compressed bodies, hangs, resets on a
 * reused connection), on 127.0.0.1 only, over TLS when given a certificate. Every request is recorded,
 * headers included, so a test can prove what reached it.
 */
export async function startHostileServer(
  listener: HostileListener,
  options: { tls?: ServerCertificate } = {},
): Promise<HostileServer> {
  let current = listener;
  const requests: HostileRequest[] = [];
  const perSocket = new WeakMap<Socket, number>();
  let connections = 0;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const onConnection = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, onConnection);
    const seen = { path: req.url ?? '', headers: { ...req.headers }, onConnection, atMs: Date.now() };
    requests.push(seen);
    Promise.resolve(current(req, res, seen)).catch(() => res.destroy());
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    baseUrl: `${origin}/pg`,
    requests,
    get connections() {
      return connections;
    },
    setListener(next) {
      current = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The path of the documented call for these ids, as the function must send it. */
export const cryptogramPath = (customerId: string, instrumentId: string) =>
  `/pg/customers/${encodeURIComponent(customerId)}/instruments/${encodeURIComponent(instrumentId)}/cryptogram`;

/** A well-formed 200 body for `instrumentId`, with `overrides` applied (undefined removes a field). */
export function cryptogramBody(instrumentId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    instrument_id: instrumentId,
    token_requestor_id: '22457512314',
    card_number: '4491365621601472',
    card_expiry_mm: '06',
    card_expiry_yy: '2031',
    cryptogram: 'AQBBBBBBZatIlaIAmWKSghwBBBB=',
    card_display: '1234',
    ...overrides,
  });
}

export function sendBody(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
