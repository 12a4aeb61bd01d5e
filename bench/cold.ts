import { spawn } from 'node:child_process';
import type { ColdPhases, Target } from './protocol.ts';
import { median } from './stats.ts';

export interface ColdSubject {
  name: string;
  bundle: string;
}

export interface ColdOptions {
  subjects: ColdSubject[];
  pairs: number;
  target: Target;
  scripts: { handler: string; fetch: string };
  /** The environment of a handler child: the upstreams' variables and the stack's NODE_OPTIONS. */
  handlerEnv: NodeJS.ProcessEnv;
  fetchEnv: NodeJS.ProcessEnv;
  childTimeoutMs: number;
}

export interface ColdResult {
  pairs: number;
  handlerMs: number;
  fetchMs: number;
  /** Median over the pairs of (handler - bare fetch). */
  overheadMs: number;
  ratio: number;
  /** Medians of each child's own account of its time. */
  phases: { handler: Phases; fetch: Phases };
}

type Phases = Omit<ColdPhases, 'status'>;

const medianPhases = (runs: Run[]): Phases => ({
  startMs: median(runs.map((r) => r.phases.startMs)),
  importMs: median(runs.map((r) => r.phases.importMs)),
  invokeMs: median(runs.map((r) => r.phases.invokeMs)),
});

export interface Run {
  wallMs: number;
  phases: ColdPhases;
}

/**
 * Wall time from spawn to exit of one child, which must exit 0 after printing its phases on stderr. Its stdout
 * (the handler's log line) is a pipe the bench drains, as the Lambda runtime's is.
 */
export function timeChild(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: Pick<ColdOptions, 'childTimeoutMs'>,
  nodeArgs: string[] = [],
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.resume();
    let wallMs = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.childTimeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('exit', () => {
      wallMs = performance.now() - startedAt;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = stderr.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`${script} exited ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
      resolve({ wallMs, phases: JSON.parse(last) as ColdPhases });
    });
  });
}

/**
 * Cold starts in pairs: a fresh process that loads a bundle and answers one invocation, then a fresh process
 * that makes the same call with a bare fetch (the order flips every round). One unrecorded round first fills
 * the file cache. Subjects take turns within each round, so drift affects every subject alike.
 */
export async function measureColdStarts(options: ColdOptions): Promise<Record<string, ColdResult>> {
  const { subjects, pairs, target, scripts } = options;
  const runs = new Map(subjects.map((s) => [s.name, { handler: [] as Run[], fetch: [] as Run[] }]));

  for (let round = -1; round < pairs; round++) {
    for (const subject of subjects) {
      const runHandler = () =>
        timeChild(
          scripts.handler,
          [subject.bundle, target.customerId, target.instrumentId],
          options.handlerEnv,
          options,
        );
      const runFetch = () => timeChild(scripts.fetch, [target.url], options.fetchEnv, options);
      let handler: Run;
      let fetch: Run;
      if (round % 2 === 0) {
        handler = await runHandler();
        fetch = await runFetch();
      } else {
        fetch = await runFetch();
        handler = await runHandler();
      }
      if (round < 0) continue;
      runs.get(subject.name)?.handler.push(handler);
      runs.get(subject.name)?.fetch.push(fetch);
    }
  }

  const results: Record<string, ColdResult> = {};
  for (const [name, { handler, fetch }] of runs) {
    const handlerMs = median(handler.map((r) => r.wallMs));
    const fetchMs = median(fetch.map((r) => r.wallMs));
    results[name] = {
      pairs: handler.length,
      handlerMs,
      fetchMs,
      overheadMs: median(handler.map((r, i) => r.wallMs - (fetch[i]?.wallMs ?? Number.NaN))),
      ratio: handlerMs / fetchMs,
      phases: { handler: medianPhases(handler), fetch: medianPhases(fetch) },
    };
  }
  return results;
}
