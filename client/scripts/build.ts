// Builds dist/ from src/ alone, as `npm pack` and `npm publish` run it (prepack): an ESM and a CommonJS copy,
// each with its declarations. Nothing built is committed, so a published tarball is always this build's.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dist = new URL('../dist/', import.meta.url);

rmSync(dist, { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', fileURLToPath(new URL(`../${project}`, import.meta.url))], {
    stdio: 'inherit',
  });
}
// The package is "type": "module"; this marks the .js and .d.ts files below as CommonJS for Node and TypeScript.
writeFileSync(new URL('cjs/package.json', dist), `${JSON.stringify({ type: 'commonjs' })}\n`);
