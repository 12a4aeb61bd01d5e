import type { MemoryResult } from '../memory.ts';
import { type Budget, columns } from '../report.ts';
import type { Handshakes, RealisticResult, RealisticSubjectResult } from './measure.ts';

export const BARE_FETCH = 'bare fetch';
const MB = 1_000_000;
const MEMORY_BUDGET_BYTES = 150 * MB;
const IDLE_BUDGET_SECONDS = 30;

/** The idle call the 30 s budget is judged on: 30 s if measured, else the shortest idle above it, else the longest. */
export function idleForBudget(subject: RealisticSubjectResult) {
  const sorted = subject.idle.toSorted((a, b) => a.seconds - b.seconds);
  return sorted.find((i) => i.seconds >= IDLE_BUDGET_SECONDS) ?? sorted.at(-1);
}

/** The issue's realistic-mode budgets, judged on the project's handler against the bare fetch. */
export function judgeRealistic(result: RealisticResult, oursName: string, memory: MemoryResult): Budget[] {
  const ours = result.subjects.find((s) => s.name === oursName);
  const bare = result.subjects.find((s) => s.name === BARE_FETCH);
  if (!ours || !bare) throw new Error('the realistic mode needs the project handler and the bare fetch');
  const coldOverMs = ours.cold.medianMs - bare.cold.medianMs;
  const coldLimitMs = result.sdkLoadMs + result.rttMs;
  const idle = idleForBudget(ours);
  const idleHandshakes = idle ? idle.handshakes.cashfree + idle.handshakes.secretsManager : Number.NaN;
  // Judged against the warm mean, as every warm figure here is; the ratio to the p50 is shown beside it.
  const idleRatio = idle ? idle.ms / bare.warm.ms.mean : Number.NaN;
  const idleRatioP50 = idle ? idle.ms / bare.warm.ms.p50 : Number.NaN;
  return [
    {
      figure: 'cold first call over bare fetch, realistic',
      limit: `<= SDK load + 1 RTT (${result.sdkLoadMs.toFixed(1)} + ${result.rttMs} ms)`,
      measured: `${signed(coldOverMs)} ms (${ours.cold.medianMs.toFixed(1)} - ${bare.cold.medianMs.toFixed(1)})`,
      verdict: coldOverMs <= coldLimitMs ? 'PASS' : 'MISS',
    },
    {
      figure: `call after ${idle?.seconds ?? '?'} s idle, realistic`,
      limit: 'no handshake, <= 1.05x warm bare fetch mean',
      measured: `${idleHandshakes} handshakes, ${idle?.ms.toFixed(2)} ms = ${idleRatio.toFixed(3)}x (p50: ${idleRatioP50.toFixed(3)}x)`,
      verdict: idleHandshakes === 0 && idleRatio <= 1.05 ? 'PASS' : 'MISS',
    },
    {
      figure: `peak memory, ${bytes(memory.bodyBytes)} Cashfree body`,
      limit: `< ${MEMORY_BUDGET_BYTES / MB} MB`,
      measured:
        `${(memory.peakRssBytes / MB).toFixed(1)} MB, answered ${memory.status || 'nothing'}` +
        (memory.killed ? ` (killed: ${memory.killed})` : ''),
      verdict: !memory.killed && memory.peakRssBytes < MEMORY_BUDGET_BYTES ? 'PASS' : 'MISS',
    },
  ];
}

const hs = (h: Handshakes) =>
  `${fmt(h.cashfree)}${h.cashfreeResumed > 0 ? ` (${fmt(h.cashfreeResumed)} res)` : ''}/${fmt(h.secretsManager)}`;

/** The realistic table: one row per subject, handshakes as Cashfree (resumed) / Secrets Manager. */
export function renderRealistic(result: RealisticResult, memory: MemoryResult): string {
  const seconds = result.subjects[0]?.idle.map((i) => i.seconds) ?? [];
  const rows: string[][] = [
    [
      '',
      'cold med ms',
      'min-max',
      'cold TLS CF/SM',
      'warm mean ms',
      'p50',
      'p99',
      'TLS/100 warm',
      ...seconds.flatMap((s) => [`${s} s idle ms`, 'TLS']),
    ],
  ];
  for (const s of result.subjects) {
    rows.push([
      s.name,
      s.cold.medianMs.toFixed(1),
      `${s.cold.minMs.toFixed(0)}-${s.cold.maxMs.toFixed(0)}`,
      hs(s.cold.handshakesPerRun),
      s.warm.ms.mean.toFixed(2),
      s.warm.ms.p50.toFixed(2),
      s.warm.ms.p99.toFixed(2),
      hs(s.warm.handshakesPer100),
      ...s.idle.flatMap((i) => [i.ms.toFixed(2), hs(i.handshakes)]),
    ]);
  }
  const settings =
    `RTT ${result.rttMs} ms (added by a TCP proxy, half each way, one more before the first bytes); TLS servers keep ` +
    `idle connections ${result.serverIdleTimeoutMs / 1000} s, ${result.keepAliveHint ? 'with' : 'without'} a ` +
    `Keep-Alive hint; processes ${result.freeze ? 'frozen (SIGSTOP)' : 'not frozen'} while idle; ` +
    `Secrets Manager client load ${result.sdkLoadMs.toFixed(1)} ms (median)`;
  const memoryLine =
    `${bytes(memory.bodyBytes)} body: peak RSS ${(memory.peakRssBytes / MB).toFixed(1)} MB, answer ${memory.status || 'none'} after ` +
    `${memory.ms.toFixed(0)} ms, ${(memory.bytesSent / MB).toFixed(1)} MB sent by the server` +
    (memory.killed ? `, killed: ${memory.killed}` : '');
  const phases = result.subjects.map(
    ({ name, cold: { phases: p } }) =>
      `  ${name}: node start ${p.startMs.toFixed(1)}, import and init ${p.importMs.toFixed(1)}, first call ${p.invokeMs.toFixed(1)} ms`,
  );
  return (
    `${settings}\nTLS = handshakes at Cashfree (resumed) / at Secrets Manager\n${columns(rows)}\n` +
    `cold first call phases, medians inside the child (a bare fetch has no import):\n${phases.join('\n')}\n${memoryLine}`
  );
}

const bytes = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
