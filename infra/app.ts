import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { DEFAULT_ACCOUNT_ENV } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { didYouMean } from '../lambda/suggest.ts';
import { BundlingError } from './bundling.ts';
import { droppedContextArguments } from './cli-context.ts';
import { CDK_CONTEXT_KEYS, ENV_CONTEXT_KEY, envSuggestion, unknownContextKey } from './context.ts';
import { CryptogramServiceStack } from './cryptogram-service-stack.ts';
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS } from './environments.ts';
import { sourceMapArtifact } from './function.ts';
import { readEnvironment, SETTING_KEYS, SettingsError } from './settings.ts';

export { ENV_CONTEXT_KEY };

export interface BuildOptions extends AppProps {
  /** Stand-in for `infra/environments.ts`, for tests of the validation. */
  environments?: Record<string, unknown>;
  /** The account of the operator's credentials, as the CDK CLI hands it over (`CDK_DEFAULT_ACCOUNT`). */
  credentialsAccount?: string;
  /** Told which environment was chosen when no `-c env` was given; `cdk synth` prints it on stderr. */
  notice?: (line: string) => void;
  /** `-c` arguments without `=` that the CDK CLI dropped before running the app (see `cli-context.ts`). */
  droppedContext?: readonly string[];
}

const pinnedAccount = (settings: unknown): unknown =>
  typeof settings === 'object' && settings !== null ? (settings as { account?: unknown }).account : undefined;

/**
 * Builds the app `cdk synth` runs: the stack of the environment `-c env=<name>` selects (default `dev`),
 * checked by the cdk-nag packs on every synthesis. Throws a `SettingsError` listing every bad setting.
 */
export function buildApp({
  environments = ENVIRONMENTS,
  credentialsAccount = process.env[DEFAULT_ACCOUNT_ENV],
  notice = () => {},
  droppedContext = [],
  ...props
}: BuildOptions = {}): {
  app: App;
  stack: CryptogramServiceStack;
} {
  const app = new App(props);
  const problems: string[] = [];
  const context = app.node.getAllContext() as Record<string, unknown>;
  const names = Object.keys(environments);
  for (const [key, value] of Object.entries(context)) {
    if (key !== ENV_CONTEXT_KEY && !CDK_CONTEXT_KEYS.has(key)) {
      problems.push(unknownContextKey(key, value, SETTING_KEYS, names));
    }
  }
  for (const argument of droppedContext) {
    problems.push(
      `-c ${argument}: not KEY=VALUE, so the CDK CLI dropped it${envSuggestion(argument, undefined, names)}`,
    );
  }
  const given = context[ENV_CONTEXT_KEY];
  const selected = given === undefined ? DEFAULT_ENVIRONMENT : String(given);
  if (!Object.hasOwn(environments, selected)) {
    problems.push(
      `-c ${ENV_CONTEXT_KEY}=${selected}: no such environment${didYouMean(selected, names)}; known: ${names.join(', ')}`,
    );
  } else if (pinnedAccount(environments[selected]) === undefined && credentialsAccount !== undefined) {
    // The CDK CLI drops a `-c` without `=` (`-c env:prod`) with a warning, so the app cannot see the typo; what
    // it can see is an unpinned stack about to land in an account another environment owns.
    const owner = names.find((name) => pinnedAccount(environments[name]) === credentialsAccount);
    if (owner !== undefined) {
      const chosen =
        given === undefined
          ? `no -c ${ENV_CONTEXT_KEY} given (the CDK CLI drops a -c without "=", such as -c ${ENV_CONTEXT_KEY}:${owner})`
          : `-c ${ENV_CONTEXT_KEY}=${selected}`;
      problems.push(
        `${chosen}: ${selected} deploys wherever the AWS credentials point, and they are for account ` +
          `${credentialsAccount}, which ${owner} pins; pass -c ${ENV_CONTEXT_KEY}=${owner}, or use credentials ` +
          `for an account of your own`,
      );
    }
  }
  if (problems.length > 0) throw new SettingsError(`Invalid context:\n  - ${problems.join('\n  - ')}`);
  if (given === undefined) {
    notice(
      `cryptogram-service: no -c ${ENV_CONTEXT_KEY} given: synthesizing ${selected} ` +
        `(-c ${ENV_CONTEXT_KEY}=<name> chooses; the CDK CLI drops a -c without "=")`,
    );
  }

  const settings = readEnvironment(selected, environments[selected]);
  const stack = new CryptogramServiceStack(app, `CryptogramService-${selected}`, {
    settings,
    env: settings.account ? { account: settings.account, region: settings.region } : undefined,
    description: `Cashfree network token cryptograms behind an IAM-authorised REST API (${selected})`,
    tags: { service: 'cryptogram-service', environment: selected },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

if (import.meta.main) {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const { app, stack } = buildApp({ notice: say, droppedContext: droppedContextArguments() });
    const map = join(app.outdir, sourceMapArtifact(stack.stackName));
    const shown = relative('.', map).startsWith('..') ? map : relative('.', map);
    if (existsSync(map)) say(`cryptogram-service: the function's source map (npm run stack): ${shown}`);
  } catch (error) {
    // A settings mistake or a machine that cannot bundle is the operator's to fix: the message says what, a
    // stack trace would only bury it.
    if (!(error instanceof SettingsError || error instanceof BundlingError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
