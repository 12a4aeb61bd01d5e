import { envSuggestion } from '../context.ts';
import { ENVIRONMENTS } from '../environments.ts';

/** A command line preflight cannot read; printed with the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = 'usage: npm run preflight -- -c env=<name>   (the same -c flags as npx cdk deploy)';

/**
 * Reads `-c key=value` / `--context key=value` pairs the way the CDK CLI does: split at the first `=`, the
 * value kept as a string, an `aws:` key refused. Whatever the app itself would refuse (unknown keys, unknown
 * environments) is left to `buildApp`, so that preflight and `cdk deploy` refuse the same command lines with
 * the same words. One difference, on purpose: the CLI drops a pair without `=` (`-c env:prod`) with a warning
 * and goes on with the default environment; preflight refuses it and says what was meant.
 */
export function parseContext(
  argv: readonly string[],
  environments: Record<string, unknown> = ENVIRONMENTS,
): Record<string, string> {
  const context: Record<string, string> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    let pair: string | undefined;
    if (argument === '-c' || argument === '--context') {
      pair = argv[++index];
      if (pair === undefined) throw new UsageError(`${argument} needs a KEY=VALUE after it`);
    } else if (argument.startsWith('--context=')) {
      pair = argument.slice('--context='.length);
    } else {
      throw new UsageError(`unknown argument ${argument}`);
    }
    const equals = pair.indexOf('=');
    if (equals <= 0)
      throw new UsageError(
        `context must be KEY=VALUE, not ${pair}${envSuggestion(pair, undefined, Object.keys(environments))}`,
      );
    const key = pair.slice(0, equals);
    // The CLI's own rule (aws-cdk's parseStringContextListToObject): `aws:` keys are CDK's to set.
    if (key.startsWith('aws:')) throw new UsageError(`context keys prefixed with aws: are CDK's own, not ${key}`);
    context[key] = pair.slice(equals + 1);
  }
  return context;
}
