import { fork } from 'node:child_process';
import type { WarmConfig, WarmMessage } from './protocol.ts';
import type { Summary } from './stats.ts';

export interface WarmOptions {
  script: string;
  config: WarmConfig;
  env: NodeJS.ProcessEnv;
  /** The stand-in's read counter, sampled when the measured calls start and end. */
  secretReads: () => number;
  timeoutMs: number;
}

export interface WarmResult {
  calls: number;
  handlerUs: Summary | undefined;
  fetchUs: Summary | undefined;
  /** Mean handler time less mean bare-fetch time. */
  overheadUs: number;
  ratio: number;
  secretReadsPer1000: number;
}

/** Runs one warm execution environment in a child process and returns its per-call figures. */
export function measureWarm(options: WarmOptions): Promise<WarmResult> {
  const { config } = options;
  return new Promise((resolve, reject) => {
    const child = fork(options.script, [], {
      execPath: process.execPath,
      // Not the bench's own flags: the child runs as the function would.
      execArgv: [],
      env: { ...options.env, BENCH_WARM: JSON.stringify(config) },
      // The handler's log lines go into a pipe the bench drains, as the Lambda runtime's stdout is: a pipe
      // is slower to write to than a file, and the budget is judged that way.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout?.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    let readsAtStart = 0;
    let result: WarmResult | undefined;

    child.on('message', (message: WarmMessage) => {
      if (message.type === 'warm') {
        readsAtStart = options.secretReads();
        child.send('go');
        return;
      }
      const { handlerUs, fetchUs, failures } = message;
      if (failures > 0) return reject(new Error(`${failures} warm calls did not answer 200`));
      result = {
        calls: config.calls,
        handlerUs,
        fetchUs,
        overheadUs: (handlerUs?.mean ?? Number.NaN) - (fetchUs?.mean ?? Number.NaN),
        ratio: (handlerUs?.mean ?? Number.NaN) / (fetchUs?.mean ?? Number.NaN),
        secretReadsPer1000: ((options.secretReads() - readsAtStart) * 1000) / config.calls,
      };
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`warm child for ${config.bundle} exited ${code ?? signal} without a result`));
    });
  });
}
