import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface SpawnedService {
  child: ChildProcess;
  url: string;
  /** Everything written to stderr so far: the ready line among it. */
  stderr(): string;
  stdout(): string;
  /** Sends `signal` and waits (bounded) for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const READY = /ready on (http:\/\/127\.0\.0\.1:\d+)/;

/** Starts a child with a minimal environment and collects everything it prints. */
function spawnCollecting(command: string, args: readonly string[], env: Record<string, string | undefined>) {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: 'pipe',
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  return { child, output };
}

/** Starts `command args` (the service, one way or another) and waits for its ready line. */
export async function spawnService(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  readyWithinMs = 20_000,
): Promise<SpawnedService> {
  const { child, output } = spawnCollecting(command, args, env);
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line within ${readyWithinMs} ms: ${output.stderr}`)),
      readyWithinMs,
    );
    child.stderr?.on('data', () => {
      const ready = READY.exec(output.stderr);
      if (ready?.[1]) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready: ${output.stderr}`));
    });
  });
  return {
    child,
    url,
    stderr: () => output.stderr,
    stdout: () => output.stdout,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`still running 10 s after ${signal}`)), 10_000).unref(),
      );
      const [code] = (await Promise.race([exited, timeout])) as [number | null];
      return code;
    },
  };
}

/** Runs a command to its end (bounded) and returns its exit code and output. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, output } = spawnCollecting(command, args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, ...output };
}
