import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RttProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that makes loopback behave like a network `rttMs` away: every chunk, and the end of
 * each stream, reaches the other side `rttMs / 2` later. The local connect completes at once, so the proxy also
 * holds the first bytes until one round trip after it (the SYN / SYN-ACK a real connection waits for).
 */
export async function startRttProxy(targetPort: number, rttMs: number): Promise<RttProxy> {
  const oneWayMs = rttMs / 2;
  const sockets = new Set<Socket>();
  // Half-open allowed: an end travels through the queue like data instead of being answered at once.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const establishedAtMs = performance.now() + rttMs;
    const upstream = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => sockets.delete(socket));
      // Either side failing ends both at once, as a reset would.
      socket.once('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayed(client, upstream, oneWayMs, establishedAtMs);
    delayed(upstream, client, oneWayMs, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

type Item = Buffer | 'end' | 'close';

/** Copies `from` to `to`: each chunk, the end and the close delayed, in order (one timer at a time, FIFO). */
function delayed(from: Socket, to: Socket, delayMs: number, notBeforeMs: number): void {
  const queue: { dueAtMs: number; item: Item }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.dueAtMs ?? 0) <= now + 0.5) {
      const { item } = queue.shift() ?? { item: 'close' };
      if (to.destroyed) return;
      if (item === 'end') to.end();
      else if (item === 'close') to.end(() => to.destroy());
      else to.write(item);
    }
    schedule();
  };
  const schedule = () => {
    const head = queue[0];
    if (head && !timer) timer = setTimeout(drain, Math.max(0, head.dueAtMs - performance.now()));
  };
  const push = (item: Item) => {
    queue.push({ dueAtMs: Math.max(performance.now(), notBeforeMs) + delayMs, item });
    schedule();
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.once('end', () => push('end'));
  from.once('close', () => push('close'));
  to.once('close', () => clearTimeout(timer));
}
