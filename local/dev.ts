// `npm run dev`: `npm start` in a child process, started afresh after every save under the directories the
// service's code lives in (local/watch-tree.ts says why not `node --watch`).
import { type ChildProcess, spawn } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETUP_ERROR_EXIT_CODE } from './setup-error.ts';
import { newLocalIamCredentials } from './sigv4.ts';
import { WATCHED_DIRECTORIES, watchTree } from './watch-tree.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START = fileURLToPath(new URL('start.ts', import.meta.url));
// The saves of one file arrive as a few events within milliseconds; one restart serves them all.
const SETTLE_MS = 150;

// One local key pair for every restart, so credentials exported from the first ready line keep working.
const env = { ...process.env };
if (!env.LOCAL_IAM_ACCESS_KEY_ID && !env.LOCAL_IAM_SECRET_ACCESS_KEY) {
  const { accessKeyId, secretAccessKey } = newLocalIamCredentials();
  Object.assign(env, { LOCAL_IAM_ACCESS_KEY_ID: accessKeyId, LOCAL_IAM_SECRET_ACCESS_KEY: secretAccessKey });
}

let child: ChildProcess | undefined;
let restartWhenStopped = false;
let stopping = false;
let settle: NodeJS.Timeout | undefined;
const say = (line: string) => process.stderr.write(`cryptogram-service: ${line}\n`);

function start() {
  // stdio is shared, never cleared: the request log of every run stays on the screen.
  const running = spawn(process.execPath, [START], { stdio: 'inherit', env });
  child = running;
  running.on('exit', (code, signal) => {
    child = undefined;
    if (stopping) process.exit(code ?? 0);
    if (restartWhenStopped) {
      restartWhenStopped = false;
      start();
      return;
    }
    // Its one-line message is printed already; no save can fix a busy port or a bad setting.
    if (code === SETUP_ERROR_EXIT_CODE) process.exit(code);
    say(`stopped (${signal ?? `exit status ${code}`}); it starts again at the next save`);
  });
}

function restart(changed: string) {
  if (stopping) return;
  say(`${relative(ROOT, changed)} changed: restarting`);
  if (!child) return start();
  if (restartWhenStopped) return;
  restartWhenStopped = true;
  child.kill('SIGTERM');
}

function stop(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  clearTimeout(settle);
  stopWatching();
  if (!child) process.exit(0);
  // Ctrl-C in a terminal reaches the child as well; a second signal would make it skip its clean stop.
  if (signal === 'SIGINT') setTimeout(() => child?.kill('SIGINT'), 1000).unref();
  else child.kill(signal);
}

const stopWatching = (() => {
  const stops = WATCHED_DIRECTORIES.map((directory) =>
    watchTree(join(ROOT, directory), (changed) => {
      clearTimeout(settle);
      settle = setTimeout(() => restart(changed), SETTLE_MS);
    }),
  );
  return () => {
    for (const stopTree of stops) stopTree();
  };
})();

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// Started by npm that then died without passing a signal on: stop too, rather than restart forever unseen.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) stop('SIGTERM');
}, 1000).unref();

start();
