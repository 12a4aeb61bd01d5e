import { setTimeout as sleep } from 'node:timers/promises';
import { ENV } from '../../lambda/config.ts';
import type { EmbeddedUpstreams } from '../../local/embedded.ts';
import { createThrowawayCa } from '../../local/throwaway-ca.ts';
import type { ChildScript } from '../bundle.ts';
import { timeChild } from '../cold.ts';
import type { ColdPhases, Target } from '../protocol.ts';
import { median, type Summary, summarize } from '../stats.ts';
import { startRttProxy } from './rtt-proxy.ts';
import { type Session, startSession } from './session.ts';
import { SERVER_IDLE_TIMEOUT_MS, startTlsFront, type TlsCounts, type TlsFront } from './tls-front.ts';

export interface RealisticSubject {
  name: string;
  /** The handler's bundle; absent for the bare fetch. */
  bundle?: string;
}

export interface RealisticOptions {
  subjects: RealisticSubject[];
  /** The bundle of the Secrets Manager client alone, to time its load. */
  sdkBundle: string;
  scripts: Record<ChildScript, string>;
  upstreams: EmbeddedUpstreams;
  /** The loopback target; its URL is replaced by each subject's TLS address. */
  target: Target;
  /** Environment shared by every child (NODE_OPTIONS). */
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
  cold: {
    runs: number;
    medianMs: number;
    minMs: number;
    maxMs: number;
    /** Medians of the child's own split: Node's start, import (the handler's init included), first call. */
    phases: { startMs: number; importMs: number; invokeMs: number };
    handshakesPerRun: Handshakes;
  };
  warm: { ms: Summary; handshakesPer100: Handshakes };
  /** `ms` is the median of the sessions' first calls after the idle; handshakes are per call. */
  idle: { seconds: number; ms: number; msBySession: number[]; handshakes: Handshakes }[];
}

export interface RealisticResult {
  rttMs: number;
  serverIdleTimeoutMs: number;
  keepAliveHint: boolean;
  freeze: boolean;
  /** Median time for a fresh process to import the Secrets Manager client's bundle and make one client. */
  sdkLoadMs: number;
  subjects: RealisticSubjectResult[];
}

interface Wired {
  subject: RealisticSubject;
  cashfree: TlsFront;
  secretsManager: TlsFront;
  env: NodeJS.ProcessEnv;
  target: Target;
  close(): Promise<void>;
}

const portOf = (url: string) => Number(new URL(url).port);

/** Each subject gets its own TLS servers and proxies, so handshakes are counted per subject. */
async function wire(subject: RealisticSubject, options: RealisticOptions, ca: ReturnType<typeof createThrowawayCa>) {
  const certificate = ca.issue();
  const front = (upstreamPort: number) =>
    startTlsFront({ certificate, upstreamPort, keepAliveHint: options.keepAliveHint });
  const cashfree = await front(portOf(options.upstreams.cashfree.baseUrl));
  const secretsManager = await front(portOf(options.upstreams.secretsManager.url));
  const cashfreeProxy = await startRttProxy(cashfree.port, options.rttMs);
  const secretsProxy = await startRttProxy(secretsManager.port, options.rttMs);
  const base = `https://127.0.0.1:${cashfreeProxy.port}/pg`;
  const { customerId, instrumentId } = options.target;
  const wired: Wired = {
    subject,
    cashfree,
    secretsManager,
    env: {
      ...options.baseEnv,
      ...options.upstreams.env,
      [ENV.baseUrl]: base,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `https://127.0.0.1:${secretsProxy.port}`,
      NODE_EXTRA_CA_CERTS: ca.certPath,
      BENCH_FETCH_HEADERS: JSON.stringify(options.target.headers),
    },
    target: { ...options.target, url: `${base}/customers/${customerId}/instruments/${instrumentId}/cryptogram` },
    async close() {
      await Promise.all([cashfreeProxy.close(), secretsProxy.close(), cashfree.close(), secretsManager.close()]);
    },
  };
  return wired;
}

const snapshot = (w: Wired): TlsCounts & { sm: number } => ({
  ...w.cashfree.counts,
  sm: w.secretsManager.counts.handshakes,
});

const since = (w: Wired, before: ReturnType<typeof snapshot>, per = 1): Handshakes => ({
  cashfree: (w.cashfree.counts.handshakes - before.handshakes) * per,
  cashfreeResumed: (w.cashfree.counts.resumed - before.resumed) * per,
  secretsManager: (w.secretsManager.counts.handshakes - before.sm) * per,
});

/**
 * The realistic mode: every subject talks TLS (a throw-away CA trusted through NODE_EXTRA_CA_CERTS) through
 * proxies that add `rttMs` of round trip. Cold starts first (fresh processes, subjects taking turns), then each
 * subject's warm calls in turn, then all subjects idle at once, each in its own process.
 */
export async function measureRealistic(options: RealisticOptions): Promise<RealisticResult> {
  const ca = createThrowawayCa();
  const wired: Wired[] = [];
  const idlers: { subject: number; wired: Wired; session?: Session }[] = [];
  const idleTotalMs = options.idleSeconds.reduce((sum, s) => sum + s, 0) * 1000;
  const childTimeoutMs = 60_000;
  try {
    for (const subject of options.subjects) wired.push(await wire(subject, options, ca));
    // The warm session of each subject idles too; the others have their own servers, so counts stay apart.
    for (const [i, w] of wired.entries()) {
      idlers.push({ subject: i, wired: w });
      for (let k = 1; k < options.idleSessions; k++)
        idlers.push({ subject: i, wired: await wire(w.subject, options, ca) });
    }
    const sessionTimeoutMs = childTimeoutMs + idleTotalMs + (options.warmupCalls + options.calls) * 1000;
    const open = (w: Wired) =>
      startSession(options.scripts.session, { ...w.target, bundle: w.subject.bundle }, w.env, sessionTimeoutMs);

    process.stderr.write(`realistic: SDK load time, ${options.coldRuns} fresh processes...\n`);
    const sdkLoads: number[] = [];
    for (let run = -1; run < options.coldRuns; run++) {
      const { phases } = await timeChild(options.scripts['sdk-load'], [options.sdkBundle], options.baseEnv, {
        childTimeoutMs,
      });
      if (run >= 0) sdkLoads.push(phases.importMs);
    }

    process.stderr.write(
      `realistic: cold first calls, ${options.coldRuns} per subject over ${options.rttMs} ms RTT...\n`,
    );
    const cold = new Map(
      wired.map((w) => [w, { ms: [] as number[], handshakes: [] as Handshakes[], phases: [] as ColdPhases[] }]),
    );
    for (let run = -1; run < options.coldRuns; run++) {
      for (const w of wired) {
        const before = snapshot(w);
        const { wallMs, phases } = w.subject.bundle
          ? await timeChild(
              options.scripts['cold-handler'],
              [w.subject.bundle, w.target.customerId, w.target.instrumentId],
              w.env,
              { childTimeoutMs },
            )
          : await timeChild(options.scripts['cold-fetch'], [w.target.url], w.env, { childTimeoutMs });
        if (run < 0) continue;
        cold.get(w)?.ms.push(wallMs);
        cold.get(w)?.phases.push(phases);
        cold.get(w)?.handshakes.push(since(w, before));
      }
    }

    const warm = new Map<Wired, RealisticSubjectResult['warm']>();
    for (const w of wired) {
      process.stderr.write(`realistic: warm, ${w.subject.name}, ${options.warmupCalls} + ${options.calls} calls...\n`);
      const session = await open(w);
      const idler = idlers.find((x) => x.wired === w);
      if (idler) idler.session = session;
      await session.calls(options.warmupCalls);
      const before = snapshot(w);
      const ms = await session.calls(options.calls);
      warm.set(w, { ms: summarize(Float64Array.from(ms)), handshakesPer100: since(w, before, 100 / options.calls) });
    }

    for (const idler of idlers) {
      if (idler.session) continue;
      idler.session = await open(idler.wired);
      await idler.session.calls(options.warmupCalls);
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
        await session.calls(1);
        const calls: { seconds: number; ms: number; handshakes: Handshakes }[] = [];
        for (const seconds of options.idleSeconds) {
          if (options.freeze) session.freeze();
          await sleep(seconds * 1000);
          if (options.freeze) session.thaw();
          const before = snapshot(w);
          const [ms = Number.NaN] = await session.calls(1);
          calls.push({ seconds, ms, handshakes: since(w, before) });
        }
        return calls;
      }),
    );
    const idleOf = (subject: number): RealisticSubjectResult['idle'] =>
      options.idleSeconds.map((seconds, step) => {
        const calls = idlers.flatMap((x, i) => (x.subject === subject ? [idleCalls[i]?.[step]] : []));
        const sum = (pick: (h: Handshakes) => number) =>
          calls.reduce((t, c) => t + (c ? pick(c.handshakes) : 0), 0) / calls.length;
        const msBySession = calls.map((c) => c?.ms ?? Number.NaN);
        return {
          seconds,
          ms: median(msBySession),
          msBySession,
          handshakes: {
            cashfree: sum((h) => h.cashfree),
            cashfreeResumed: sum((h) => h.cashfreeResumed),
            secretsManager: sum((h) => h.secretsManager),
          },
        };
      });

    return {
      rttMs: options.rttMs,
      serverIdleTimeoutMs: SERVER_IDLE_TIMEOUT_MS,
      keepAliveHint: options.keepAliveHint,
      freeze: options.freeze,
      sdkLoadMs: median(sdkLoads),
      subjects: wired.map((w, i) => {
        const c = cold.get(w) ?? { ms: [], handshakes: [], phases: [] };
        const mean = (pick: (h: Handshakes) => number) =>
          c.handshakes.reduce((t, h) => t + pick(h), 0) / c.handshakes.length;
        const warmResult = warm.get(w);
        if (!warmResult) throw new Error(`no warm result for ${w.subject.name}`);
        return {
          name: w.subject.name,
          cold: {
            runs: c.ms.length,
            medianMs: median(c.ms),
            minMs: Math.min(...c.ms),
            maxMs: Math.max(...c.ms),
            phases: {
              startMs: median(c.phases.map((p) => p.startMs)),
              importMs: median(c.phases.map((p) => p.importMs)),
              invokeMs: median(c.phases.map((p) => p.invokeMs)),
            },
            handshakesPerRun: {
              cashfree: mean((h) => h.cashfree),
              cashfreeResumed: mean((h) => h.cashfreeResumed),
              secretsManager: mean((h) => h.secretsManager),
            },
          },
          warm: warmResult,
          idle: idleOf(i),
        };
      }),
    };
  } finally {
    for (const { session } of idlers) session?.close();
    await Promise.all([...new Set([...wired, ...idlers.map((x) => x.wired)])].map((w) => w.close()));
    ca.dispose();
  }
}
