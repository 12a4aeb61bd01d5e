import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { type BuiltFunction, buildFunction } from '../infra/function-bundling.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PackageBytes {
  name: string;
  bytes: number;
}

export interface BundleReport {
  /** The bundle's absolute path; its source map is beside it. */
  file: string;
  bytes: number;
  gzipBytes: number;
  /** What the bundle loads from outside itself at run time, as esbuild recorded it. */
  externals: string[];
  /** Bytes each input package contributes to the output, largest first. */
  packages: PackageBytes[];
  /** The AWS SDK credential-provider packages (and their nested clients) inside. */
  credentialProviders: string[];
}

export interface Subjects {
  /** The deployed bundle: lambda/handler.ts built with infra/function-bundling.ts, nothing changed. */
  ours: BundleReport;
  /** The handler a developer would write with cashfree-pg, bundled alike but with the SDK's default chain. */
  official: BundleReport;
  /** Ours with `@aws-sdk/*` left to the Lambda runtime: size only (the runtime's SDK copy is not here). */
  sdkExternal: BundleReport;
  /** The Secrets Manager client alone: with the SDK's default credential chain, and as the function ships it. */
  sdkDefault: BundleReport;
  sdkShipped: BundleReport;
  /** Ours with a `sourceMappingURL` comment, as it shipped under `--enable-source-maps` before: the same code. */
  linkedMap: BundleReport;
  /** Ours with its whitespace kept, so a CPU profile's line ticks tell the bundled modules apart. */
  profiled: BundleReport;
}

const DEFAULT_CHAIN: BuildOptions = { alias: {} };
const SDK_ONLY: BuildOptions = { entryPoints: ['bench/sdk-entry.ts'] };

/** Every bundle the bench measures, each built with the function's own esbuild options (infra/function-bundling.ts). */
export async function buildSubjects(work: string): Promise<Subjects> {
  const bundle = async (name: string, overrides: BuildOptions = {}) =>
    report(await buildFunction(join(work, name), overrides));
  const [ours, official, sdkExternal, sdkDefault, sdkShipped, linkedMap, profiled] = await Promise.all([
    bundle('cryptogram-service'),
    bundle('cashfree-pg', { ...DEFAULT_CHAIN, entryPoints: ['bench/cashfree-pg-handler.ts'] }),
    bundle('sdk-external', { external: ['@aws-sdk/*'] }),
    bundle('sdk-default-chain', { ...SDK_ONLY, ...DEFAULT_CHAIN }),
    bundle('sdk-as-shipped', SDK_ONLY),
    bundle('linked-source-map', { sourcemap: true }),
    bundle('profiled', { minify: false, minifySyntax: true, minifyIdentifiers: true }),
  ]);
  return { ours, official, sdkExternal, sdkDefault, sdkShipped, linkedMap, profiled };
}

function report({ file, output }: BuiltFunction): BundleReport {
  const code = readFileSync(file);
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(path);
    if (bytesInOutput > 0) totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  const packages = [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return {
    file,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    externals: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
    packages,
    credentialProviders: packages
      .map((p) => p.name)
      .filter((name) => /credential-provider|nested-clients|token-providers/.test(name))
      .sort(),
  };
}

/** The npm package a project-relative source path belongs to, or the project folder it is in. */
export function packageOf(path: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? `(project) ${path.split('/')[0]}/`;
}

export type ChildScript = 'cold' | 'fetch' | 'session';

/**
 * The bench's own child scripts as plain JS: children then start as the Lambda runtime starts a function,
 * without Node's TypeScript stripping.
 */
export async function buildChildren(outdir: string): Promise<Record<ChildScript, string>> {
  const names: ChildScript[] = ['cold', 'fetch', 'session'];
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
