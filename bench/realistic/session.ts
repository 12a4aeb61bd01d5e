import { type ChildProcess, fork } from 'node:child_process';
import type { SessionCommand, SessionConfig, SessionReply } from '../protocol.ts';

export interface Session {
  /** Makes `count` calls one after the other; resolves with each call's time in ms. */
  calls(count: number): Promise<number[]>;
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
    execArgv: [],
    env: { ...env, BENCH_SESSION: JSON.stringify(config) },
    // A pipe the bench drains, as the Lambda runtime's stdout is.
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
  return {
    async calls(count) {
      const answer = next();
      send({ type: 'calls', count });
      const reply = await answer;
      if (reply.type !== 'calls') throw new Error('session child answered out of turn');
      if (reply.failures > 0) throw new Error(`${reply.failures} of ${count} calls did not answer 200`);
      return reply.ms;
    },
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    close() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    },
  };
}
