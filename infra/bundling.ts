import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  LogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The machine cannot bundle: one line for a person, printed without a stack trace (infra/app.ts). */
export class BundlingError extends Error {
  override name = 'BundlingError';
}

/**
 * Why the project's esbuild cannot run from `root`, or undefined when it can. It runs the same executable CDK's
 * local bundling runs (`npx --no-install esbuild`: the project's `node_modules/.bin/esbuild`), so a missing or
 * broken platform binary is found here rather than halfway through a synth.
 */
export function esbuildProblem(root: string): string | undefined {
  try {
    createRequire(join(root, 'package.json')).resolve('esbuild');
  } catch {
    return 'esbuild is not installed (run npm install)';
  }
  const run = spawnSync(join(root, 'node_modules', '.bin', 'esbuild'), ['--version'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status === 0) return undefined;
  const reason = (run.error?.message ?? run.stderr ?? '').split('\n').find((line) => line.trim() !== '');
  return `esbuild cannot run on this machine${reason ? ` (${reason.trim().slice(0, 200)})` : ''}; run npm install here`;
}

let esbuildChecked = false;

/**
 * Fails the synth with one line when esbuild cannot run. Without this, CDK would switch to Docker bundling by
 * itself (`forceDockerBundling: false` does not stop it), which needs Docker, the network and another esbuild.
 */
export function assertEsbuildRuns(): void {
  if (esbuildChecked) return;
  const problem = esbuildProblem(ROOT);
  if (problem)
    throw new BundlingError(`Cannot bundle the functions: ${problem}. The synth never falls back to Docker.`);
  esbuildChecked = true;
}

export interface BundledFunctionProps extends Omit<NodejsFunctionProps, 'bundling'> {
  entry: string;
  bundling?: Omit<BundlingOptions, 'format' | 'target' | 'forceDockerBundling'>;
}

/** A Node 24 arm64 function bundled as minified ESM by the project's own esbuild, logging JSON, traced. */
export function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps): NodejsFunction {
  assertEsbuildRuns();
  return new NodejsFunction(scope, id, {
    handler: 'handler',
    projectRoot: ROOT,
    depsLockFilePath: `${ROOT}package-lock.json`,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    loggingFormat: LoggingFormat.JSON,
    tracing: Tracing.ACTIVE,
    ...props,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node24',
      minify: true,
      // esbuild's CLI prints a size table for every build at its default level; warnings and errors still show.
      // The level is not part of the output, so no asset hash depends on it.
      logLevel: LogLevel.WARNING,
      ...props.bundling,
      forceDockerBundling: false,
    },
  });
}
