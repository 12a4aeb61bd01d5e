import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BundleReport, bundleFunction, FUNCTION_NODE_OPTIONS, fileSize } from './bundle.ts';
import { synthesizeFunction } from './synth.ts';

export interface Subject {
  name: string;
  slug: string;
  size: BundleReport;
}

export interface Subjects {
  ours: Subject;
  official: Subject;
  /** The project's handler with `@aws-sdk/*` left to the Lambda runtime: size only. */
  sdkExternal: BundleReport;
  /** NODE_OPTIONS of the deployed function; every child runs with them. */
  nodeOptions: string;
}

/**
 * Bundles both handlers with the stack's esbuild options. The project's handler is then measured as the stack
 * ships it, from `cdk synth`, when the app synthesizes; the esbuild run still gives the metafile (what each
 * package weighs, what is left outside the bundle).
 */
export async function prepareSubjects(work: string): Promise<Subjects> {
  const [mirrored, officialSize, sdkExternal] = await Promise.all([
    bundleFunction('lambda/handler.ts', join(work, 'cryptogram-service')),
    bundleFunction('bench/cashfree-pg-handler.ts', join(work, 'cashfree-pg')),
    // The runtime's own SDK copy is not the one in node_modules, so this variant's cold start is not comparable.
    bundleFunction('lambda/handler.ts', join(work, 'sdk-external'), { external: ['@aws-sdk/*'] }),
  ]);

  let size = mirrored;
  let nodeOptions = FUNCTION_NODE_OPTIONS;
  try {
    const shipped = await synthesizeFunction(join(work, 'cdk.out'));
    const identical = readFileSync(shipped.file).equals(readFileSync(mirrored.file));
    size = {
      ...mirrored,
      ...fileSize(shipped.file),
      origin: `cdk synth asset${identical ? ", byte-identical to the bench's esbuild run" : ", DIFFERS from the bench's esbuild run: update FUNCTION_BUNDLING"}`,
    };
    nodeOptions = shipped.nodeOptions ?? '';
  } catch (error) {
    process.stderr.write(`cdk synth failed, measuring the bench's own esbuild output: ${(error as Error).message}\n`);
  }

  return {
    ours: { name: 'cryptogram-service', slug: 'cryptogram-service', size },
    official: { name: 'cashfree-pg 6.0.6', slug: 'cashfree-pg', size: officialSize },
    sdkExternal,
    nodeOptions,
  };
}
