import type { BundleReport, Subjects } from './build.ts';
import { type ColdResult, coldOf, runChild, startSession } from './child.ts';
import type { Target } from './protocol.ts';
import { inRounds, pairedMedian, type Summary, summarize } from './stats.ts';

export interface LoopbackOptions {
  subjects: Subjects;
  scripts: { cold: string; fetch: string; session: string };
  target: Target;
  /** The environment of every child: the upstreams' variables, no NODE_OPTIONS (the function sets none). */
  env: NodeJS.ProcessEnv;
  pairs: number;
  warmupCalls: number;
  warmCalls: number;
  blockSize: number;
  /** The stand-in's read counter, sampled when the measured warm calls start and end. */
  secretReads: () => number;
}

export interface HandlerResult {
  name: string;
  size: BundleReport;
  cold: ColdResult & {
    /** Median over the rounds of (this handler - the bare fetch of the same round). */
    overheadMs: number;
    ratio: number;
  };
  warm: {
    calls: number;
    handlerUs: Summary;
    fetchUs: Summary;
    /** Mean handler time less mean bare-fetch time, and their ratio. */
    overheadUs: number;
    ratio: number;
    secretReadsPer1000: number;
  };
}

export interface LoopbackResult {
  pairs: number;
  fetch: ColdResult;
  handlers: HandlerResult[];
  /** The bundle with its map linked, under NODE_OPTIONS=--enable-source-maps, against the shipped one. */
  sourceMaps: { with: ColdResult; extraMs: number; ratio: number; extraInitRssBytes: number };
  /** Importing the Secrets Manager client alone and making one: the SDK's default chain, and as shipped. */
  sdkLoad: { defaultChain: ColdResult; shipped: ColdResult; savedMs: number; ratio: number; savedInitRssBytes: number };
}

export const OURS = 'cryptogram-service';
export const OFFICIAL = 'cashfree-pg 6.0.6';
const SOURCE_MAPS = `${OURS}, --enable-source-maps`;
const CHILD_TIMEOUT_MS = 30_000;

/**
 * The loopback mode: cold starts of every subject in rounds (fresh processes, plain HTTP on 127.0.0.1), then one
 * warm execution environment per handler in which the handler and a bare fetch take turns in blocks.
 */
export async function measureLoopback(o: LoopbackOptions): Promise<LoopbackResult> {
  const { subjects, scripts, target } = o;
  const env = { ...o.env, BENCH_TARGET: JSON.stringify(target) };
  const child =
    (script: string, args: string[], nodeOptions = '') =>
    async () => {
      const run = await runChild(script, args, {
        env: { ...env, NODE_OPTIONS: nodeOptions },
        timeoutMs: CHILD_TIMEOUT_MS,
      });
      if (run.report.status !== 200) throw new Error(`${args.join(' ')} answered ${run.report.status}`);
      return run;
    };
  process.stderr.write(`loopback: cold starts, ${o.pairs} rounds of 6 fresh processes...\n`);
  const cold = await inRounds(
    {
      [OURS]: child(scripts.cold, ['handler', subjects.ours.file]),
      [SOURCE_MAPS]: child(scripts.cold, ['handler', subjects.linkedMap.file], '--enable-source-maps'),
      [OFFICIAL]: child(scripts.cold, ['handler', subjects.official.file]),
      fetch: child(scripts.fetch, []),
      sdkDefault: child(scripts.cold, ['sdk', subjects.sdkDefault.file]),
      sdkShipped: child(scripts.cold, ['sdk', subjects.sdkShipped.file]),
    },
    o.pairs,
  );
  const walls = (name: string) => (cold[name] ?? []).map((r) => r.wallMs);
  const imports = (name: string) => (cold[name] ?? []).map((r) => r.report.importMs);
  const initRss = (name: string) => (cold[name] ?? []).map((r) => r.report.initRssBytes);
  const fetch = coldOf(cold.fetch ?? []);

  const handlers: HandlerResult[] = [];
  for (const [name, size] of [
    [OURS, subjects.ours],
    [OFFICIAL, subjects.official],
  ] as const) {
    process.stderr.write(`loopback: warm, ${name}, ${o.warmupCalls} + ${o.warmCalls} calls per side...\n`);
    const result = coldOf(cold[name] ?? []);
    handlers.push({
      name,
      size,
      cold: { ...result, overheadMs: pairedMedian(walls(name), walls('fetch')), ratio: result.wallMs / fetch.wallMs },
      warm: await measureWarm(o, size.file),
    });
  }

  const withMaps = coldOf(cold[SOURCE_MAPS] ?? []);
  const defaultChain = coldOf(cold.sdkDefault ?? []);
  const shipped = coldOf(cold.sdkShipped ?? []);
  return {
    pairs: o.pairs,
    fetch,
    handlers,
    sourceMaps: {
      with: withMaps,
      extraMs: pairedMedian(walls(SOURCE_MAPS), walls(OURS)),
      ratio: withMaps.wallMs / coldOf(cold[OURS] ?? []).wallMs,
      extraInitRssBytes: pairedMedian(initRss(SOURCE_MAPS), initRss(OURS)),
    },
    sdkLoad: {
      defaultChain,
      shipped,
      savedMs: pairedMedian(imports('sdkDefault'), imports('sdkShipped')),
      ratio: shipped.phases.importMs / defaultChain.phases.importMs,
      savedInitRssBytes: pairedMedian(initRss('sdkDefault'), initRss('sdkShipped')),
    },
  };
}

/** One warm execution environment in which the handler and a bare fetch take turns in blocks. */
async function measureWarm(o: LoopbackOptions, bundle: string): Promise<HandlerResult['warm']> {
  const session = await startSession(o.scripts.session, { ...o.target, bundle }, o.env, 120_000 + o.warmCalls * 20);
  try {
    await session.alternate(o.warmupCalls, o.blockSize);
    const readsAtStart = o.secretReads();
    const ms = await session.alternate(o.warmCalls, o.blockSize);
    const handlerUs = summarize(ms.handler.map((m) => m * 1000));
    const fetchUs = summarize(ms.fetch.map((m) => m * 1000));
    return {
      calls: o.warmCalls,
      handlerUs,
      fetchUs,
      overheadUs: handlerUs.mean - fetchUs.mean,
      ratio: handlerUs.mean / fetchUs.mean,
      secretReadsPer1000: ((o.secretReads() - readsAtStart) * 1000) / o.warmCalls,
    };
  } finally {
    session.close();
  }
}
