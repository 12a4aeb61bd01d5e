'use strict';
// Runs before any TypeScript: on a Node without type stripping, importing a .ts file dies with
// ERR_UNKNOWN_FILE_EXTENSION, which tells a newcomer nothing. CommonJS, no TypeScript, no recent syntax: it
// must run on whichever Node npm found on the PATH.
//   node local/node-check.cjs local/start.ts   checks, then runs the script in this same process,
//                                              so npm's SIGINT/SIGTERM reach it directly
const path = require('node:path');
const url = require('node:url');

const REQUIRED_MAJOR = 24;
// A setup mistake, as local/setup-error.ts numbers them: `npm run dev` stops on it too.
const SETUP_ERROR_EXIT_CODE = 2;

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

checkNode();
const script = process.argv[2];
if (!script) {
  process.stderr.write('usage: node local/node-check.cjs <script.ts>\n');
  process.exit(SETUP_ERROR_EXIT_CODE);
}
import(url.pathToFileURL(path.resolve(script)).href).catch((error) => {
  process.stderr.write(`${error?.stack || String(error)}\n`);
  process.exit(1);
});
