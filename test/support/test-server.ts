import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { ServerCertificate } from './throwaway-ca.ts';

// One JSON writer for every server the tests and `npm start` run.
export { sendJson } from '../../local/http.ts';

/** What a test server keeps of each request it received. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent: the path, percent-encoding kept, then the query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Every header with all the values it came with, as a signature check reads them. */
  headersDistinct: NodeJS.Dict<string[]>;
  /** 0 for the first request the server received, 1 for the next, and so on. */
  index: number;
  /** 1 for the first request its connection carries, 2 for the second on the same connection, and so on. */
  onConnection: number;
  atMs: number;
}

/** Answers one request; a promise it returns that rejects destroys the answer. */
export type TestHandler = (request: IncomingMessage, response: ServerResponse, received: ReceivedRequest) => unknown;

export type ServerEvent = 'connection' | 'handshake' | 'request' | 'close';

export interface TestServer {
  /** `http(s)://127.0.0.1:PORT`, without a trailing slash: what a base URL starts with. */
  origin: string;
  url(path?: string): URL;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedRequest[];
  /** TCP connections accepted (each TLS connection among them, whether or not its handshake completed). */
  readonly connections: number;
  /** TLS handshakes completed (`secureConnection`), resumed sessions included. */
  readonly handshakes: number;
  /** Connections accepted, handshakes, requests and connections closed, in the order they happened. */
  readonly events: readonly ServerEvent[];
  /** Answers the requests that follow with `next`. */
  handle(next: TestHandler): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Serve TLS with this certificate (from the throw-away CA); plain HTTP without it. */
  tls?: ServerCertificate;
  /**
   * The server's idle timeout; Node sends it as `Keep-Alive: timeout=N`. 0 (the default here) keeps idle
   * connections open with no hint, as a server with a long keep-alive does.
   */
  keepAliveTimeoutMs?: number;
}

interface Listening {
  port: number;
  /** Destroys every connection still open, then stops listening. */
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1, keeping each open socket so that closing never waits for a client. */
async function listenOnLoopback(server: Server): Promise<Listening> {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * An HTTP or HTTPS server on 127.0.0.1 that counts connections, handshakes and requests and keeps what each
 * request carried, so a test can prove what reached it; `handle` swaps its behaviour between requests.
 */
export async function startTestServer(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  let current = handler;
  const perSocket = new WeakMap<Socket, number>();
  const requests: ReceivedRequest[] = [];
  const events: ServerEvent[] = [];
  let connections = 0;
  let handshakes = 0;

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    events.push('request');
    const onConnection = (perSocket.get(request.socket) ?? 0) + 1;
    perSocket.set(request.socket, onConnection);
    const received: ReceivedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: { ...request.headers },
      headersDistinct: { ...request.headersDistinct },
      index: requests.length,
      onConnection,
      atMs: Date.now(),
    };
    requests.push(received);
    // A handler that throws, at once or later, destroys its answer: the client sees a reset, never a hang.
    Promise.resolve()
      .then(() => current(request, response, received))
      .catch(() => response.destroy());
  };
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 0;
  server.on('connection', (socket: Socket) => {
    connections++;
    events.push('connection');
    socket.on('close', () => events.push('close'));
  });
  server.on('secureConnection', () => {
    handshakes++;
    events.push('handshake');
  });
  // A client that gives up mid-handshake, or distrusts the certificate, is part of what these tests do.
  server.on('tlsClientError', () => {});

  const { port, close } = await listenOnLoopback(server);
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    origin,
    url: (path = '/') => new URL(path, origin),
    requests,
    get connections() {
      return connections;
    },
    get handshakes() {
      return handshakes;
    },
    events,
    handle(next) {
      current = next;
    },
    close,
  };
}

export interface SilentServer {
  url(protocol: 'http' | 'https'): URL;
  readonly connections: number;
  readonly bytesReceived: number;
  readonly closed: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: no HTTP, no TLS handshake. */
export async function startSilentServer(): Promise<SilentServer> {
  let connections = 0;
  let bytesReceived = 0;
  let closed = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.on('data', (chunk) => {
      bytesReceived += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed++;
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: (protocol) => new URL(`${protocol}://127.0.0.1:${port}`),
    get connections() {
      return connections;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    get closed() {
      return closed;
    },
    close,
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released): it refuses connections, and is free. */
export async function deadPort(): Promise<number> {
  const { port, close } = await listenOnLoopback(createNetServer());
  await close();
  return port;
}

/** True when nothing listens on `port` of 127.0.0.1 any more. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createNetServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resolves when `condition` holds, polling briefly; for server-side effects that land a tick after the client. */
export async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const startedAtMs = Date.now();
  while (!condition()) {
    if (Date.now() - startedAtMs > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
