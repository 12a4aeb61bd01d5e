import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEMO_INSTRUMENTS } from '../local/cashfree-simulator.ts';
import { startEmbeddedUpstreams } from '../local/embedded.ts';
import { buildChildren, buildSubjects, ROOT } from './build.ts';
import { measureLoopback, OFFICIAL, OURS } from './loopback.ts';
import { measurePeakMemory } from './memory.ts';
import { profileInit } from './profile.ts';
import type { Target } from './protocol.ts';
import { measureRealistic } from './realistic/measure.ts';
import {
  BARE_FETCH,
  judge,
  renderBudgets,
  renderLoopback,
  renderProfile,
  renderRealistic,
  renderSizes,
} from './report.ts';

// `npm run bench`: the loopback mode, then the realistic mode (TLS, round trips, idle), peak memory, and a CPU
// profile of the function's init. Counts come from the environment so `npm test` can run a tiny smoke pass:
//   loopback: BENCH_COLD_PAIRS (20), BENCH_WARM_CALLS (5000), BENCH_WARMUP_CALLS (500), BENCH_BLOCK_SIZE (20);
//   realistic: BENCH_RTT_MS (20), BENCH_IDLE_SECONDS (10,30,60), BENCH_REALISTIC_COLD_RUNS (10),
//     BENCH_REALISTIC_CALLS (300), BENCH_REALISTIC_WARMUP_CALLS (20), BENCH_IDLE_SESSIONS (3),
//     BENCH_KEEPALIVE_HINT (0), BENCH_FREEZE (0);
//   BENCH_MEMORY_BYTES (1 GiB); BENCH_PROFILE_RUNS (5); BENCH_OUT (bench/results/latest.json);
//   BENCH_PROFILE_DIR (unset: the profiles are not kept).
const count = (name: string, fallback: number, min: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}`);
  return value;
};
const counts = {
  coldPairs: count('BENCH_COLD_PAIRS', 20, 1),
  warmCalls: count('BENCH_WARM_CALLS', 5000, 1),
  warmupCalls: count('BENCH_WARMUP_CALLS', 500, 0),
  // Small blocks: the machine's noise comes in bursts of a few milliseconds, which blocks of 100 calls would
  // pin on one side.
  blockSize: count('BENCH_BLOCK_SIZE', 20, 1),
  realisticColdRuns: count('BENCH_REALISTIC_COLD_RUNS', 10, 1),
  realisticCalls: count('BENCH_REALISTIC_CALLS', 300, 1),
  realisticWarmupCalls: count('BENCH_REALISTIC_WARMUP_CALLS', 20, 1),
  idleSessions: count('BENCH_IDLE_SESSIONS', 3, 1),
  profileRuns: count('BENCH_PROFILE_RUNS', 5, 1),
};
const rttMs = count('BENCH_RTT_MS', 20, 0);
const idleSeconds = (process.env.BENCH_IDLE_SECONDS ?? '10,30,60').split(',').map(Number);
if (idleSeconds.some((s) => !(s > 0 && s <= 300)))
  throw new Error('BENCH_IDLE_SECONDS: seconds in (0, 300], comma-separated');
const keepAliveHint = count('BENCH_KEEPALIVE_HINT', 0, 0) > 0;
const freeze = count('BENCH_FREEZE', 0, 0) > 0;
const memoryBytes = count('BENCH_MEMORY_BYTES', 1024 ** 3, 1024);
const outFile = resolve(process.env.BENCH_OUT ?? join(ROOT, 'bench/results/latest.json'));

const loadAtStart = loadavg()[0] ?? 0;
const work = mkdtempSync(join(tmpdir(), 'cryptogram-bench-'));
const profileDir = process.env.BENCH_PROFILE_DIR ? resolve(process.env.BENCH_PROFILE_DIR) : join(work, 'profiles');
// A rate limit would turn calls into 429s and retries: the bench measures the happy path only.
const upstreams = await startEmbeddedUpstreams({ rateLimitPerMinute: Number.MAX_SAFE_INTEGER });
try {
  const [subjects, scripts] = await Promise.all([buildSubjects(work), buildChildren(join(work, 'children'))]);
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
  // The function sets no NODE_OPTIONS (source maps are read offline: `npm run stack`), so no child gets any but
  // the one variant that measures them; and no profile, so the SDK's default chain finds the stand-in's keys.
  const env: NodeJS.ProcessEnv = { ...process.env, ...upstreams.env, NODE_OPTIONS: '' };
  delete env.AWS_PROFILE;
  const secretReads = () => upstreams.secretsManager.reads;

  const loopback = await measureLoopback({
    subjects,
    scripts,
    target,
    env,
    pairs: counts.coldPairs,
    warmupCalls: counts.warmupCalls,
    warmCalls: counts.warmCalls,
    blockSize: counts.blockSize,
    secretReads,
  });
  process.stdout.write(`\n${renderLoopback(subjects, loopback)}\n\n`);

  const realistic = await measureRealistic({
    subjects: [
      { name: OURS, bundle: subjects.ours.file },
      { name: OFFICIAL, bundle: subjects.official.file },
      { name: BARE_FETCH },
    ],
    scripts,
    upstreams,
    target,
    baseEnv: env,
    rttMs,
    keepAliveHint,
    freeze,
    coldRuns: counts.realisticColdRuns,
    warmupCalls: counts.realisticWarmupCalls,
    calls: counts.realisticCalls,
    idleSeconds,
    idleSessions: counts.idleSessions,
  });
  process.stderr.write(`memory: one call against a ${memoryBytes.toLocaleString('en-US')}-byte Cashfree body...\n`);
  const memory = await measurePeakMemory({
    script: scripts.cold,
    bundle: subjects.ours.file,
    env: { ...env, BENCH_TARGET: JSON.stringify(target) },
    bodyBytes: memoryBytes,
    timeoutMs: 60_000,
  });
  process.stdout.write(`${renderRealistic(realistic, memory)}\n\n`);

  process.stderr.write(`profile: ${counts.profileRuns} profiled inits of ${OURS}...\n`);
  mkdirSync(profileDir, { recursive: true });
  const profile = await profileInit({
    script: scripts.cold,
    bundle: subjects.profiled.file,
    env: { ...env, BENCH_TARGET: JSON.stringify(target) },
    dir: profileDir,
    runs: counts.profileRuns,
  });
  const budgets = judge({ subjects, loopback, realistic, memory });
  const loadAtEnd = loadavg()[0] ?? 0;
  process.stdout.write(
    `${renderProfile(profile)}\n\n${renderBudgets(budgets)}\n\n${renderSizes(subjects)}\n\n` +
      `1-minute load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end ` +
      '(above ~1 on 2 cores, something else competed with the bench)\n',
  );

  mkdirSync(dirname(outFile), { recursive: true });
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model, memoryBytes: totalmem() };
  const result = {
    date: new Date().toISOString(),
    machine,
    node: process.version,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    counts,
    sizes: subjects,
    loopback,
    realistic,
    memory,
    profile,
    budgets,
  };
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nresults: ${outFile}\n`);
} finally {
  await upstreams.close();
  rmSync(work, { recursive: true, force: true });
}
