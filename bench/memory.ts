import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ENV } from '../lambda/config.ts';
import { runChild } from './child.ts';

export interface MemoryOptions {
  script: string;
  bundle: string;
  /** The handler's environment; its Cashfree base URL is replaced by the huge-body server's. */
  env: NodeJS.ProcessEnv;
  bodyBytes: number;
  timeoutMs: number;
}

export interface MemoryResult {
  /** The answer's status (0 when the child was killed), after `ms`. */
  status: number;
  ms: number;
  peakRssBytes: number;
  bodyBytes: number;
  /** Bytes the server managed to send before the handler stopped reading or hung up. */
  bytesSent: number;
  /** Set when the bench had to kill the child (over its memory guard or its timeout): the peak is a lower bound. */
  killed?: string;
}

const CHUNK = Buffer.alloc(64 * 1024, 'A');
// Far above the budget, far below the machine: a handler that buffers everything is stopped here.
const GUARD_RSS_BYTES = 3 * 1024 ** 3;

/**
 * One invocation of the handler against a Cashfree on loopback that answers 200 with a `bodyBytes` JSON body,
 * chunked, with no content-length (the case a length check alone cannot refuse), sent as fast as the handler
 * reads it. Returns the child's peak RSS.
 */
export async function measurePeakMemory(options: MemoryOptions): Promise<MemoryResult> {
  let bytesSent = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let left = options.bodyBytes;
    const head = '{"cryptogram":"';
    res.write(head);
    left -= head.length;
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
        left -= chunk.length;
        bytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let polledPeak = 0;
  let killed: string | undefined;
  const watch = (pid: number) => {
    const rss = rssOf(pid);
    polledPeak = Math.max(polledPeak, rss);
    if (rss > GUARD_RSS_BYTES) killed = `resident memory over ${GUARD_RSS_BYTES / 1024 ** 3} GiB`;
    return killed;
  };
  const { bodyBytes } = options;
  try {
    const { report } = await runChild(options.script, ['handler', options.bundle], {
      env: { ...options.env, [ENV.baseUrl]: `http://127.0.0.1:${port}/pg` },
      timeoutMs: options.timeoutMs,
      watch,
    });
    return { status: report.status, ms: report.invokeMs, peakRssBytes: report.peakRssBytes, bodyBytes, bytesSent };
  } catch (error) {
    const why = killed ?? /timeout after \d+ ms/.exec((error as Error).message)?.[0];
    if (!why) throw error;
    return { status: 0, ms: Number.NaN, peakRssBytes: polledPeak, bodyBytes, bytesSent, killed: why };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}
