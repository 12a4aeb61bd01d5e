import { join, relative } from 'node:path';
import { SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, Metafile } from 'esbuild';
import { type BundledFunctionProps, ROOT } from './bundling.ts';

/** The cryptogram function's entry point, relative to the project root. */
const FUNCTION_ENTRY = 'lambda/handler.ts';

/**
 * The cryptogram function's esbuild options, in esbuild's own terms: the bench and the tests build the
 * deployed bundle with them (working directory the project root, as CDK runs esbuild), and the stack gets the
 * same options as CDK's `bundling` below. A test holds the synthesized asset byte-identical to this build.
 */
const FUNCTION_ESBUILD = {
  bundle: true,
  platform: 'node',
  // Every function's format and target come from bundledFunction (infra/bundling.ts); the synth test holds
  // the two equal.
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  // The functions' own names in logged stack frames, before any mapping: 14 KB, no measurable time.
  keepNames: true,
  // Written beside the bundle without a sourceMappingURL comment; the stack moves it out of the asset
  // (infra/source-map-artifact.ts), and `npm run stack` reads logged stacks with it.
  sourcemap: 'external',
  sourcesContent: false,
  // Bundled CommonJS dependencies still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // The SDK is bundled, not taken from the runtime: the function runs the SDK version the tests ran.
  external: [],
  // Two modules swapped for what Lambda needs of them (docs/performance.md measures both). The SDK's runtime
  // configuration imports the whole default credential chain (SSO, STS, INI, process, web identity, instance
  // metadata, with their nested clients) statically, so a `credentials` option alone would still ship and
  // evaluate it; in Lambda the role's credentials are always in the environment. And `node:http` is loaded
  // through require, which spares Node's ES-module facade and the undici it loads. `npm start` and the tests run
  // lambda/ unbundled, with the whole chain.
  alias: {
    '@aws-sdk/credential-provider-node': './lambda/environment-credentials.ts',
    'node:http': './lambda/node-http.ts',
  },
} as const satisfies BuildOptions;

/** The same options as `NodejsFunction` takes them (less what bundledFunction sets); CDK turns them back into esbuild's. */
export const FUNCTION_BUNDLING = {
  mainFields: [...FUNCTION_ESBUILD.mainFields],
  minify: FUNCTION_ESBUILD.minify,
  keepNames: FUNCTION_ESBUILD.keepNames,
  sourceMap: true,
  sourceMapMode: SourceMapMode.EXTERNAL,
  sourcesContent: FUNCTION_ESBUILD.sourcesContent,
  banner: FUNCTION_ESBUILD.banner.js,
  externalModules: [...FUNCTION_ESBUILD.external],
  // Passed on as `--alias:<package>=<path>`; CDK runs esbuild in the project root, where the path resolves.
  esbuildArgs: { '--alias': Object.entries(FUNCTION_ESBUILD.alias).map(([from, to]) => `${from}=${to}`) },
} satisfies BundledFunctionProps['bundling'];

export interface BuiltFunction {
  /** `<outdir>/index.mjs`; its source map is beside it (`index.mjs.map`), `sources` relative to `outdir`. */
  file: string;
  /** esbuild's account of the one output file: its inputs with their bytes in it, what it imports. */
  output: Metafile['outputs'][string];
}

/**
 * Builds the function as the stack ships it into `outdir`. `overrides` serve measurements only (another entry
 * point, the source map off); the deployed bundle is the build without them.
 */
export async function buildFunction(outdir: string, overrides: BuildOptions = {}): Promise<BuiltFunction> {
  const file = join(outdir, 'index.mjs');
  // Loaded here, not at the top: the synth imports this file and must run (to say esbuild is missing, with
  // bundling.ts's one line) even where esbuild is not installed.
  const { build } = await import('esbuild');
  const { metafile } = await build({
    ...FUNCTION_ESBUILD,
    entryPoints: [FUNCTION_ENTRY],
    ...overrides,
    absWorkingDir: ROOT,
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  const output = metafile.outputs[relative(ROOT, file)];
  if (!output) throw new Error(`esbuild wrote no ${file}`);
  return { file, output };
}
