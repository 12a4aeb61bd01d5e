import type { Writable } from 'node:stream';

/**
 * The one line aws-cdk-lib's AssetStaging writes to stderr before it bundles an asset
 * (`Bundling asset <construct path>...`): one per function per synth, some fifty in a run of the tests.
 */
export const CDK_BUNDLING_LINE = /^Bundling asset [^\n]+\.\.\.\n$/;

const patched = Symbol.for('cryptogram-service.quiet-bundling');

/**
 * Drops exactly CDK's bundling line from `stream`'s writes and passes every other write through unchanged
 * (esbuild's own warnings and errors come from its child process, not through here). Patches a stream once.
 */
export function dropCdkBundlingLine(stream: Writable): void {
  const marked = stream as Writable & { [patched]?: true };
  if (marked[patched]) return;
  marked[patched] = true;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!(typeof chunk === 'string' && CDK_BUNDLING_LINE.test(chunk))) return write(chunk, ...rest);
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    if (callback) queueMicrotask(callback);
    return true;
  }) as Writable['write'];
}

// Loaded by vitest.config.ts as a setup file, in every test worker.
dropCdkBundlingLine(process.stderr);
