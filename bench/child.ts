import { type ChildProcess, fork, spawn } from 'node:child_process';
import type { ColdReport, SessionCommand, SessionConfig, SessionReply, Side } from './protocol.ts';
import { median } from './stats.ts';

export interface ChildOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  nodeArgs?: string[];
  /** Called every 25 ms while the child runs; a reason it returns kills the child. */
  watch?: (pid: number) => string | undefined;
}

export interface ChildRun {
  /** Spawn to exit, as the bench's clock sees it. */
  wallMs: number;
  report: ColdReport;
}

/** Medians of what the children said about themselves. */
export type Phases = Omit<ColdReport, 'status'>;

export interface ColdResult {
  /** Median of the runs' spawn-to-exit times. */
  wallMs: number;
  phases: Phases;
}

export function coldOf(runs: ChildRun[]): ColdResult {
  const of = (pick: (r: ColdReport) => number) => median(runs.map((r) => pick(r.report)));
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    phases: {
      startMs: of((r) => r.startMs),
      importMs: of((r) => r.importMs),
      invokeMs: of((r) => r.invokeMs),
      initRssBytes: of((r) => r.initRssBytes),
      peakRssBytes: of((r) => r.peakRssBytes),
    },
  };
}

/**
 * Runs one child to its end: it must exit 0 after printing its report as the last line on stderr. Its stdout
 * (the handler's log line) is a pipe the bench drains, as the Lambda runtime's is.
 */
export function runChild(script: string, args: string[], options: ChildOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.resume();
    let wallMs = 0;
    let stderr = '';
    let killedFor: string | undefined;
    const kill = (why: string) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`timeout after ${options.timeoutMs} ms`), options.timeoutMs);
    const watcher = setInterval(() => {
      const why = child.pid ? options.watch?.(child.pid) : undefined;
      if (why) kill(why);
    }, 25);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('exit', () => {
      wallMs = performance.now() - startedAt;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watcher);
      if (code !== 0 || killedFor) {
        return reject(new Error(`${script} ${killedFor ?? `exited ${code ?? signal}`}: ${stderr.trim().slice(-2000)}`));
      }
      resolve({ wallMs, report: JSON.parse(stderr.trim().split('\n').at(-1) ?? '') as ColdReport });
    });
  });
}

export interface Session {
  /** Makes `count` calls one after the other on `side`; resolves with each call's time in ms. */
  calls(side: Side, count: number): Promise<number[]>;
  /** `count` calls on each side, taking turns in blocks of `blockSize`: each call's time in ms, per side. */
  alternate(count: number, blockSize: number): Promise<Record<Side, number[]>>;
  /** SIGSTOP / SIGCONT: the freeze Lambda applies between invocations. */
  freeze(): void;
  thaw(): void;
  close(): void;
}

/** Starts a session child and waits until its subject is loaded. It is killed after `timeoutMs` whatever happens. */
export async function startSession(
  script: string,
  config: SessionConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Session> {
  const child: ChildProcess = fork(script, [], {
    execPath: process.execPath,
    // Not the bench's own flags: the child runs as the function would.
    execArgv: [],
    env: { ...env, BENCH_SESSION: JSON.stringify(config) },
    // A pipe the bench drains, as the Lambda runtime's stdout is: slower to write into than a file.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let waiting: { resolve: (reply: SessionReply) => void; reject: (error: Error) => void } | undefined;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new Error(`session child ${config.bundle ?? 'bare fetch'} exited ${code ?? signal}`);
      waiting?.reject(error);
      reject(error);
    });
  });
  exited.catch(() => {});
  child.on('message', (reply: SessionReply) => {
    const pending = waiting;
    waiting = undefined;
    pending?.resolve(reply);
  });
  const next = () =>
    new Promise<SessionReply>((resolve, reject) => {
      waiting = { resolve, reject };
    });
  const send = (command: SessionCommand) => child.send(command);

  const ready = await Promise.race([next(), exited]);
  if (ready.type !== 'ready') throw new Error('session child did not start');
  const calls = async (sides: Side[], count: number, blockSize: number) => {
    const answer = next();
    send({ type: 'calls', sides, count, blockSize });
    const reply = await answer;
    if (reply.type !== 'calls') throw new Error('session child answered out of turn');
    if (reply.failures > 0) throw new Error(`${reply.failures} of ${count * sides.length} calls did not answer 200`);
    return reply.ms;
  };
  return {
    calls: async (side, count) => (await calls([side], count, count))[side],
    alternate: (count, blockSize) => calls(['handler', 'fetch'], count, blockSize),
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    close() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    },
  };
}
