import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { MemoryReport, Target } from './protocol.ts';

export interface MemoryOptions {
  script: string;
  bundle: string;
  target: Target;
  /** The handler's environment; its Cashfree base URL is replaced by the huge-body server's. */
  env: NodeJS.ProcessEnv;
  bodyBytes: number;
  timeoutMs: number;
}

export interface MemoryResult extends MemoryReport {
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

  try {
    return await new Promise<MemoryResult>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [options.script, options.bundle, options.target.customerId, options.target.instrumentId],
        {
          env: { ...options.env, CASHFREE_BASE_URL: `http://127.0.0.1:${port}/pg` },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.resume();
      let stderr = '';
      let killed: string | undefined;
      let polledPeak = 0;
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const kill = (why: string) => {
        killed ??= why;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => kill(`timeout after ${options.timeoutMs} ms`), options.timeoutMs);
      const guard = setInterval(() => {
        const rss = rssOf(child.pid);
        polledPeak = Math.max(polledPeak, rss);
        if (rss > GUARD_RSS_BYTES) kill(`resident memory over ${GUARD_RSS_BYTES / 1024 ** 3} GiB`);
      }, 25);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        clearInterval(guard);
        if (killed) {
          return resolve({
            status: 0,
            ms: Number.NaN,
            peakRssBytes: polledPeak,
            bodyBytes: options.bodyBytes,
            bytesSent,
            killed,
          });
        }
        const last = stderr.trim().split('\n').at(-1) ?? '';
        if (code !== 0)
          return reject(new Error(`memory child exited ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
        resolve({ ...(JSON.parse(last) as MemoryReport), bodyBytes: options.bodyBytes, bytesSent });
      });
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}
