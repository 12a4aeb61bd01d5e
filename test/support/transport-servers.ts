import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { ServerCertificate } from './throwaway-ca.ts';

export interface RequestInfo {
  /** 1 for the first request a connection carries, 2 for the second, ... */
  onConnection: number;
}

export type TestHandler = (request: IncomingMessage, response: ServerResponse, info: RequestInfo) => void;

export interface TestServer {
  origin: URL;
  url(path?: string): URL;
  /** TCP connections accepted. */
  readonly connections: number;
  /** TLS handshakes completed (`secureConnection`), resumed sessions included. */
  readonly handshakes: number;
  /** Requests received. */
  readonly requests: number;
  /** `connection`, `handshake`, `request` and `close` in the order they happened. */
  readonly events: readonly string[];
  /** The headers of every request received, in order. */
  readonly headersSeen: readonly IncomingMessage['headers'][];
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Serve TLS with this certificate; plain HTTP without it. */
  tls?: ServerCertificate;
  /**
   * The server's idle timeout; Node sends it as `Keep-Alive: timeout=N`. 0 (the default here) keeps idle
   * connections open with no hint, as a server with a long keep-alive does.
   */
  keepAliveTimeoutMs?: number;
}

/** An HTTP or HTTPS server on 127.0.0.1 that counts connections, handshakes and requests. */
export async function startTestServer(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  const perSocket = new WeakMap<Socket, number>();
  const open = new Set<Socket>();
  const events: string[] = [];
  const headersSeen: IncomingMessage['headers'][] = [];
  let connections = 0;
  let handshakes = 0;
  let requests = 0;

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    requests++;
    events.push('request');
    headersSeen.push(request.headers);
    const onConnection = (perSocket.get(request.socket) ?? 0) + 1;
    perSocket.set(request.socket, onConnection);
    handler(request, response, { onConnection });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 0;

  server.on('connection', (socket: Socket) => {
    connections++;
    events.push('connection');
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      events.push('close');
    });
  });
  server.on('secureConnection', () => {
    handshakes++;
    events.push('handshake');
  });
  // A client that gives up mid-handshake is part of what these tests do.
  server.on('tlsClientError', () => {});

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const origin = new URL(`${options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`);

  return {
    origin,
    url: (path = '/') => new URL(path, origin),
    get connections() {
      return connections;
    },
    get handshakes() {
      return handshakes;
    },
    get requests() {
      return requests;
    },
    events,
    headersSeen,
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Writes `totalBytes` of `chunk` repeated, generated as the client reads, never held in memory at once. */
export function streamLazily(response: ServerResponse, chunk: Buffer, totalBytes: number): void {
  let sent = 0;
  let stopped = false;
  response.on('close', () => {
    stopped = true;
  });
  const pump = () => {
    while (!stopped && sent < totalBytes) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (!stopped) response.end();
  };
  pump();
}

/** Resolves when `condition` holds, polling briefly; for server-side effects that land a tick after the client. */
export async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const startedAtMs = Date.now();
  while (!condition()) {
    if (Date.now() - startedAtMs > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RawServer {
  origin(protocol: 'http' | 'https'): URL;
  readonly connections: number;
  readonly bytesReceived: number;
  readonly closed: number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never answers: no HTTP, no TLS handshake. */
export async function startSilentServer(): Promise<RawServer> {
  const open = new Set<Socket>();
  let connections = 0;
  let bytesReceived = 0;
  let closed = 0;
  const server = createNetServer((socket) => {
    connections++;
    open.add(socket);
    socket.on('data', (chunk) => {
      bytesReceived += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed++;
      open.delete(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    origin: (protocol) => new URL(`${protocol}://127.0.0.1:${address.port}`),
    get connections() {
      return connections;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    get closed() {
      return closed;
    },
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  server.close();
  await once(server, 'close');
  return address.port;
}
