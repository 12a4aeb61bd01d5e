import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageOf, ROOT } from './build.ts';
import { runChild } from './child.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  /** Mean per init. */
  ms: number;
  /** Of the busy time: everything sampled but `(idle)`. */
  percent: number;
}

export interface InitProfile {
  runs: number;
  /** Mean CPU time of one import and init, idle excluded. */
  busyMs: number;
  /** The bundle's source modules, and the packages they belong to. */
  modules: Share[];
  packages: Share[];
  /** What is not the bundle's code: Node's built-in modules, V8's compiler and built-ins, the garbage collector. */
  outside: Share[];
}

const TOP = 10;

/**
 * Where one import and init of the bundle spends its CPU time, by source module: `runs` fresh processes import
 * `bundle` (built with its whitespace kept, so every bundled statement has its own line) under the profiler, and
 * each sample is put on the module its line maps to. Built-ins, V8's own work and garbage collection keep their
 * own names. Taken after the measurements, so the profiler's cost never reaches them.
 */
export async function profileInit(o: {
  script: string;
  bundle: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  runs: number;
}): Promise<InitProfile> {
  const bundleUrl = pathToFileURL(o.bundle).href;
  const map = new SourceMap(JSON.parse(readFileSync(`${o.bundle}.map`, 'utf8')));
  const lineLengths = readFileSync(o.bundle, 'utf8')
    .split('\n')
    .map((line) => line.length);
  // A line's last mapping names its module; a line without one of its own is esbuild's glue.
  const moduleAt = (line: number, column = lineLengths[line] ?? 0) => {
    const entry = map.findEntry(line, column);
    if (!('originalSource' in entry) || entry.generatedLine !== line) return '(bundle)';
    return relative(ROOT, resolve(dirname(o.bundle), entry.originalSource));
  };
  const modules = new Map<string, number>();
  const outside = new Map<string, number>();
  const add = (to: Map<string, number>, name: string, us: number) => to.set(name, (to.get(name) ?? 0) + us);

  for (let run = 0; run < o.runs; run++) {
    const file = join(o.dir, `init-${run}.cpuprofile`);
    await runChild(o.script, ['handler', o.bundle], { env: { ...o.env, BENCH_PROFILE: file }, timeoutMs: 60_000 });
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const selfUs = new Map<number, number>();
    for (const [i, id] of profile.samples.entries())
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    for (const { id, callFrame, positionTicks } of profile.nodes) {
      const us = selfUs.get(id) ?? 0;
      const { functionName, url } = callFrame;
      // The profiler's own session is the bench's cost, not the function's.
      if (us === 0 || functionName === '(idle)' || url === 'node:inspector') continue;
      if (url !== bundleUrl) {
        const name = url.startsWith('node:')
          ? url
          : url
            ? '(bench child)'
            : functionName.startsWith('(')
              ? functionName
              : '(V8 built-ins)';
        add(outside, name, us);
        continue;
      }
      const ticks = positionTicks ?? [];
      const total = ticks.reduce((sum, t) => sum + t.ticks, 0);
      if (total === 0) add(modules, moduleAt(callFrame.lineNumber, callFrame.columnNumber), us);
      for (const { line, ticks: n } of ticks) add(modules, moduleAt(line - 1), (us * n) / total);
    }
  }

  const busyUs = [...modules.values(), ...outside.values()].reduce((a, b) => a + b, 0);
  const packages = new Map<string, number>();
  for (const [name, us] of modules) add(packages, name.startsWith('(') ? name : packageOf(name), us);
  const top = (totals: Map<string, number>): Share[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, us]) => ({ name, ms: us / 1000 / o.runs, percent: (100 * us) / busyUs }));
  return {
    runs: o.runs,
    busyMs: busyUs / 1000 / o.runs,
    modules: top(modules),
    packages: top(packages),
    outside: top(outside),
  };
}
