import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEMO_INSTRUMENTS } from '../local/cashfree-simulator.ts';
import { startEmbeddedUpstreams } from '../local/embedded.ts';
import { buildChildren, bundleFunction, ROOT } from './bundle.ts';
import { measureColdStarts } from './cold.ts';
import { measurePeakMemory } from './memory.ts';
import { profileSubjects } from './profile.ts';
import type { Target } from './protocol.ts';
import { measureRealistic } from './realistic/measure.ts';
import { BARE_FETCH, judgeRealistic, renderRealistic } from './realistic/report.ts';
import { columns, judge, renderSize, renderTable, type SubjectResult } from './report.ts';
import { prepareSubjects } from './subjects.ts';
import { measureWarm } from './warm.ts';

// `npm run bench`: the loopback mode, then the realistic mode (TLS, round trips, idle), then peak memory.
// Counts come from the environment so `npm test` can run a tiny smoke pass:
//   loopback: BENCH_COLD_PAIRS (20), BENCH_WARM_CALLS (5000), BENCH_WARMUP_CALLS (500), BENCH_BLOCK_SIZE (20);
//   realistic: BENCH_RTT_MS (20), BENCH_IDLE_SECONDS (10,30,60), BENCH_REALISTIC_COLD_RUNS (10),
//     BENCH_REALISTIC_CALLS (300), BENCH_REALISTIC_WARMUP_CALLS (20), BENCH_IDLE_SESSIONS (3),
//     BENCH_KEEPALIVE_HINT (0), BENCH_FREEZE (0);
//   BENCH_MEMORY_BYTES (1 GiB); BENCH_OUT (bench/results/latest.json); BENCH_PROFILE_DIR (unset: no profiles).
const count = (name: string, fallback: number, min: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}`);
  return value;
};
const coldPairs = count('BENCH_COLD_PAIRS', 20, 1);
const warmCalls = count('BENCH_WARM_CALLS', 5000, 1);
const warmupCalls = count('BENCH_WARMUP_CALLS', 500, 0);
// Small blocks: the machine's noise comes in bursts of a few milliseconds, which blocks of 100 calls would
// pin on one side.
const blockSize = count('BENCH_BLOCK_SIZE', 20, 1);
const rttMs = count('BENCH_RTT_MS', 20, 0);
const idleSeconds = (process.env.BENCH_IDLE_SECONDS ?? '10,30,60').split(',').map(Number);
if (idleSeconds.some((s) => !(s > 0 && s <= 300)))
  throw new Error('BENCH_IDLE_SECONDS: seconds in (0, 300], comma-separated');
const realisticColdRuns = count('BENCH_REALISTIC_COLD_RUNS', 10, 1);
const realisticCalls = count('BENCH_REALISTIC_CALLS', 300, 1);
const realisticWarmupCalls = count('BENCH_REALISTIC_WARMUP_CALLS', 20, 1);
const idleSessions = count('BENCH_IDLE_SESSIONS', 3, 1);
const keepAliveHint = count('BENCH_KEEPALIVE_HINT', 0, 0) > 0;
const freeze = count('BENCH_FREEZE', 0, 0) > 0;
const memoryBytes = count('BENCH_MEMORY_BYTES', 1024 ** 3, 1024);
const outFile = resolve(process.env.BENCH_OUT ?? join(ROOT, 'bench/results/latest.json'));
const profileDir = process.env.BENCH_PROFILE_DIR && resolve(process.env.BENCH_PROFILE_DIR);

const loadAtStart = loadavg()[0] ?? 0;
const work = mkdtempSync(join(tmpdir(), 'cryptogram-bench-'));
// A rate limit would turn calls into 429s and retries: the bench measures the happy path only.
const upstreams = await startEmbeddedUpstreams({ rateLimitPerMinute: Number.MAX_SAFE_INTEGER });
try {
  const [{ ours, official, sdkExternal, nodeOptions }, scripts, sdkOnly] = await Promise.all([
    prepareSubjects(work),
    buildChildren(join(work, 'children')),
    bundleFunction('bench/sdk-entry.ts', join(work, 'sdk-only')),
  ]);
  const subjects = [ours, official];

  const demo = DEMO_INSTRUMENTS[0];
  if (!demo) throw new Error('the simulator has no demo instrument');
  const { credentials } = upstreams;
  const target: Target = {
    url: `${upstreams.cashfree.baseUrl}/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`,
    headers: {
      accept: 'application/json',
      'x-api-version': '2022-09-01',
      'x-client-id': credentials.clientId,
      'x-client-secret': credentials.clientSecret,
      'x-request-id': 'bench-bare-fetch',
    },
    customerId: demo.customerId,
    instrumentId: demo.instrumentId,
  };
  // Same NODE_OPTIONS on every side, so Node's own start-up is the same for handlers and baseline.
  const handlerEnv = { ...process.env, ...upstreams.env, NODE_OPTIONS: nodeOptions };
  const fetchEnv = { ...process.env, NODE_OPTIONS: nodeOptions, BENCH_FETCH_HEADERS: JSON.stringify(target.headers) };
  const bundles = subjects.map((s) => ({ name: s.name, slug: s.slug, bundle: s.size.file }));

  process.stderr.write(`cold starts: ${coldPairs} pairs per handler...\n`);
  const cold = await measureColdStarts({
    subjects: bundles,
    pairs: coldPairs,
    target,
    scripts: { handler: scripts['cold-handler'], fetch: scripts['cold-fetch'] },
    handlerEnv,
    fetchEnv,
    childTimeoutMs: 30_000,
  });

  const results: SubjectResult[] = [];
  for (const { name, size } of subjects) {
    process.stderr.write(`warm: ${name}, ${warmupCalls} + ${warmCalls} calls per side...\n`);
    const warm = await measureWarm({
      script: scripts.warm,
      config: { ...target, bundle: size.file, warmupCalls, calls: warmCalls, blockSize },
      env: handlerEnv,
      secretReads: () => upstreams.secretsManager.reads,
      timeoutMs: 120_000 + warmCalls * 20,
    });
    const coldResult = cold[name];
    if (!coldResult) throw new Error(`no cold-start result for ${name}`);
    results.push({ name, size, cold: coldResult, warm });
  }

  const [oursResult, officialResult] = results;
  if (!oursResult || !officialResult) throw new Error('both handlers must have results');
  const loopbackBudgets = judge(oursResult, officialResult);
  process.stdout.write(
    `\nLOOPBACK (plain HTTP on 127.0.0.1, no added latency)\n${renderTable(results, sdkExternal, loopbackBudgets)}\n\n`,
  );

  const realistic = await measureRealistic({
    subjects: [...bundles, { name: BARE_FETCH }],
    sdkBundle: sdkOnly.file,
    scripts,
    upstreams,
    target,
    baseEnv: { ...process.env, NODE_OPTIONS: nodeOptions },
    rttMs,
    keepAliveHint,
    freeze,
    coldRuns: realisticColdRuns,
    warmupCalls: realisticWarmupCalls,
    calls: realisticCalls,
    idleSeconds,
    idleSessions,
  });
  process.stderr.write(`memory: one call against a ${memoryBytes.toLocaleString('en-US')}-byte Cashfree body...\n`);
  const memory = await measurePeakMemory({
    script: scripts.memory,
    bundle: ours.size.file,
    target,
    env: handlerEnv,
    bodyBytes: memoryBytes,
    timeoutMs: 60_000,
  });
  const realisticBudgets = judgeRealistic(realistic, ours.name, memory);
  const budgets = [...loopbackBudgets, ...realisticBudgets];
  const loadAtEnd = loadavg()[0] ?? 0;
  process.stdout.write(`REALISTIC (TLS over a ${rttMs} ms round trip)\n${renderRealistic(realistic, memory)}\n\n`);
  process.stdout.write(
    `ALL BUDGETS\n${columns([['budget', 'limit', 'measured', ''], ...budgets.map((b) => [b.figure, b.limit, b.measured, b.verdict])])}\n\n`,
  );
  process.stdout.write(
    `${ours.name} size: ${ours.size.origin}\n${ours.name}: ${renderSize(ours.size, 10)}\n\n` +
      `${official.name}: ${renderSize(official.size, 10)}\n\n` +
      `NODE_OPTIONS of every child: '${nodeOptions}'; 1-minute load average ${loadAtStart.toFixed(2)} at start, ` +
      `${loadAtEnd.toFixed(2)} at end (above ~1 on 2 cores, something else competed with the bench)\n`,
  );

  const profiles = profileDir
    ? await profileSubjects({
        dir: profileDir,
        subjects: bundles,
        scripts,
        target,
        handlerEnv,
        warmupCalls,
        warmCalls,
        secretReads: () => upstreams.secretsManager.reads,
      })
    : undefined;

  mkdirSync(dirname(outFile), { recursive: true });
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model, memoryBytes: totalmem() };
  writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        node: process.version,
        nodeOptions,
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        counts: { coldPairs, warmCalls, warmupCalls, blockSize },
        subjects: results,
        realistic,
        memory,
        sdkExternalSize: sdkExternal,
        budgets,
        profiles,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nresults: ${outFile}\n`);
} finally {
  await upstreams.close();
  rmSync(work, { recursive: true, force: true });
}
