import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const aNumber = expect.any(Number);

// `npm run bench` with tiny counts: it must keep running end to end, in both modes. Its figures are checked for
// presence and sense only; speed is judged by the full run recorded in docs/performance.md, never by a test.
describe('npm run bench', () => {
  it('measures both modes, the SDK load, source maps, memory and the init profile, and writes every figure', async () => {
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
        BENCH_PROFILE_RUNS: '1',
        BENCH_OUT: out,
      },
      timeout: 90_000,
    });

    for (const section of ['LOOPBACK', 'SDK client load', 'source maps:', 'REALISTIC', 'INIT PROFILE', 'ALL BUDGETS']) {
      expect(stdout).toContain(section);
    }
    const { sizes, loopback, realistic, memory, profile, budgets } = JSON.parse(readFileSync(out, 'utf8'));

    // The subject is the deployed bundle; the default-chain bundle shows what the alias keeps out.
    expect(sizes.ours.credentialProviders).toEqual(['@aws-sdk/credential-provider-env']);
    expect(sizes.sdkDefault.credentialProviders).toContain('@aws-sdk/credential-provider-node');
    expect(sizes.sdkShipped.credentialProviders).toEqual(['@aws-sdk/credential-provider-env']);
    for (const size of Object.values(sizes) as { bytes: number; gzipBytes: number; packages: unknown[] }[]) {
      expect(size.bytes).toBeGreaterThan(size.gzipBytes);
      expect(size.packages.length).toBeGreaterThan(0);
    }

    expect(loopback.handlers.map((h: { name: string }) => h.name)).toEqual([
      'cryptogram-service',
      expect.stringMatching(/^cashfree-pg /),
    ]);
    for (const { cold, warm } of loopback.handlers) {
      expect(cold).toMatchObject({ wallMs: aNumber, overheadMs: aNumber, ratio: aNumber });
      expect(cold.phases.initRssBytes).toBeGreaterThan(0);
      expect(warm.handlerUs.count).toBe(40);
      expect(warm.fetchUs.count).toBe(40);
      expect(warm.secretReadsPer1000).toBe(0);
    }
    expect(loopback.fetch.wallMs).toBeGreaterThan(0);
    expect(loopback.sourceMaps).toMatchObject({ extraMs: aNumber, ratio: aNumber, extraInitRssBytes: aNumber });
    expect(loopback.sdkLoad).toMatchObject({ savedMs: aNumber, ratio: aNumber, savedInitRssBytes: aNumber });
    expect(loopback.sdkLoad.defaultChain.phases.importMs).toBeGreaterThan(0);
    expect(loopback.sdkLoad.shipped.phases.importMs).toBeGreaterThan(0);

    expect(realistic.rttMs).toBe(20);
    expect(realistic.subjects.map((s: { name: string }) => s.name)).toEqual([
      'cryptogram-service',
      expect.stringMatching(/^cashfree-pg /),
      'bare fetch',
    ]);
    for (const subject of realistic.subjects) {
      // Every call crosses the proxy twice each way: nothing can answer faster than one round trip.
      expect(subject.cold.medianMs).toBeGreaterThan(20);
      expect(subject.cold.handshakesPerRun.cashfree).toBeGreaterThanOrEqual(1);
      expect(subject.cold.phases.initRssBytes).toBeGreaterThan(0);
      expect(subject.warm.ms.count).toBe(10);
      expect(subject.warm.ms.p50).toBeGreaterThan(20);
      expect(subject.idle).toEqual([
        { seconds: 1, ms: aNumber, msBySession: [aNumber, aNumber], handshakes: expect.any(Object) },
      ]);
      expect(subject.idle[0].ms).toBeGreaterThan(20);
    }
    expect(memory.peakRssBytes).toBeGreaterThan(0);
    expect(memory.bodyBytes).toBe(64 * 1024 ** 2);

    expect(profile.runs).toBe(1);
    expect(profile.busyMs).toBeGreaterThan(0);
    expect(profile.modules.length).toBeGreaterThan(0);
    expect(profile.outside.length).toBeGreaterThan(0);

    expect(budgets.map((b: { figure: string }) => b.figure)).toEqual([
      'warm mean over bare fetch',
      'cold start over bare fetch',
      "cold start over bare fetch vs cashfree-pg's",
      'function code size',
      'credential providers in the bundle',
      'Secrets Manager reads per 1,000 warm calls',
      'cold first call over bare fetch, realistic',
      'call after 1 s idle, realistic',
      'peak memory, 64.0 MiB Cashfree body',
    ]);
  }, 100_000);
});
