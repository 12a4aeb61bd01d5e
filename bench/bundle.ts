import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { FUNCTION_ESBUILD } from '../infra/function-bundling.ts';

/**
 * The stack's NODE_OPTIONS for the function, used when `cdk synth` cannot say: it changes how the bundle
 * loads, so every child runs with it.
 */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PackageBytes {
  name: string;
  bytes: number;
}

export interface FileSize {
  /** The bundle's absolute path. */
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleReport extends FileSize {
  /** Where the measured file comes from: the synthesized asset or the bench's own esbuild run. */
  origin: string;
  /** What the bundle loads from outside itself at run time, as esbuild recorded it. */
  externals: string[];
  /** Bytes each input package contributes to the output, largest first. */
  packages: PackageBytes[];
}

/** Bundles `entry` (relative to the project root) into `outdir/index.mjs` with the function's options. */
export async function bundleFunction(
  entry: string,
  outdir: string,
  overrides: Partial<BuildOptions> = {},
): Promise<BundleReport> {
  const file = join(outdir, 'index.mjs');
  const { metafile } = await build({
    ...FUNCTION_ESBUILD,
    ...overrides,
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  const output = metafile.outputs[relative(ROOT, file)];
  if (!output) throw new Error(`esbuild wrote no ${file}`);
  return {
    ...fileSize(file),
    origin: "esbuild with the stack's options",
    externals: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
    packages: packageBytes(output.inputs),
  };
}

/** Bytes of a file as shipped and as gzip -9 would compress it (the .map is not part of it). */
export function fileSize(file: string): FileSize {
  const code = readFileSync(file);
  return { file, bytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

function packageBytes(inputs: Metafile['outputs'][string]['inputs']): PackageBytes[] {
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const name = packageOf(path);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** The npm package a project-relative source path belongs to, or the project folder it is in. */
export function packageOf(path: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? `(project) ${path.split('/')[0]}/`;
}

/**
 * The bench's own child scripts as plain JS: children then start as the Lambda runtime starts a function,
 * without Node's TypeScript stripping.
 */
export async function buildChildren(outdir: string): Promise<Record<ChildScript, string>> {
  const names: ChildScript[] = ['cold-handler', 'cold-fetch', 'warm', 'session', 'sdk-load', 'memory'];
  await build({
    absWorkingDir: ROOT,
    entryPoints: names.map((name) => `bench/children/${name}.ts`),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
  });
  return Object.fromEntries(names.map((name) => [name, join(outdir, `${name}.mjs`)])) as Record<ChildScript, string>;
}

export type ChildScript = 'cold-handler' | 'cold-fetch' | 'warm' | 'session' | 'sdk-load' | 'memory';
