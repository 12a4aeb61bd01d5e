import { mkdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ChildScript, packageOf, ROOT } from './bundle.ts';
import { timeChild } from './cold.ts';
import type { Side, Target } from './protocol.ts';
import { measureWarm } from './warm.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Of the busy time: everything sampled but `(idle)`. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  selfByPackage: Share[];
  selfByFunction: Share[];
  /** Functions of the function's bundle by time including callees, counted once per stack. */
  inclusiveInBundle: Share[];
}

const TOP = 12;

/** Reads a `--cpu-prof` file and says where the busy time went, mapping the bundle back to its sources. */
export function summarizeProfile(file: string, bundle: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const bundleUrl = pathToFileURL(bundle).href;
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
  const mapDir = dirname(bundle);

  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));

  const where = ({ functionName, url, lineNumber, columnNumber }: CallFrame) => {
    const name = functionName || '(anonymous)';
    if (url === bundleUrl) {
      const entry = map.findEntry(lineNumber, columnNumber);
      // The module's own top-level code has no mapping: that is the bundle evaluating at import.
      if (!('originalSource' in entry)) return { pkg: '(bundle top level)', fn: `${name} (bundle top level)` };
      const source = relative(ROOT, resolve(mapDir, entry.originalSource));
      return { pkg: packageOf(source), fn: `${name} ${source}:${entry.originalLine + 1}` };
    }
    if (url === '') return { pkg: name.startsWith('(') ? name : '(V8 built-ins)', fn: name };
    // Node's own WebAssembly: undici's HTTP parser.
    if (url.startsWith('wasm:')) return { pkg: '(wasm: undici llhttp)', fn: name };
    if (url.startsWith('node:'))
      return { pkg: url.slice(0, url.lastIndexOf('/') + 1 || undefined), fn: `${name} ${url}` };
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    return { pkg: `(bench harness) ${relative(ROOT, path)}`, fn: `${name} ${relative(ROOT, path)}:${lineNumber + 1}` };
  };

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const idleUs = profile.nodes
    .filter((n) => n.callFrame.functionName === '(idle)')
    .reduce((total, n) => total + (selfUs.get(n.id) ?? 0), 0);
  const busyUs = [...selfUs.values()].reduce((a, b) => a + b, 0) - idleUs;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();

  // Depth-first over the call tree; `open` holds the bundle functions on the current stack, so recursion and
  // repeated frames count once.
  const visit = (id: number, open: Set<string>): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const { pkg, fn } = where(node.callFrame);
    const own = selfUs.get(id) ?? 0;
    if (node.callFrame.functionName !== '(idle)') {
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + own);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + own);
    }
    const counted = node.callFrame.url === bundleUrl && !open.has(fn);
    if (counted) open.add(fn);
    let total = own;
    for (const child of node.children ?? []) total += visit(child, open);
    if (counted) {
      open.delete(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + total);
    }
    return total;
  };
  const root = profile.nodes.find((n) => !profile.nodes.some((p) => p.children?.includes(n.id)));
  if (root) visit(root.id, new Set());

  const top = (totals: Map<string, number>): Share[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / busyUs }));
  return {
    file,
    busyMs: busyUs / 1000,
    selfByPackage: top(byPackage),
    selfByFunction: top(byFunction),
    inclusiveInBundle: top(inclusive),
  };
}

export function renderProfile(title: string, summary: ProfileSummary): string {
  const list = (heading: string, shares: Share[]) =>
    `  ${heading}\n${shares.map((s) => `    ${s.ms.toFixed(1).padStart(8)} ms ${s.percent.toFixed(1).padStart(5)}%  ${s.name}`).join('\n')}`;
  return [
    `${title}: ${summary.busyMs.toFixed(1)} ms busy (${summary.file})`,
    list('self time by package', summary.selfByPackage),
    list('self time by function', summary.selfByFunction),
    list('inclusive time, functions of the bundle', summary.inclusiveInBundle),
  ].join('\n');
}

export interface ProfileOptions {
  dir: string;
  subjects: { name: string; slug: string; bundle: string }[];
  scripts: Record<ChildScript, string>;
  target: Target;
  handlerEnv: NodeJS.ProcessEnv;
  warmupCalls: number;
  warmCalls: number;
  secretReads: () => number;
}

/**
 * CPU profiles, taken after the measurements so the profiler's cost never reaches the table: for each subject
 * one cold start (the whole process) and its warm calls alone; then the bare fetch's warm calls alone, the
 * floor to compare the handlers' warm profiles with. Prints the summaries and returns them.
 */
export async function profileSubjects(options: ProfileOptions): Promise<Record<string, ProfileSummary>> {
  const { dir, target, scripts } = options;
  const summaries: Record<string, ProfileSummary> = {};
  mkdirSync(dir, { recursive: true });

  const profileWarm = async (bundle: string, side: Side, file: string) => {
    await measureWarm({
      script: scripts.warm,
      config: {
        ...target,
        bundle,
        warmupCalls: options.warmupCalls,
        calls: options.warmCalls,
        blockSize: options.warmCalls,
        profile: { file, side },
      },
      env: options.handlerEnv,
      secretReads: options.secretReads,
      timeoutMs: 120_000 + options.warmCalls * 50,
    });
  };
  const report = (title: string, file: string, bundle: string) => {
    summaries[title] = summarizeProfile(file, bundle);
    process.stdout.write(`\n${renderProfile(title, summaries[title])}\n`);
  };

  for (const { name, slug, bundle } of options.subjects) {
    // The default 1 ms interval would see a cold start of some tens of milliseconds in too few samples.
    await timeChild(
      scripts['cold-handler'],
      [bundle, target.customerId, target.instrumentId],
      options.handlerEnv,
      { childTimeoutMs: 60_000 },
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${slug}-cold.cpuprofile`, '--cpu-prof-interval=50'],
    );
    report(`${name}, cold start`, join(dir, `${slug}-cold.cpuprofile`), bundle);
    await profileWarm(bundle, 'handler', join(dir, `${slug}-warm.cpuprofile`));
    report(`${name}, warm calls`, join(dir, `${slug}-warm.cpuprofile`), bundle);
  }
  const first = options.subjects[0];
  if (first) {
    await profileWarm(first.bundle, 'fetch', join(dir, 'bare-fetch-warm.cpuprofile'));
    report('bare fetch, warm calls', join(dir, 'bare-fetch-warm.cpuprofile'), first.bundle);
  }
  return summaries;
}
