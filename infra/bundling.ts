import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  LogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { retainedLogGroup } from './logs.ts';

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
function assertEsbuildRuns(): void {
  if (esbuildChecked) return;
  const problem = esbuildProblem(ROOT);
  if (problem)
    throw new BundlingError(`Cannot bundle the functions: ${problem}. The synth never falls back to Docker.`);
  esbuildChecked = true;
}

export interface BundledFunctionProps extends Omit<NodejsFunctionProps, 'bundling' | 'role' | 'logGroup'> {
  entry: string;
  bundling?: Omit<BundlingOptions, 'format' | 'target' | 'forceDockerBundling'>;
  /** What the function's role is for, as IAM shows it. */
  roleDescription: string;
  /** What the role may do besides writing the log group and sending traces. */
  statements?: PolicyStatement[];
  /** The function runs in subnets (`vpc` or a `vpcConfig`): its role may manage the network interfaces. */
  inSubnets?: boolean;
  /** The ids of the role and the log group beside the function's: `Role` and `Logs` unless said. */
  ids?: { role: string; logs: string };
}

export interface BundledFunction {
  function: NodejsFunction;
  role: Role;
  logGroup: LogGroup;
}

const XRAY_WILDCARD_REASON =
  'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource scoping; AWS requires "*".';
const SUBNETS_WILDCARD_REASON =
  "In subnets, the same holds for EC2's Describe calls, and Lambda creates the network interfaces under the " +
  'role with the scope AWSLambdaVPCAccessExecutionRole documents.';

/**
 * What Lambda needs to attach a function to its subnets: the content of AWSLambdaVPCAccessExecutionRole, written
 * out so that every role stays without AWS-managed policies.
 */
const attachToSubnets = () =>
  new PolicyStatement({
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });

/**
 * A Node 24 arm64 function bundled as minified ESM by the project's own esbuild, logging JSON to a log group of
 * its own, traced, with a role of its own instead of AWSLambdaBasicExecutionRole: it may write to that one log
 * group only, and send X-Ray traces.
 */
export function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps): BundledFunction {
  // A synth that bundles nothing (preflight, `cdk synth --exclusively` of another stack) needs no esbuild.
  if (Stack.of(scope).bundlingRequired) assertEsbuildRuns();
  const { roleDescription, statements = [], inSubnets = false, ids, ...functionProps } = props;
  const logGroup = retainedLogGroup(scope, ids?.logs ?? 'Logs');
  const role = new Role(scope, ids?.role ?? 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: roleDescription,
  });
  logGroup.grantWrite(role);
  for (const statement of inSubnets ? [...statements, attachToSubnets()] : statements) {
    role.addToPrincipalPolicy(statement);
  }
  const fn = new NodejsFunction(scope, id, {
    handler: 'handler',
    projectRoot: ROOT,
    depsLockFilePath: `${ROOT}package-lock.json`,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    loggingFormat: LoggingFormat.JSON,
    tracing: Tracing.ACTIVE,
    role,
    logGroup,
    ...functionProps,
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
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: inSubnets ? `${XRAY_WILDCARD_REASON} ${SUBNETS_WILDCARD_REASON}` : XRAY_WILDCARD_REASON,
  });
  return { function: fn, role, logGroup };
}
