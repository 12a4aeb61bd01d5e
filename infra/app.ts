import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { didYouMean } from '../lambda/suggest.ts';
import { BundlingError } from './bundling.ts';
import { CryptogramServiceStack } from './cryptogram-service-stack.ts';
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS } from './environments.ts';
import { readEnvironment, SETTING_KEYS, SettingsError } from './settings.ts';

/** The one context key a person types: which environment of `infra/environments.ts` to synthesize. */
export const ENV_CONTEXT_KEY = 'env';
// CDK's own keys: feature flags and the CLI's (`@aws-cdk/...:x`, `aws:cdk:...`) all contain a colon.
const isCdkKey = (key: string): boolean => key.includes(':') || key === 'cli-telemetry';

export interface BuildOptions extends AppProps {
  /** Stand-in for `infra/environments.ts`, for tests of the validation. */
  environments?: Record<string, unknown>;
}

/**
 * Builds the app `cdk synth` runs: the stack of the environment `-c env=<name>` selects (default `dev`),
 * checked by the cdk-nag packs on every synthesis. Throws a `SettingsError` listing every bad setting.
 */
export function buildApp({ environments = ENVIRONMENTS, ...props }: BuildOptions = {}): {
  app: App;
  stack: CryptogramServiceStack;
} {
  const app = new App(props);
  const problems: string[] = [];
  const context = app.node.getAllContext() as Record<string, unknown>;
  for (const key of Object.keys(context)) {
    if (key === ENV_CONTEXT_KEY || isCdkKey(key)) continue;
    const setting = SETTING_KEYS.includes(key) ? ` ${key} is set per environment in infra/environments.ts` : '';
    problems.push(
      `-c ${key}: unknown context key${setting ? '' : didYouMean(key, [ENV_CONTEXT_KEY, ...SETTING_KEYS])};` +
        `${setting || ' settings live in infra/environments.ts'}, and -c ${ENV_CONTEXT_KEY}=<name> selects one`,
    );
  }
  const names = Object.keys(environments);
  const selected = String(context[ENV_CONTEXT_KEY] ?? DEFAULT_ENVIRONMENT);
  if (!Object.hasOwn(environments, selected)) {
    problems.push(
      `-c ${ENV_CONTEXT_KEY}=${selected}: no such environment${didYouMean(selected, names)}; known: ${names.join(', ')}`,
    );
  }
  if (problems.length > 0) throw new SettingsError(`Invalid context:\n  - ${problems.join('\n  - ')}`);

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
  try {
    buildApp();
  } catch (error) {
    // A settings mistake or a machine that cannot bundle is the operator's to fix: the message says what, a
    // stack trace would only bury it.
    if (!(error instanceof SettingsError || error instanceof BundlingError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
