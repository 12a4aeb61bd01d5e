import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { DEFAULT_ACCOUNT_ENV } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { BundlingError } from './bundling.ts';
import { droppedContextArguments } from './cli-context.ts';
import { selectEnvironment } from './context.ts';
import { CryptogramServiceStack } from './cryptogram-service-stack.ts';
import { ENVIRONMENTS } from './environments.ts';
import { sourceMapArtifact } from './function.ts';
import { readEnvironment, type Settings, SettingsError } from './settings.ts';

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
  /** The selected environment's name and its checked settings, as the stack was built from them. */
  name: string;
  settings: Settings;
} {
  const app = new App(props);
  const context = app.node.getAllContext() as Record<string, unknown>;
  const selected = selectEnvironment({ context, environments, credentialsAccount, droppedContext, notice });
  const settings = readEnvironment(selected, environments[selected]);
  const stack = new CryptogramServiceStack(app, `CryptogramService-${selected}`, {
    settings,
    env: settings.account ? { account: settings.account, region: settings.region } : undefined,
    description: `Cashfree network token cryptograms behind an IAM-authorised REST API (${selected})`,
    tags: { service: 'cryptogram-service', environment: selected },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack, name: selected, settings };
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
