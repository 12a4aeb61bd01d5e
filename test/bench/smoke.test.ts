import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm run bench` with tiny counts: it must keep running end to end. Its figures are checked for presence and
// sense only; speed is judged by the full run recorded in docs/performance.md, never by a test.
describe('npm run bench', () => {
  it('measures both handlers and writes every figure the report needs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-smoke-')), 'result.json');

    await promisify(execFile)(process.execPath, ['bench/run.ts'], {
      env: {
        ...process.env,
        BENCH_COLD_PAIRS: '1',
        BENCH_WARM_CALLS: '40',
        BENCH_WARMUP_CALLS: '10',
        BENCH_OUT: out,
      },
      timeout: 120_000,
    });

    const result = JSON.parse(readFileSync(out, 'utf8'));
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
    expect(result.budgets.map((b: { figure: string }) => b.figure)).toHaveLength(5);
  });
});
