import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ROOT } from '../bundling.ts';
import { buildFunction } from '../function-bundling.ts';
import { rootRelativeSources } from '../source-map-artifact.ts';
import { mapStack } from './map-stack.ts';

const MAP_SUFFIX = '.function.mjs.map';
const USAGE =
  'usage: npm run stack -- [--map <file or synth output folder>] [--build] [<log line>]  (the log line on stdin when absent)';

/**
 * The map `cdk synth` wrote beside the template, `<synth output>/<stack name>.function.mjs.map`: `path` is that
 * file, or a synth output folder holding exactly one.
 */
function synthesizedMap(path: string): SourceMapPayload {
  const isFolder = statSync(path, { throwIfNoEntry: false })?.isDirectory();
  const maps = isFolder ? readdirSync(path).filter((name) => name.endsWith(MAP_SUFFIX)) : [path];
  const [file] = maps;
  if (maps.length !== 1 || !file || (!isFolder && !existsSync(file))) {
    throw new Error(
      `no single *${MAP_SUFFIX} at ${path}${maps.length > 1 ? ` (${maps.join(', ')})` : ''}: pass --map with the ` +
        'map kept beside the deployed template, or --build to build one from this checkout',
    );
  }
  return JSON.parse(readFileSync(isFolder ? join(path, file) : file, 'utf8')) as SourceMapPayload;
}

/** The map of a build of this checkout, `sources` made relative to the project root as the synthesized map's are. */
async function checkoutMap(): Promise<SourceMapPayload> {
  const dir = mkdtempSync(join(tmpdir(), 'stack-trace-'));
  try {
    const { file } = await buildFunction(dir);
    const payload = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload;
    return { ...payload, sources: rootRelativeSources(payload.sources, dirname(file)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const { values, positionals } = parseArgs({
    options: { map: { type: 'string', default: join(ROOT, 'cdk.out') }, build: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0 && process.stdin.isTTY) throw new Error(USAGE);
  const logged = positionals.length > 0 ? positionals.join(' ') : await text(process.stdin);
  if (logged.trim() === '') throw new Error(USAGE);
  if (values.build) {
    process.stderr.write('mapping with a build of this checkout: right only if it is the deployed commit\n');
  }
  const payload = values.build ? await checkoutMap() : synthesizedMap(values.map);
  process.stdout.write(`${mapStack(logged, payload).join('\n')}\n`);
} catch (error) {
  const { message, code } = error as Error & { code?: string };
  process.stderr.write(`${message}\n${code?.startsWith('ERR_PARSE_ARGS') ? `${USAGE}\n` : ''}`);
  process.exitCode = 1;
}
