import * as v from 'valibot';
import { ARN_KINDS, arnSetting, principalProblem } from './arns.ts';
import { CASHFREE_KEYS, cashfreeSetting, functionEnvironment } from './settings/cashfree.ts';
import { egressSetting } from './settings/egress.ts';
import { heartbeatSetting } from './settings/heartbeat.ts';
import { PROBE } from './settings/probe.ts';
import { provisionedConcurrencySetting } from './settings/provisioned-concurrency.ts';
import { RELEASE } from './settings/release.ts';
import {
  eachEntry,
  idList,
  isObject,
  type Json,
  matching,
  objectOr,
  oneOf,
  strict,
  wholeNumber,
} from './settings/schema.ts';

export { type ReleaseSettings, shiftMinutes } from './settings/release.ts';

/** A bad setting: one message listing every problem, meant for a person, so it is printed without a stack. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** What one setting's rules need of the others: where the environment deploys, and what its API and secret are. */
function contextOf(name: string, raw: Json) {
  const { endpoint } = raw;
  return {
    name,
    region: typeof raw.region === 'string' ? raw.region : undefined,
    pinned: raw.account !== undefined && raw.region !== undefined,
    reservedConcurrency: typeof raw.reservedConcurrency === 'number' ? raw.reservedConcurrency : undefined,
    importedSecret: raw.secretArn !== undefined,
    vpcEndpointIds:
      isObject(endpoint) && Array.isArray(endpoint.vpcEndpointIds) ? (endpoint.vpcEndpointIds as unknown[]) : [],
  };
}
type Context = ReturnType<typeof contextOf>;

/** One deployable environment, as written in `infra/environments.ts`. */
const environmentSetting = (context: Context) => {
  const { region, reservedConcurrency: reserved } = context;
  return strict(
    {
      /** Account and region the stack may deploy to; every environment but `dev` must pin both. */
      account: v.optional(matching(/^\d{12}$/, ' must be a 12-digit AWS account id')),
      region: v.optional(matching(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, ' must be an AWS region such as ap-south-1')),
      /** Account ids and IAM role or user ARNs that may invoke; empty admits the deploying account only. */
      allowedPrincipals: v.pipe(
        v.custom<string[]>(Array.isArray, ' must be a list'),
        eachEntry((entry, index) => {
          const problem = typeof entry === 'string' ? principalProblem(entry) : 'must be a string';
          return problem && `[${index}] ${String(entry)} ${problem}`;
        }),
      ),
      cashfree: cashfreeSetting(context),
      /** Complete ARN of an existing secret; unset creates one for the operator to fill. */
      secretArn: v.optional(arnSetting(ARN_KINDS.secret, region)),
      /** What encrypts the secret: the AWS-managed key, a key this stack creates, or an existing key. */
      kmsKey: objectOr(
        strict({ arn: arnSetting(ARN_KINDS.kmsKey, region) }, '{ arn }'),
        v.pipe(
          oneOf(['aws-managed', 'create']),
          v.check(
            (key) => key !== 'create' || !context.importedSecret,
            ': create applies only to a secret this stack creates (secretArn is set)',
          ),
        ),
      ),
      /** `regional`, or private: reachable only through these `execute-api` interface endpoints. */
      endpoint: objectOr(
        strict(
          { vpcEndpointIds: idList('vpce', 'VPC endpoint id (vpce-...)', 'execute-api VPC endpoint id') },
          '{ vpcEndpointIds }',
        ),
        oneOf(['regional']),
      ),
      throttle: strict(
        { rateLimit: wholeNumber(1, 10_000), burstLimit: wholeNumber(1, 5_000) },
        '{ rateLimit, burstLimit }',
      ),
      reservedConcurrency: v.lazy((input) => (input === 'none' ? v.literal('none') : wholeNumber(1, 1_000))),
      /** Warm instances kept on the live alias, scaled between min and max to hold the utilization target. */
      provisionedConcurrency: v.optional(provisionedConcurrencySetting(reserved)),
      release: RELEASE,
      /** SNS topic every alarm notifies; unset notifies nobody (the alarms still roll a release back). */
      alarmActionArn: v.optional(arnSetting(ARN_KINDS.snsTopic, region)),
      wafWebAclArn: v.optional(arnSetting(ARN_KINDS.wafWebAcl, region)),
      /** Sets the account-and-region-wide role API Gateway logs with; false when the account already has one. */
      createApiGatewayAccountRole: v.boolean(' must be true or false'),
      probe: v.optional(PROBE, {}),
      heartbeat: heartbeatSetting(context),
      egress: v.optional(egressSetting(region)),
    },
    'an object of settings',
    ' is required',
  );
};
type EnvironmentSchema = ReturnType<typeof environmentSetting>;

/** One deployable environment, as written in `infra/environments.ts`. */
export type EnvironmentSettings = v.InferInput<EnvironmentSchema>;
/** The settings the constructs use: checked, with the defaults filled in and the function's environment worked out. */
export type Settings = v.InferOutput<EnvironmentSchema> & { name: string; functionEnvironment: Record<string, string> };
/** Values the function reads from its environment (`lambda/config.ts` checks them; see the README). */
export type CashfreeSettings = Settings['cashfree'];
export type HeartbeatSettings = Settings['heartbeat'];
export type HeartbeatVpc = NonNullable<HeartbeatSettings['vpc']>;

/** Every key a person may write, for "did you mean" on a misspelt `-c` key as well. */
export const SETTING_KEYS: readonly string[] = [
  ...Object.keys(environmentSetting(contextOf('dev', {})).entries),
  ...CASHFREE_KEYS,
];

const isUnknownKey = (issue: v.BaseIssue<unknown>) => issue.type === 'strict_object' && issue.expected === 'never';

/** Each problem naming the setting as written (`prod.release.percent`); an unknown key's names its object's path. */
function wording(name: string, issue: v.BaseIssue<unknown>): string[] {
  const path = [name, ...(issue.path ?? []).map((item) => String(item.key))];
  if (!isUnknownKey(issue)) return [`${path.join('.')}${issue.message}`];
  return issue.message.split('\n').map((line) => `${path.slice(0, -1).join('.')}.${line}`);
}

/**
 * Checks one environment's settings and works out the function's environment. Throws a `SettingsError` that
 * lists every problem at once, each naming the setting as written (`prod.release.percent`).
 */
export function readEnvironment(name: string, raw: unknown): Settings {
  if (!isObject(raw)) throw new SettingsError(`Invalid settings: ${name} must be an object of settings`);
  const context = contextOf(name, raw);
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    problems.push(`${name}: an environment name is 1 to 20 lower-case letters, digits and dashes`);
  }
  if ((raw.account === undefined) !== (raw.region === undefined)) {
    problems.push(`${name}: set account and region together`);
  } else if (!context.pinned && name !== 'dev') {
    // Otherwise the same settings would deploy wherever the operator's credentials happen to point.
    problems.push(`${name}: only dev may leave account and region unset; pin them`);
  }
  const result = v.safeParse(environmentSetting(context), raw);
  const issues = result.issues ?? [];
  // Misspelt keys first, the outermost first: a typo usually explains the problems reported after it.
  const typos = issues.filter(isUnknownKey).sort((a, b) => (a.path?.length ?? 0) - (b.path?.length ?? 0));
  for (const issue of [...typos, ...issues.filter((issue) => !isUnknownKey(issue))]) {
    problems.push(...wording(name, issue));
  }
  if (problems.length > 0 || !result.success) {
    throw new SettingsError(`Invalid settings in infra/environments.ts:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  }
  return { ...result.output, name, functionEnvironment: functionEnvironment(result.output.cashfree) };
}
