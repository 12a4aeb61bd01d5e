import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../app.ts';
import { ENVIRONMENTS } from '../environments.ts';
import type { Settings } from '../settings.ts';

/** A Lambda function of the stack, by logical id, and the concurrency its template reserves for it. */
export interface StackFunction {
  logicalId: string;
  reservedConcurrency: number;
}

/** What preflight checks: one environment's settings and the stack `cdk deploy` would make from them. */
export interface Target {
  name: string;
  settings: Settings;
  /** Every environment, for telling whose account the credentials are for. */
  environments: Record<string, unknown>;
  stackName: string;
  functions: StackFunction[];
}

/**
 * Builds the app exactly as `cdk deploy` would for these `-c` flags (cdk.json's context, the same validation
 * and errors), without bundling any code: preflight needs the stack's shape, not its assets.
 */
export function loadTarget(
  context: Record<string, string>,
  environments: Record<string, unknown> = ENVIRONMENTS,
): Target {
  const { stack, name, settings } = buildApp({
    context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] },
    environments,
  });
  // Every function, not only the cryptogram one: each reservation comes out of the same account pool.
  const functions = stack.node
    .findAll()
    .filter((construct): construct is CfnFunction => construct instanceof CfnFunction)
    .map((fn) => ({
      logicalId: stack.getLogicalId(fn),
      reservedConcurrency: Number(stack.resolve(fn.reservedConcurrentExecutions) ?? 0),
    }));
  return {
    name,
    settings,
    environments,
    stackName: stack.stackName,
    functions,
  };
}
