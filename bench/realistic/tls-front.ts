import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServerCertificate } from '../../test/support/throwaway-ca.ts';

/**
 * How long the TLS servers keep an idle connection: above the bench's longest idle wait, like a load
 * balancer (an AWS ALB keeps 60 s by default, many set more), so an idle figure measures the client's pool.
 */
export const SERVER_IDLE_TIMEOUT_MS = 75_000;

export interface TlsCounts {
  /** Every TLS handshake the server completed, resumed ones included. */
  handshakes: number;
  /** Handshakes that resumed an earlier session (a ticket): one round trip, no certificate exchange. */
  resumed: number;
  requests: number;
}

export interface TlsFront {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  port: number;
  readonly counts: TlsCounts;
  close(): Promise<void>;
}

export interface TlsFrontOptions {
  certificate: ServerCertificate;
  /** The plain HTTP server on loopback that answers every request. */
  upstreamPort: number;
  /**
   * Send `Keep-Alive: timeout=75`, as Node's server does by default. Off: no hint, as an AWS load balancer
   * answers, so each client falls back on its own idle timeout.
   */
  keepAliveHint: boolean;
}

/** An HTTPS server on 127.0.0.1 that forwards every request to a plain upstream and counts handshakes. */
export async function startTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const counts: TlsCounts = { handshakes: 0, resumed: 0, requests: 0 };
  // The hop to the plain upstream is loopback and pooled: it adds the same few microseconds to every subject.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const server: Server = createServer({ ...options.certificate }, (req, res) => {
    counts.requests++;
    const forward = request(
      { agent, host: '127.0.0.1', port: options.upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        delete headers['transfer-encoding'];
        // An explicit Connection header stops Node from adding its own Keep-Alive hint.
        if (!options.keepAliveHint) headers.connection = 'keep-alive';
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    forward.once('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = SERVER_IDLE_TIMEOUT_MS;
  server.on('secureConnection', (socket: TLSSocket) => {
    counts.handshakes++;
    if (socket.isSessionReused()) counts.resumed++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
