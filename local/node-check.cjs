'use strict';
// Runs before any TypeScript: on a Node without type stripping, importing a .ts file dies with
// ERR_UNKNOWN_FILE_EXTENSION, which tells a newcomer nothing. CommonJS, no TypeScript, no recent syntax: it
// must run on whichever Node npm found on the PATH.
//   node local/node-check.cjs local/start.ts           checks, then runs the script in this same process,
//                                                     so npm's SIGINT/SIGTERM reach the server itself
//   node local/node-check.cjs --watch local/start.ts   checks, then runs it under `node --watch`
const path = require('node:path');
const url = require('node:url');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');

const REQUIRED_MAJOR = 24;
// A setup mistake, as local/setup-error.ts numbers them.
const SETUP_ERROR_EXIT_CODE = 2;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return;
  process.stderr.write(
    `cryptogram-service needs Node ${REQUIRED_MAJOR} or newer, and npm ran Node ${process.versions.node} ` +
      `(${process.execPath}). The project brings its own Node ${REQUIRED_MAJOR} as the \`node\` package: run ` +
      '`npm install` with install scripts enabled (not --ignore-scripts, not ignore-scripts=true in .npmrc), ' +
      `or install Node ${REQUIRED_MAJOR} yourself.\n`,
  );
  process.exit(SETUP_ERROR_EXIT_CODE);
}

function runHere(script) {
  import(url.pathToFileURL(path.resolve(script)).href).catch((error) => {
    process.stderr.write(`${error?.stack || String(error)}\n`);
    process.exit(1);
  });
}

// One local key pair for every restart, so credentials exported from the first ready line keep working.
function stableLocalIamEnv() {
  const env = Object.assign({}, process.env);
  if (!env.LOCAL_IAM_ACCESS_KEY_ID || !env.LOCAL_IAM_SECRET_ACCESS_KEY) {
    const id = Array.from(crypto.randomBytes(16), (byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('');
    env.LOCAL_IAM_ACCESS_KEY_ID = `AKIA${id}`;
    env.LOCAL_IAM_SECRET_ACCESS_KEY = crypto.randomBytes(30).toString('base64').slice(0, 40);
  }
  return env;
}

function runWatched(script) {
  const child = childProcess.spawn(process.execPath, ['--watch', script], {
    stdio: 'inherit',
    env: stableLocalIamEnv(),
  });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code === null ? (signal === 'SIGINT' ? 130 : 143) : code));
}

checkNode();
const args = process.argv.slice(2);
const watch = args[0] === '--watch';
const script = watch ? args[1] : args[0];
if (!script) {
  process.stderr.write('usage: node local/node-check.cjs [--watch] <script.ts>\n');
  process.exit(2);
}
if (watch) runWatched(script);
else runHere(script);
