import { setTimeout as sleep } from 'node:timers/promises';
import { ENV } from '../../lambda/config.ts';
import type { EmbeddedUpstreams } from '../../local/embedded.ts';
import { createThrowawayCa } from '../../test/support/throwaway-ca.ts';
import { coldOf, type Phases, runChild, type Session, startSession } from '../child.ts';
import type { Target } from '../protocol.ts';
import { inRounds, median, type Summary, summarize } from '../stats.ts';
import { startRttProxy } from './rtt-proxy.ts';
import { SERVER_IDLE_TIMEOUT_MS, startTlsFront, type TlsFront } from './tls-front.ts';

export interface RealisticSubject {
  name: string;
  /** The handler's bundle; absent for the bare fetch. */
  bundle?: string;
}

export interface RealisticOptions {
  subjects: RealisticSubject[];
  scripts: { cold: string; fetch: string; session: string };
  upstreams: EmbeddedUpstreams;
  /** The loopback target; its URL is replaced by each subject's TLS address. */
  target: Target;
  /** Environment shared by every child, the upstreams' variables included. */
  baseEnv: NodeJS.ProcessEnv;
  rttMs: number;
  keepAliveHint: boolean;
  freeze: boolean;
  coldRuns: number;
  warmupCalls: number;
  calls: number;
  idleSeconds: number[];
  /** Processes per subject that idle side by side: each idle figure is the median of their calls. */
  idleSessions: number;
}

/** TLS handshakes one step cost, at Cashfree's front and at Secrets Manager's. */
export interface Handshakes {
  cashfree: number;
  cashfreeResumed: number;
  secretsManager: number;
}

export interface RealisticSubjectResult {
  name: string;
  /** Process start to answer (import and init included), wall clock, fresh process per run. */
  cold: { runs: number; medianMs: number; minMs: number; maxMs: number; phases: Phases; handshakesPerRun: Handshakes };
  warm: { ms: Summary; handshakesPer100: Handshakes };
  /** `ms` is the median of the sessions' first calls after the idle; handshakes are per call. */
  idle: { seconds: number; ms: number; msBySession: number[]; handshakes: Handshakes }[];
}

export interface RealisticResult {
  rttMs: number;
  serverIdleTimeoutMs: number;
  keepAliveHint: boolean;
  freeze: boolean;
  subjects: RealisticSubjectResult[];
}

interface Wired {
  subject: RealisticSubject;
  env: NodeJS.ProcessEnv;
  target: Target;
  /** Handshakes so far, both servers. */
  handshakes(): Handshakes;
  close(): Promise<void>;
}

const portOf = (url: string) => Number(new URL(url).port);
const minus = (a: Handshakes, b: Handshakes, per = 1): Handshakes => ({
  cashfree: (a.cashfree - b.cashfree) * per,
  cashfreeResumed: (a.cashfreeResumed - b.cashfreeResumed) * per,
  secretsManager: (a.secretsManager - b.secretsManager) * per,
});
const mean = (all: Handshakes[]): Handshakes => {
  const of = (pick: (h: Handshakes) => number) => all.reduce((t, h) => t + pick(h), 0) / all.length;
  return {
    cashfree: of((h) => h.cashfree),
    cashfreeResumed: of((h) => h.cashfreeResumed),
    secretsManager: of((h) => h.secretsManager),
  };
};

/** Each subject (and each idling process) gets its own TLS servers and proxies, so handshakes never mix. */
async function wire(subject: RealisticSubject, options: RealisticOptions, ca: ReturnType<typeof createThrowawayCa>) {
  const certificate = ca.issue();
  const front = (upstreamPort: number): Promise<TlsFront> =>
    startTlsFront({ certificate, upstreamPort, keepAliveHint: options.keepAliveHint });
  const cashfree = await front(portOf(options.upstreams.cashfree.baseUrl));
  const secretsManager = await front(portOf(options.upstreams.secretsManager.url));
  const cashfreeProxy = await startRttProxy(cashfree.port, options.rttMs);
  const secretsProxy = await startRttProxy(secretsManager.port, options.rttMs);
  const base = `https://127.0.0.1:${cashfreeProxy.port}/pg`;
  const { customerId, instrumentId } = options.target;
  const target = { ...options.target, url: `${base}/customers/${customerId}/instruments/${instrumentId}/cryptogram` };
  const wired: Wired = {
    subject,
    env: {
      ...options.baseEnv,
      [ENV.baseUrl]: base,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `https://127.0.0.1:${secretsProxy.port}`,
      NODE_EXTRA_CA_CERTS: ca.certPath,
      BENCH_TARGET: JSON.stringify(target),
    },
    target,
    handshakes: () => ({
      cashfree: cashfree.counts.handshakes,
      cashfreeResumed: cashfree.counts.resumed,
      secretsManager: secretsManager.counts.handshakes,
    }),
    async close() {
      await Promise.all([cashfreeProxy.close(), secretsProxy.close(), cashfree.close(), secretsManager.close()]);
    },
  };
  return wired;
}

/**
 * The realistic mode: every subject talks TLS (a throw-away CA trusted through NODE_EXTRA_CA_CERTS) through
 * proxies that add `rttMs` of round trip. Cold starts first (fresh processes, subjects taking turns), then each
 * subject's warm calls in turn, then all subjects idle at once, each in its own processes.
 */
export async function measureRealistic(options: RealisticOptions): Promise<RealisticResult> {
  const ca = createThrowawayCa();
  const idlers: { subject: number; wired: Wired; session?: Session }[] = [];
  const childTimeoutMs = 60_000;
  try {
    for (const [i, subject] of options.subjects.entries()) {
      for (let k = 0; k < options.idleSessions; k++)
        idlers.push({ subject: i, wired: await wire(subject, options, ca) });
    }
    // The first idler of each subject is its cold and warm one too.
    const wired = options.subjects.map((_, i) => idlers.find((x) => x.subject === i)?.wired as Wired);
    const idleTotalMs = options.idleSeconds.reduce((sum, s) => sum + s, 0) * 1000;
    const sessionTimeoutMs = childTimeoutMs + idleTotalMs + (options.warmupCalls + options.calls) * 1000;
    const open = (w: Wired) =>
      startSession(options.scripts.session, { ...w.target, bundle: w.subject.bundle }, w.env, sessionTimeoutMs);
    const side = (w: Wired) => (w.subject.bundle ? 'handler' : 'fetch');

    process.stderr.write(
      `realistic: cold first calls, ${options.coldRuns} per subject over ${options.rttMs} ms RTT...\n`,
    );
    const cold = await inRounds(
      Object.fromEntries(
        wired.map((w) => [
          w.subject.name,
          async () => {
            const before = w.handshakes();
            const run = w.subject.bundle
              ? await runChild(options.scripts.cold, ['handler', w.subject.bundle], {
                  env: w.env,
                  timeoutMs: childTimeoutMs,
                })
              : await runChild(options.scripts.fetch, [], { env: w.env, timeoutMs: childTimeoutMs });
            if (run.report.status !== 200) throw new Error(`${w.subject.name} answered ${run.report.status}`);
            return { ...run, handshakes: minus(w.handshakes(), before) };
          },
        ]),
      ),
      options.coldRuns,
    );

    const warm = new Map<Wired, RealisticSubjectResult['warm']>();
    for (const w of wired) {
      process.stderr.write(`realistic: warm, ${w.subject.name}, ${options.warmupCalls} + ${options.calls} calls...\n`);
      const session = await open(w);
      const idler = idlers.find((x) => x.wired === w);
      if (idler) idler.session = session;
      await session.calls(side(w), options.warmupCalls);
      const before = w.handshakes();
      const ms = await session.calls(side(w), options.calls);
      warm.set(w, { ms: summarize(ms), handshakesPer100: minus(w.handshakes(), before, 100 / options.calls) });
    }
    for (const idler of idlers) {
      if (idler.session) continue;
      idler.session = await open(idler.wired);
      await idler.session.calls(side(idler.wired), options.warmupCalls);
    }

    process.stderr.write(
      `realistic: idle ${options.idleSeconds.join(' s, ')} s, ${idlers.length} processes at once...\n`,
    );
    const idleCalls = await Promise.all(
      idlers.map(async ({ wired: w, session }, i) => {
        if (!session) throw new Error('no session');
        // Staggered, so the calls after each idle do not compete for the CPU at the same instant.
        await sleep(i * 250);
        // Each idle is timed from this process's own last call, whatever the others were doing meanwhile.
        await session.calls(side(w), 1);
        const calls: { ms: number; handshakes: Handshakes }[] = [];
        for (const seconds of options.idleSeconds) {
          if (options.freeze) session.freeze();
          await sleep(seconds * 1000);
          if (options.freeze) session.thaw();
          const before = w.handshakes();
          const [ms = Number.NaN] = await session.calls(side(w), 1);
          calls.push({ ms, handshakes: minus(w.handshakes(), before) });
        }
        return calls;
      }),
    );

    return {
      rttMs: options.rttMs,
      serverIdleTimeoutMs: SERVER_IDLE_TIMEOUT_MS,
      keepAliveHint: options.keepAliveHint,
      freeze: options.freeze,
      subjects: wired.map((w, i) => {
        const runs = cold[w.subject.name] ?? [];
        const { wallMs, phases } = coldOf(runs);
        const ms = runs.map((r) => r.wallMs);
        const warmResult = warm.get(w);
        if (!warmResult) throw new Error(`no warm result for ${w.subject.name}`);
        return {
          name: w.subject.name,
          cold: {
            runs: runs.length,
            medianMs: wallMs,
            minMs: Math.min(...ms),
            maxMs: Math.max(...ms),
            phases,
            handshakesPerRun: mean(runs.map((r) => r.handshakes)),
          },
          warm: warmResult,
          idle: options.idleSeconds.map((seconds, step) => {
            const calls = idlers.flatMap((x, k) => (x.subject === i ? [idleCalls[k]?.[step]] : []));
            const msBySession = calls.map((c) => c?.ms ?? Number.NaN);
            return {
              seconds,
              ms: median(msBySession),
              msBySession,
              handshakes: mean(calls.flatMap((c) => (c ? [c.handshakes] : []))),
            };
          }),
        };
      }),
    };
  } finally {
    for (const { session } of idlers) session?.close();
    await Promise.all(idlers.map((x) => x.wired.close()));
    ca.dispose();
  }
}
