import { type ConnectionPool, createConnectionPool, DEFAULT_IDLE_TIMEOUT_MS } from './connection-pool.ts';
import { exchange, type TransportRequest, type TransportResult } from './exchange.ts';

export type { TransportRequest, TransportResult } from './exchange.ts';

/** The most of any Cashfree body worth reading: a cryptogram answer is well under 1 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Transport {
  /** One GET, bounded in time and size; never follows redirects; never rejects. */
  request(request: TransportRequest): Promise<TransportResult>;
  /** Opens a connection (TLS handshake included) to `origin` ahead of the first request; bounded; never rejects. */
  preconnect(origin: URL, timeoutMs: number): Promise<void>;
  /** Destroys every pooled socket; for tests and the benchmark. */
  close(): void;
}

const INVALID_PROTOCOL: TransportResult = Object.freeze({
  kind: 'network',
  code: 'ERR_INVALID_PROTOCOL',
  certificate: false,
  answered: false,
  freshConnectionRetry: false,
});

export interface TransportOptions {
  /** How long an idle pooled connection is kept; default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
}

/**
 * The Cashfree HTTP transport on `node:https` / `node:http`: one keep-alive pool per protocol, owned by the
 * returned object. Create it once per process (module level) so warm invocations share its connections.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const pools: Record<'https:' | 'http:', ConnectionPool> = {
    'https:': createConnectionPool('https:', idleTimeoutMs),
    'http:': createConnectionPool('http:', idleTimeoutMs),
  };
  const poolFor = (url: URL): ConnectionPool | undefined =>
    url.protocol === 'https:' || url.protocol === 'http:' ? pools[url.protocol] : undefined;

  return {
    request(request) {
      return new Promise<TransportResult>((resolve) => {
        const pool = poolFor(request.url);
        if (pool) exchange(pool, request, resolve);
        else resolve(INVALID_PROTOCOL);
      });
    },
    async preconnect(origin, timeoutMs) {
      await poolFor(origin)?.preconnect(origin, timeoutMs);
    },
    close() {
      pools['https:'].close();
      pools['http:'].close();
    },
  };
}
