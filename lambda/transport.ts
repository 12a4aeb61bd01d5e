import {
  type ClientRequest,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** The most of any Cashfree body worth reading: a cryptogram answer is well under 1 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Long enough that a payment flow calling every few seconds to a minute finds its connection open (Node's
 * fetch keeps one only 4 s); a shorter `Keep-Alive: timeout=N` from the server still wins inside the Agent.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

export interface TransportRequest {
  /** `https:`, or `http:` on loopback only (the configuration enforces that, not the transport). */
  url: URL;
  headers: Record<string, string>;
  /** The whole exchange: connect, TLS, headers and body, and the one fresh-connection retry. */
  timeoutMs: number;
  /** Cap on the decoded body; a longer body is not read (see `bodyTruncated`). */
  maxBodyBytes: number;
}

export type TransportResult =
  | {
      kind: 'response';
      status: number;
      /** Lower-case names, repeated values joined with `, `; a null-prototype record. */
      headers: Record<string, string>;
      /** UTF-8 text of the decoded body; empty for a 3xx, an over-cap body or one that could not be decoded. */
      body: string;
      /** The body was over `maxBodyBytes` (by `content-length` or once decoded) and was left unread. */
      bodyTruncated: boolean;
      freshConnectionRetry: boolean;
    }
  | { kind: 'timeout'; freshConnectionRetry: boolean }
  | {
      kind: 'network';
      /** The error's code only: Node's messages can quote request headers, and so the secret. */
      code: string | undefined;
      /** TLS certificate verification failed: not transient, not worth retrying. */
      certificate: boolean;
      freshConnectionRetry: boolean;
    };

export interface Transport {
  /** One GET, bounded in time and size; never follows redirects; never rejects. */
  request(request: TransportRequest): Promise<TransportResult>;
  /** Opens a connection (TLS handshake included) to `origin` ahead of the first request; bounded; never rejects. */
  preconnect(origin: URL, timeoutMs: number): Promise<void>;
  /** Destroys every pooled socket; for tests and the benchmark. */
  close(): void;
}

export interface TransportOptions {
  /** How long an idle pooled connection is kept; default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
}

type Settle = (result: TransportResult) => void;

// Errors that mean "the peer had already dropped this connection": on a reused socket, before any response, the
// request never reached Cashfree's application and a GET may go again on a new connection.
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

const SAFE_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The Cashfree HTTP transport on `node:https` / `node:http`: one keep-alive Agent per protocol, owned by the
 * returned object. Create it once per process (module level) so warm invocations share its connections.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  // Sockets that preconnect opened and handed to a request: their first request may meet a connection the peer
  // dropped while Lambda was frozen, exactly like a reused one.
  const preconnected = new WeakSet<Duplex>();
  const pools = {
    'https:': createPool('https:', idleTimeoutMs, preconnected),
    'http:': createPool('http:', idleTimeoutMs, preconnected),
  };

  return {
    request(request) {
      return new Promise<TransportResult>((resolve) => {
        const pool =
          request.url.protocol === 'https:' || request.url.protocol === 'http:'
            ? pools[request.url.protocol]
            : undefined;
        if (!pool) {
          resolve({ kind: 'network', code: 'ERR_INVALID_PROTOCOL', certificate: false, freshConnectionRetry: false });
          return;
        }
        exchange(pool, request, preconnected, resolve);
      });
    },
    async preconnect(origin, timeoutMs) {
      const pool = origin.protocol === 'https:' || origin.protocol === 'http:' ? pools[origin.protocol] : undefined;
      await pool?.preconnect(origin, timeoutMs);
    },
    close() {
      pools['https:'].close();
      pools['http:'].close();
    },
  };
}

// Matches what an Agent passes to a connection it opens itself, so a preconnected socket behaves the same.
const TCP_KEEP_ALIVE_DELAY_MS = 1000;

interface Pool {
  agent: HttpAgent;
  send: typeof httpRequest;
  preconnect(origin: URL, timeoutMs: number): Promise<void>;
  /** Drops the idle and preconnected sockets of `origin`, so the next request opens a new connection. */
  forget(origin: URL): void;
  close(): void;
}

interface Parked {
  socket: Duplex;
  /** Takes the socket out of the parking lot, settling its preconnect. */
  release(): void;
}

function createPool(protocol: 'https:' | 'http:', idleTimeoutMs: number, preconnected: WeakSet<Duplex>): Pool {
  const secure = protocol === 'https:';
  // lifo: the most recently used socket is the one least likely to have been dropped by a NAT or load balancer.
  const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, timeout: idleTimeoutMs };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const defaultPort = secure ? 443 : 80;
  const connect = agent.createConnection;
  const parked = new Map<string, Parked>();

  // The documented hook where the Agent asks for a new connection: the first request to a preconnected origin
  // takes the socket already opened (or opening) instead of a new one.
  agent.createConnection = function createPooledConnection(options, callback) {
    const name = this.getName(options);
    const waiting = parked.get(name);
    if (waiting) {
      waiting.release();
      const { socket } = waiting;
      // Bytes a server sent unasked would be read as this request's response: such a socket is not used.
      if (!socket.destroyed && socket.writable && socket.readableLength === 0) {
        preconnected.add(socket);
        return socket;
      }
      socket.destroy();
    }
    return connect.call(this, options, callback);
  };

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
      const opened = socket;
      const readyEvent = secure ? 'secureConnect' : 'connect';
      let parkedHere = true;
      const timer = setTimeout(onExpired, timeoutMs);

      function settle() {
        clearTimeout(timer);
        resolve();
      }
      function release() {
        if (!parkedHere) return;
        parkedHere = false;
        if (parked.get(name) === entry) parked.delete(name);
        opened.off(readyEvent, settle);
        opened.off('error', onGone);
        opened.off('close', onGone);
        opened.off('timeout', onIdle);
        opened.ref();
        settle();
      }
      function onExpired() {
        // Still not connected: a preconnect must not hold a half-open socket past its bound.
        release();
        opened.destroy();
      }
      function onGone() {
        release();
      }
      function onIdle() {
        release();
        opened.destroy();
      }

      const entry: Parked = { socket: opened, release };
      parked.set(name, entry);
      opened.once(readyEvent, settle);
      opened.on('error', onGone);
      opened.once('close', onGone);
      opened.on('timeout', onIdle);
      // An unused warm socket must not keep a test or benchmark process alive; Lambda freezes regardless.
      opened.setTimeout(idleTimeoutMs);
      opened.unref();
    });
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

  function close() {
    for (const entry of [...parked.values()]) {
      entry.release();
      entry.socket.destroy();
    }
    agent.destroy();
  }

  return { agent, send, preconnect, forget, close };
}

/** One request, with at most one retry on a new connection, under one timer. */
function exchange(pool: Pool, request: TransportRequest, preconnected: WeakSet<Duplex>, resolve: Settle): void {
  let settled = false;
  let retried = false;
  let responded = false;
  let current: ClientRequest | undefined;
  // The socket the current request went out on, watched for the first byte of an answer (see markResponded).
  let watched: Duplex | undefined;
  let decoder: Transform | undefined;
  let status = 0;
  let headers: Record<string, string> = {};
  let chunks: Buffer[] = [];
  let bodyBytes = 0;
  const timer = setTimeout(onTimeout, request.timeoutMs);

  function finish(result: TransportResult) {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    unwatch();
    resolve(result);
  }

  // Any byte from the server, even a partial status line or a 1xx, means Cashfree got the request: from then on
  // a failure is not a stale connection, and resending could issue a second single-use cryptogram.
  function markResponded() {
    responded = true;
    unwatch();
  }

  function watch(socket: Duplex) {
    unwatch();
    watched = socket;
    socket.once('data', markResponded);
  }

  function unwatch() {
    watched?.off('data', markResponded);
    watched = undefined;
  }

  // Destroying the request destroys its socket: a half-read response must never go back to the pool.
  function abandon() {
    decoder?.destroy();
    current?.destroy();
  }

  function onTimeout() {
    finish({ kind: 'timeout', freshConnectionRetry: retried });
    abandon();
  }

  function send() {
    try {
      current = pool.send(request.url, { agent: pool.agent, headers: request.headers });
    } catch (error) {
      // Invalid header values throw synchronously; the promise must still resolve.
      finish(networkResult(error, retried));
      return;
    }
    current.on('socket', watch);
    current.on('information', markResponded);
    current.on('response', onResponse);
    current.on('error', onRequestError);
    current.end();
  }

  function onRequestError(this: ClientRequest, error: unknown) {
    // Late errors (after a timeout, an over-cap abandon or from the replaced request) carry no news.
    if (settled || this !== current) return;
    if (!retried && !responded && isStaleConnection(this, error, preconnected)) {
      retried = true;
      // Siblings of a dropped idle connection were most likely dropped too (a freeze, a NAT timeout).
      pool.forget(request.url);
      send();
      return;
    }
    finish(networkResult(error, retried));
  }

  function onResponse(this: ClientRequest, response: IncomingMessage) {
    if (settled || this !== current) return;
    markResponded();
    status = response.statusCode ?? 0;
    headers = flattenHeaders(response.rawHeaders);
    response.on('error', onBodyError);

    // Never followed, and the body is of no use: close before a redirect body costs anything.
    if (status >= 300 && status < 400) return truncated(false);
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > request.maxBodyBytes) return truncated(true);

    const encoding = headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      decoder = decoderFor(encoding);
      if (!decoder) return truncated(false);
      decoder.on('error', onDecodeError);
      decoder.on('data', onChunk);
      decoder.on('end', onEnd);
      response.pipe(decoder);
      return;
    }
    response.on('data', onChunk);
    response.on('end', onEnd);
  }

  function truncated(overCap: boolean) {
    finish({ kind: 'response', status, headers, body: '', bodyTruncated: overCap, freshConnectionRetry: retried });
    abandon();
  }

  function onChunk(chunk: Buffer) {
    if (settled) return;
    bodyBytes += chunk.length;
    if (bodyBytes > request.maxBodyBytes) {
      chunks = [];
      truncated(true);
      return;
    }
    chunks.push(chunk);
  }

  function onEnd() {
    const body =
      chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, bodyBytes).toString('utf8');
    finish({ kind: 'response', status, headers, body, bodyTruncated: false, freshConnectionRetry: retried });
  }

  function onBodyError(error: unknown) {
    finish(networkResult(error, retried));
  }

  function onDecodeError() {
    // The status still stands (a 404 is a 404); an undecodable body is reported as an empty one.
    truncated(false);
  }

  send();
}

function isStaleConnection(request: ClientRequest, error: unknown, preconnected: WeakSet<Duplex>): boolean {
  const code = errorCode(error);
  if (code === undefined || !STALE_CONNECTION_CODES.has(code)) return false;
  return request.reusedSocket || (request.socket !== null && preconnected.has(request.socket));
}

function decoderFor(encoding: string): Transform | undefined {
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  return undefined;
}

/** Lower-case names, repeats joined with `, `, from the raw list so no repeated header is silently dropped. */
function flattenHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const seen = headers[name];
    headers[name] = seen === undefined ? value : `${seen}, ${value}`;
  }
  return headers;
}

function networkResult(error: unknown, freshConnectionRetry: boolean): TransportResult {
  const code = errorCode(error);
  const certificate = code !== undefined && (CERTIFICATE_CODES.has(code) || code.startsWith('CERT_'));
  return { kind: 'network', code, certificate, freshConnectionRetry };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
}
