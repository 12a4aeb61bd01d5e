import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ROOT } from './bundling.ts';

/** A map's `sources`, written relative to `mapDir`, made relative to the project root: the same on every machine. */
export const rootRelativeSources = (sources: readonly string[], mapDir: string): string[] =>
  sources.map((source) => relative(ROOT, resolve(mapDir, source)));

/**
 * Moves the function's source map out of its bundle directory, so the deployed asset (and its hash) is the code
 * alone: the map records its sources relative to wherever `cdk synth` writes, and its mappings change with
 * every comment. The moved map names its sources relative to the project root instead, the same on every
 * machine. Run by the bundling's `afterBundling` hook: `node infra/source-map-artifact.ts <bundle dir> <target>`.
 */
function moveSourceMap(bundleDir: string, target: string): void {
  const mapFile = join(bundleDir, 'index.mjs.map');
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources?: string[]; sourceRoot?: string };
  map.sources = rootRelativeSources(map.sources ?? [], bundleDir);
  map.sourceRoot = '';
  writeFileSync(target, JSON.stringify(map));
  rmSync(mapFile);
}

if (import.meta.main) {
  const [bundleDir, target] = process.argv.slice(2);
  if (!bundleDir || !target) {
    process.stderr.write('usage: node infra/source-map-artifact.ts <bundle dir> <target file>\n');
    process.exit(2);
  }
  // Silent: the hook's output lands in every synth's output, the tests' among them; the app says where the map is.
  moveSourceMap(bundleDir, target);
}
