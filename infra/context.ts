import { ENABLE_DIFF_NO_FAIL_CONTEXT, FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT } from 'aws-cdk-lib/cx-api';
import cdkJson from '../cdk.json' with { type: 'json' };
import { didYouMean, editDistance } from '../lambda/suggest.ts';
import { DEFAULT_ENVIRONMENT } from './environments.ts';
import { SETTING_KEYS, SettingsError } from './settings.ts';

/** The one context key a person types: which environment of `infra/environments.ts` to synthesize. */
export const ENV_CONTEXT_KEY = 'env';

/**
 * The context keys CDK itself puts in front of the app outside its reserved `aws:` prefix: cdk.json's feature
 * flags, and what the CLI injects on every run (`contextFromSettings` in aws-cdk's toolkit) or its own commands
 * write to cdk.context.json (`cdk acknowledge`, `cdk cli-telemetry`) or read back (`cdk diff`). A key merely
 * shaped like these (`env:prod`, `@aws-cdk/core:newFlag`) is not one: a feature flag belongs in cdk.json, reviewed.
 */
export const CDK_CONTEXT_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(cdkJson.context),
  FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT,
  ENABLE_DIFF_NO_FAIL_CONTEXT,
  'acknowledged-issue-numbers',
  'cli-telemetry',
]);

/**
 * Whether CDK put `key` there. The CDK CLI refuses a typed `-c aws:…` key (ReservedContextPrefix), so every
 * `aws:` key is CDK's own, including ones a later CLI adds: refusing those could catch no typo, only break a synth.
 */
export const isCdkContextKey = (key: string): boolean => key.startsWith('aws:') || CDK_CONTEXT_KEYS.has(key);

/**
 * ` (did you mean -c env=<name>?)` when an unknown context key is `env` misspelt or miscased (`Env`,
 * `enviroment`), glued to a name by another separator (`env:prod`, `env.prod`), or a setting's name given an
 * environment's (`environment=staging`); an empty string otherwise.
 */
export function envSuggestion(key: string, value: unknown, environments: readonly string[]): string {
  const looksLikeEnv = (word: string) =>
    editDistance(word.toLowerCase(), ENV_CONTEXT_KEY) <= 1 || /^env[a-z]*$/i.test(word);
  const glued = /^([A-Za-z]+)[:.\-_/]([A-Za-z0-9-]+)$/.exec(key);
  if (glued?.[1] && glued[2] && looksLikeEnv(glued[1])) return ` (did you mean -c ${ENV_CONTEXT_KEY}=${glued[2]}?)`;
  if (!looksLikeEnv(key)) return '';
  if (typeof value === 'string' && value !== '') return ` (did you mean -c ${ENV_CONTEXT_KEY}=${value}?)`;
  return ` (did you mean -c ${ENV_CONTEXT_KEY}=<name>? known: ${environments.join(', ')})`;
}

/**
 * Why an unknown context key fails the synth, with what was most likely meant: `-c env=<name>`, a setting
 * (which lives in `infra/environments.ts`, never in a flag), or the closest setting's name.
 */
export function unknownContextKey(
  key: string,
  value: unknown,
  settingKeys: readonly string[],
  environments: readonly string[],
): string {
  const isSetting = settingKeys.includes(key);
  const meantEnv = envSuggestion(key, value, environments);
  const rest = `, and -c ${ENV_CONTEXT_KEY}=<name> selects one`;
  if (meantEnv && !(isSetting && !environments.includes(String(value)))) {
    return `-c ${key}: unknown context key${meantEnv}; settings live in infra/environments.ts${rest}`;
  }
  if (isSetting) return `-c ${key}: unknown context key; ${key} is set per environment in infra/environments.ts${rest}`;
  return `-c ${key}: unknown context key${didYouMean(key, settingKeys)}; settings live in infra/environments.ts${rest}`;
}

/** What `cdk synth` handed the app, and where the operator's AWS credentials point. */
export interface GivenContext {
  context: Record<string, unknown>;
  environments: Record<string, unknown>;
  credentialsAccount: string | undefined;
  droppedContext: readonly string[];
  notice: (line: string) => void;
}

const pinnedAccount = (settings: unknown): unknown =>
  typeof settings === 'object' && settings !== null ? (settings as { account?: unknown }).account : undefined;

/** The environment that pins `account`, if one does: an unpinned stack must never land there. */
export const environmentPinning = (environments: Record<string, unknown>, account: string): string | undefined =>
  Object.keys(environments).find((name) => pinnedAccount(environments[name]) === account);

/**
 * The environment `-c env=<name>` selects (default `dev`), once nothing else typed at deploy time is wrong: an
 * unknown key, a `-c` the CDK CLI dropped, an unknown name, or an unpinned stack about to land in an account
 * another environment pins. Throws a `SettingsError` listing every problem.
 */
export function selectEnvironment({
  context,
  environments,
  credentialsAccount,
  droppedContext,
  notice,
}: GivenContext): string {
  const problems: string[] = [];
  const names = Object.keys(environments);
  for (const [key, value] of Object.entries(context)) {
    if (key !== ENV_CONTEXT_KEY && !isCdkContextKey(key)) {
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
    const owner = environmentPinning(environments, credentialsAccount);
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
  return selected;
}
