import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm run bench` with tiny counts: it must keep running end to end, in both modes. Its figures are checked for
// presence and sense only; speed is judged by the full run recorded in docs/performance.md, never by a test.
describe('npm run bench', () => {
  it('measures both modes and writes every figure the report needs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-smoke-')), 'result.json');

    const { stdout } = await promisify(execFile)(process.execPath, ['bench/run.ts'], {
      env: {
        ...process.env,
        BENCH_COLD_PAIRS: '1',
        BENCH_WARM_CALLS: '40',
        BENCH_WARMUP_CALLS: '10',
        BENCH_REALISTIC_COLD_RUNS: '1',
        BENCH_REALISTIC_CALLS: '10',
        BENCH_REALISTIC_WARMUP_CALLS: '2',
        BENCH_IDLE_SECONDS: '1',
        BENCH_IDLE_SESSIONS: '2',
        BENCH_MEMORY_BYTES: String(64 * 1024 ** 2),
        BENCH_OUT: out,
      },
      timeout: 90_000,
    });

    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(stdout).toContain('LOOPBACK');
    expect(stdout).toContain('REALISTIC');
    expect(result.subjects.map((s: { name: string }) => s.name)).toEqual([
      'cryptogram-service',
      expect.stringMatching(/^cashfree-pg /),
    ]);
    for (const subject of result.subjects) {
      expect(subject.size.bytes).toBeGreaterThan(subject.size.gzipBytes);
      expect(subject.cold.handlerMs).toBeGreaterThan(0);
      expect(subject.cold.fetchMs).toBeGreaterThan(0);
      expect(subject.warm.handlerUs.count).toBe(40);
      expect(subject.warm.fetchUs.count).toBe(40);
      expect(subject.warm.secretReadsPer1000).toBe(0);
    }

    const { realistic, memory } = result;
    expect(realistic.rttMs).toBe(20);
    expect(realistic.sdkLoadMs).toBeGreaterThan(0);
    expect(realistic.subjects.map((s: { name: string }) => s.name)).toEqual([
      'cryptogram-service',
      expect.stringMatching(/^cashfree-pg /),
      'bare fetch',
    ]);
    for (const subject of realistic.subjects) {
      // Every call crosses the proxy twice each way: nothing can answer faster than one round trip.
      expect(subject.cold.medianMs).toBeGreaterThan(20);
      expect(subject.cold.handshakesPerRun.cashfree).toBeGreaterThanOrEqual(1);
      expect(subject.warm.ms.count).toBe(10);
      expect(subject.warm.ms.p50).toBeGreaterThan(20);
      expect(subject.warm.handshakesPer100.cashfree).toBeGreaterThanOrEqual(0);
      expect(subject.idle).toEqual([
        {
          seconds: 1,
          ms: expect.any(Number),
          msBySession: [expect.any(Number), expect.any(Number)],
          handshakes: expect.any(Object),
        },
      ]);
      expect(subject.idle[0].ms).toBeGreaterThan(20);
    }
    expect(memory.peakRssBytes).toBeGreaterThan(0);
    expect(memory.bodyBytes).toBe(64 * 1024 ** 2);

    expect(result.budgets.map((b: { figure: string }) => b.figure)).toEqual([
      'warm mean over bare fetch',
      'cold start over bare fetch',
      "cold start over bare fetch vs cashfree-pg's",
      'function code size',
      'Secrets Manager reads per 1,000 warm calls',
      'cold first call over bare fetch, realistic',
      'call after 1 s idle, realistic',
      'peak memory, 64.0 MiB Cashfree body',
    ]);
  }, 100_000);
});
