import {
  type ClientRequest,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Long enough that a payment flow calling every few seconds to a minute finds its connection open (Node's
 * fetch keeps one only 4 s); a shorter `Keep-Alive: timeout=N` from the server still wins inside the Agent.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

// Matches what an Agent passes to a connection it opens itself, so a preconnected socket behaves the same.
const TCP_KEEP_ALIVE_DELAY_MS = 1000;

// Errors that mean "the peer had already dropped this connection": on a reused socket, before any response, the
// request never reached Cashfree's application and a GET may go again on a new connection.
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The keep-alive connections of one protocol: reused, preconnected, or new. */
export interface ConnectionPool {
  /** A GET to `url` on a pooled connection when one is idle, else on a new one; not yet sent. */
  request(url: URL, headers: Record<string, string>): ClientRequest;
  /**
   * Whether `code`, failing `request` before any answer, means the peer had dropped the kept-alive or
   * preconnected connection it went out on (a NAT timeout, a Lambda freeze), so the request never reached it.
   */
  wasDroppedWhileIdle(request: ClientRequest, code: string | undefined): boolean;
  /** Opens a connection (TLS handshake included) to `origin` ahead of the first request; bounded; never rejects. */
  preconnect(origin: URL, timeoutMs: number): Promise<void>;
  /** Drops the idle and preconnected sockets of `origin`, so the next request opens a new connection. */
  forget(origin: URL): void;
  close(): void;
}

/** A preconnected socket waiting for its first request. */
interface Parked {
  socket: Duplex;
  /** Takes the socket out of the parking lot, settling its preconnect. */
  release(): void;
}

/**
 * One keep-alive Agent and its parking lot of preconnected sockets. The first request to a preconnected origin
 * takes the parked socket through the Agent's own `createConnection` hook, so from then on the Agent pools it
 * like any other.
 */
export function createConnectionPool(protocol: 'https:' | 'http:', idleTimeoutMs: number): ConnectionPool {
  const secure = protocol === 'https:';
  // lifo: the most recently used socket is the one least likely to have been dropped by a NAT or load balancer.
  const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, timeout: idleTimeoutMs };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const defaultPort = secure ? 443 : 80;
  const connect = agent.createConnection;
  const parked = new Map<string, Parked>();
  // Sockets that preconnect opened and handed to a request: their first request may meet a connection the peer
  // dropped while Lambda was frozen, exactly like a reused one.
  const preconnected = new WeakSet<Duplex>();

  agent.createConnection = function createPooledConnection(options, callback) {
    return unpark(this.getName(options)) ?? connect.call(this, options, callback);
  };

  function unpark(name: string): Duplex | undefined {
    const waiting = parked.get(name);
    if (!waiting) return undefined;
    waiting.release();
    const { socket } = waiting;
    // Bytes a server sent unasked would be read as this request's response: such a socket is not used.
    if (!socket.destroyed && socket.writable && socket.readableLength === 0) {
      preconnected.add(socket);
      return socket;
    }
    socket.destroy();
    return undefined;
  }

  function originName(origin: URL) {
    const host = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
    const port = Number(origin.port) || defaultPort;
    // The same fields the Agent derives from a request to this origin, so getName gives the same pool key.
    const options = { host, port, servername: isIP(host) ? '' : host };
    return { options, name: agent.getName(options), prefix: `${host}:${port}:` };
  }

  function preconnect(origin: URL, timeoutMs: number): Promise<void> {
    const { options, name } = originName(origin);
    // A socket already parked or idle in the pool is all the first request needs.
    if (parked.has(name) || agent.freeSockets[name]?.length) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let socket: Socket | null | undefined;
      try {
        socket = connect.call(agent, {
          ...options,
          // https.Agent caches the TLS session under this key, so later connections resume it.
          _agentKey: name,
          keepAlive: true,
          keepAliveInitialDelay: TCP_KEEP_ALIVE_DELAY_MS,
          noDelay: true,
        } as ClientRequestArgs) as Socket | null | undefined;
      } catch {
        resolve();
        return;
      }
      if (!socket) {
        resolve();
        return;
      }
      const entry = park(socket, timeoutMs, resolve, () => {
        if (parked.get(name) === entry) parked.delete(name);
      });
      parked.set(name, entry);
    });
  }

  /**
   * Watches a socket opening ahead of its request: `ready` once it is connected (or gone, or past `timeoutMs`),
   * and it is destroyed if it stays unused for the idle timeout or never connects in time.
   */
  function park(socket: Socket, timeoutMs: number, ready: () => void, unregister: () => void): Parked {
    const readyEvent = secure ? 'secureConnect' : 'connect';
    let parkedHere = true;
    const timer = setTimeout(onExpired, timeoutMs);

    function settle() {
      clearTimeout(timer);
      ready();
    }
    function release() {
      if (!parkedHere) return;
      parkedHere = false;
      unregister();
      socket.off(readyEvent, settle);
      socket.off('error', release);
      socket.off('close', release);
      socket.off('timeout', onIdle);
      socket.ref();
      settle();
    }
    function onExpired() {
      // Still not connected: a preconnect must not hold a half-open socket past its bound.
      release();
      socket.destroy();
    }
    function onIdle() {
      release();
      socket.destroy();
    }

    socket.once(readyEvent, settle);
    socket.on('error', release);
    socket.once('close', release);
    socket.on('timeout', onIdle);
    // An unused warm socket must not keep a test or benchmark process alive; Lambda freezes regardless.
    socket.setTimeout(idleTimeoutMs);
    socket.unref();
    return { socket, release };
  }

  function forget(origin: URL) {
    const { prefix } = originName(origin);
    for (const [name, sockets] of Object.entries(agent.freeSockets)) {
      // addRequest skips destroyed sockets at the head of the list: destroying all of them empties it.
      if (name.startsWith(prefix)) for (const socket of [...(sockets ?? [])]) socket.destroy();
    }
    for (const [name, entry] of parked) {
      if (!name.startsWith(prefix)) continue;
      entry.release();
      entry.socket.destroy();
    }
  }

  return {
    request(url, headers) {
      // Checked before the request exists, so a value Node would refuse opens no connection.
      for (const name in headers) {
        validateHeaderName(name);
        validateHeaderValue(name, headers[name] as string);
      }
      // Set on the request, never passed in its options: the Agent hands those options to createConnection,
      // which NODE_DEBUG (http, https, net) prints and a TLS socket keeps, so the key pair would be in both.
      const request = send(url, { agent });
      for (const name in headers) request.setHeader(name, headers[name] as string);
      return request;
    },
    wasDroppedWhileIdle(request, code) {
      if (code === undefined || !STALE_CONNECTION_CODES.has(code)) return false;
      return request.reusedSocket || (request.socket !== null && preconnected.has(request.socket));
    },
    preconnect,
    forget,
    close() {
      for (const entry of [...parked.values()]) {
        entry.release();
        entry.socket.destroy();
      }
      agent.destroy();
    },
  };
}
