import * as v from 'valibot';
import { type CashfreeEnvironment, ConfigError, type ConfigProblem, ENV, readConfig } from '../lambda/config.ts';
import { parseInstrumentIds } from '../lambda/request.ts';
import { didYouMean } from '../lambda/suggest.ts';
import { ARN_KINDS, arnSetting, principalProblem } from './arns.ts';
import type { EgressSettings } from './egress.ts';
import { PROBE_ANSWERS, PROBE_DEFAULTS, type ProbeStatus } from './functions/probe.ts';

/** A bad setting: one message listing every problem, meant for a person, so it is printed without a stack. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An object of exactly these keys. Each unknown key is reported with the one most likely meant; a missing key is
 * `required`, or else reads as the value's own rule (`throttle.burstLimit must be a whole number from 1 to 5000`).
 */
function strict<E extends v.ObjectEntries>(entries: E, shape: string, required?: string) {
  const keys = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    const [item] = issue.path ?? [];
    if (item === undefined) return ` must be ${shape}`;
    if (issue.expected !== 'never')
      return required ?? v.safeParse(entries[String(item.key)] ?? v.never(), undefined).issues?.[0].message ?? '';
    // valibot stops at the first unknown key; the rest are listed with it, one line each.
    const unknown = Object.keys(item.input as Json).filter((key) => !keys.includes(key));
    return unknown.map((key) => `${key} is not a setting${didYouMean(key, keys)}`).join('\n');
  });
}

const notOneOf =
  (options: readonly string[]) =>
  ({ input }: { input: unknown }): string =>
    ` must be one of ${options.join(', ')}${typeof input === 'string' ? didYouMean(input, options) : ''}`;
const oneOf = <const T extends string>(options: readonly T[]) => v.picklist(options, notOneOf(options));

const wholeNumber = (min: number, max: number) => {
  const message = ` must be a whole number from ${min} to ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};

/** Checks each entry of a list, reporting every refused one on the list itself. */
const eachEntry = (problem: (entry: unknown, index: number) => string | undefined) =>
  v.rawCheck<string[]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    dataset.value.forEach((entry, index) => {
      const message = problem(entry, index);
      if (message) addIssue({ message });
    });
  });

/** A non-empty list of AWS resource ids of one kind (`subnet-0123…`). */
const idList = (prefix: string, what: string, listed = what) => {
  const pattern = new RegExp(`^${prefix}-[0-9a-f]{8,17}$`);
  return v.pipe(
    v.custom<string[]>((list) => Array.isArray(list) && list.length > 0, ` must list at least one ${listed}`),
    eachEntry((id) => (typeof id === 'string' && pattern.test(id) ? undefined : `: ${String(id)} is not a ${what}`)),
  );
};

// Every variable the function reads but its secret's id, which the stack sets: the setting of `ENV.maxAttempts`
// is `maxAttempts`. The function's own reader checks the values (`cashfreeSetting`); here they only pass through.
type CashfreeKey = Exclude<keyof typeof ENV, 'secretId'>;
const PASSED = ['string', 'number', 'boolean'];
const passed = <T>() => v.custom<T>((value) => PASSED.includes(typeof value), ' must be a string, number or boolean');
const CASHFREE = {
  environment: passed<CashfreeEnvironment>(),
  apiVersion: passed<string>(),
  baseUrl: v.optional(passed<string>()),
  /** Lets `baseUrl` be a host other than Cashfree's, such as an egress proxy. */
  allowCustomHost: v.optional(passed<boolean>()),
  credentialsTtlSeconds: v.optional(passed<number>()),
  attemptTimeoutMs: v.optional(passed<number>()),
  maxAttempts: v.optional(passed<number>()),
  requestBudgetMs: v.optional(passed<number>()),
  credentialsTimeoutMs: v.optional(passed<number>()),
} satisfies Record<CashfreeKey, v.GenericSchema>;
const CASHFREE_KEYS = Object.keys(CASHFREE) as CashfreeKey[];

const functionEnvironment = (cashfree: Json): Record<string, string> =>
  Object.fromEntries(
    CASHFREE_KEYS.flatMap((key) => (PASSED.includes(typeof cashfree[key]) ? [[ENV[key], String(cashfree[key])]] : [])),
  );

/** What the function's reader refuses, each problem worded to follow the setting's name. */
function refusals(environment: Record<string, string>): ConfigProblem[] {
  try {
    readConfig({ ...environment, [ENV.secretId]: 'checked-at-synth' });
    return [];
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map(({ variable, problem }) => ({ variable, problem: ` ${problem}` }));
    throw error;
  }
}

const cashfreeSetting = ({ name, pinned }: Context) =>
  v.pipe(
    strict(CASHFREE, 'an object', ' is required'),
    // The function's own reader: whatever it would reject at cold start fails the synth instead, by setting name.
    v.rawCheck(({ dataset, addIssue }) => {
      if (!isObject(dataset.value)) return;
      const cashfree = dataset.value;
      const environment = functionEnvironment(cashfree);
      const refused = refusals(environment);
      if (!pinned && cashfree.environment === 'production') {
        refused.unshift({ variable: ENV.environment, problem: ': production needs a pinned account and region' });
      }
      // The function accepts plain http on loopback for the local simulator; deployed, that would send the key
      // pair unencrypted to whatever listens inside the execution environment.
      if (environment[ENV.baseUrl]?.startsWith('http:') && !refused.some((p) => p.variable === ENV.baseUrl)) {
        refused.push({ variable: ENV.baseUrl, problem: ' must use https' });
      }
      for (const { variable, problem } of refused) {
        const key = CASHFREE_KEYS.find((candidate) => ENV[candidate] === variable);
        const message = CASHFREE_KEYS.reduce((text, k) => text.replaceAll(ENV[k], `${name}.cashfree.${k}`), problem);
        const path: [v.IssuePathItem] | undefined = key && [
          { type: 'object', origin: 'value', input: cashfree, key, value: cashfree[key] },
        ];
        addIssue({ message, path });
      }
    }),
  );

const STRATEGIES = ['all-at-once', 'canary', 'linear'] as const;
const RELEASE_SHAPE = "{ strategy: 'all-at-once' } or { strategy, percent, intervalMinutes }";
const strategy = <S extends (typeof STRATEGIES)[number]>(name: S) => v.literal(name, notOneOf(STRATEGIES));
// Linear needs at least two steps; a canary of 100% would be all-at-once under another name.
const stepped = <S extends 'canary' | 'linear'>(name: S, maxPercent: number) =>
  strict(
    { strategy: strategy(name), percent: wholeNumber(1, maxPercent), intervalMinutes: wholeNumber(1, 60) },
    RELEASE_SHAPE,
  );
const RELEASES = {
  'all-at-once': strict({ strategy: strategy('all-at-once') }, RELEASE_SHAPE),
  canary: stepped('canary', 99),
  linear: stepped('linear', 50),
};
/** Chosen by `strategy`; an unknown one is checked as a canary, so that its percent and interval are checked too. */
const RELEASE = v.lazy(
  (input) => RELEASES[STRATEGIES.find((name) => isObject(input) && input.strategy === name) ?? 'canary'],
);

/** How a new function version takes traffic. CodeDeploy shifts it and rolls back on a failed check or alarm. */
export type ReleaseSettings = v.InferOutput<typeof RELEASE>;

/** How long two versions share the alias during a release: from the first shift to the last. */
export function shiftMinutes(release: ReleaseSettings): number {
  if (release.strategy === 'all-at-once') return 0;
  if (release.strategy === 'canary') return release.intervalMinutes;
  return (Math.ceil(100 / release.percent) - 1) * release.intervalMinutes;
}

function idProblem(parameter: 'customer_id' | 'instrument_id', id: string): string | undefined {
  try {
    // The function's own rule: an id it would refuse could never reach Cashfree.
    parseInstrumentIds({ customer_id: 'x', instrument_id: 'x', [parameter]: encodeURIComponent(id) });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'not a valid id';
  }
}
const probeId = (parameter: 'customer_id' | 'instrument_id', fallback: string) =>
  v.optional(
    v.pipe(
      v.string(' must be a string'),
      v.check(
        (id) => !idProblem(parameter, id),
        (issue) => `: ${idProblem(parameter, issue.input)}`,
      ),
    ),
    fallback,
  );
/**
 * The ids the pre-traffic check and the heartbeat ask for, and the status that counts as "authenticated and
 * routed" (404, or 400 where Cashfree answers an unknown customer so). Unset parts take `PROBE_DEFAULTS`.
 */
const PROBE = strict(
  {
    customerId: probeId('customer_id', PROBE_DEFAULTS.customerId),
    instrumentId: probeId('instrument_id', PROBE_DEFAULTS.instrumentId),
    expected: v.optional(
      v.custom<ProbeStatus>(
        (status) => typeof status === 'number' && Object.hasOwn(PROBE_ANSWERS, status),
        " must be 404 (Cashfree's documented answer for an unknown card) or 400; " +
          'never 401, 403, 5xx or 200, which would pass a refused key pair, a failing version or a real card',
      ),
      PROBE_DEFAULTS.expected,
    ),
  },
  '{ customerId, instrumentId, expected } or left out',
);

/** A call through the whole chain every minute, alarmed when it fails; unset: on in every environment but dev. */
const heartbeatSetting = ({ name, vpcEndpointIds }: Context) => {
  const privateApi = vpcEndpointIds.length > 0;
  /** Where the heartbeat runs when the API is private: in the callers' VPC, calling through one of its endpoints. */
  const vpc = strict(
    {
      subnetIds: idList('subnet', 'subnet id (subnet-...)'),
      securityGroupIds: idList('sg', 'security group id (sg-...)'),
      vpcEndpointId: v.custom<string>((id) => vpcEndpointIds.includes(id), ' must be one of endpoint.vpcEndpointIds'),
    },
    '{ subnetIds, securityGroupIds, vpcEndpointId }',
  );
  const privateHeartbeat =
    ' is required for a private API: the heartbeat must call from where callers do, through the VPC endpoint ' +
    '({ subnetIds, securityGroupIds, vpcEndpointId }), or set enabled: false';
  return v.optional(
    v.pipe(
      strict(
        {
          enabled: v.boolean(' must be true or false'),
          vpc: v.optional(privateApi ? vpc : v.never(' applies only to a private API (endpoint.vpcEndpointIds)')),
        },
        '{ enabled } or { enabled, vpc }',
      ),
      v.forward(
        v.check(({ enabled, vpc }) => !(enabled && privateApi && !vpc), privateHeartbeat),
        ['vpc'],
      ),
    ),
    { enabled: name !== 'dev' },
  );
};

// One NAT gateway and Elastic IP per zone; three zones is what every region offers and what Cashfree's
// allow-list needs to hear about.
const MAX_EGRESS_ZONES = 3;
const ZONE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;

/**
 * Fixed outgoing addresses for Cashfree's IP allow-list: the function in a VPC of its own, one NAT gateway and
 * Elastic IP per zone (README, "A fixed outgoing address for Cashfree"). Unset: the function has no VPC.
 */
const egressSetting = (region: string | undefined) => {
  const shape = `{ availabilityZones: [names] } or { natGateways: 1 to ${MAX_EGRESS_ZONES} }`;
  const zones = v.pipe(
    v.custom<string[]>(
      (list) => region !== undefined && Array.isArray(list) && list.length > 0 && list.length <= MAX_EGRESS_ZONES,
      region === undefined
        ? ' needs a pinned region; an unpinned environment uses natGateways'
        : ` must list 1 to ${MAX_EGRESS_ZONES} zone names`,
    ),
    eachEntry((zone) => {
      if (!(typeof zone === 'string' && ZONE.test(zone)))
        return `: ${String(zone)} is not a zone name such as ap-south-1a`;
      return zone.slice(0, -1) === region ? undefined : `: ${zone} is not in ${region}, where the environment deploys`;
    }),
    v.check((list) => new Set(list).size === list.length, ' names a zone twice'),
  );
  return v.pipe(
    strict({ availabilityZones: v.optional(zones), natGateways: v.optional(wholeNumber(1, MAX_EGRESS_ZONES)) }, shape),
    v.check(
      (egress) => (egress.availabilityZones === undefined) !== (egress.natGateways === undefined),
      ` must be ${shape}, one of the two`,
    ),
    v.transform(
      ({ availabilityZones = [], natGateways }): EgressSettings =>
        natGateways === undefined ? { availabilityZones } : { natGateways },
    ),
  );
};

/** An object setting, or one of a few words (`kmsKey: 'create'` or `kmsKey: { arn }`). */
const objectOr = <O extends v.GenericSchema, W extends v.GenericSchema>(object: O, words: W) =>
  v.lazy((input) => (isObject(input) ? object : words));

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

const matching = (pattern: RegExp, message: string) => v.pipe(v.string(message), v.regex(pattern, message));

/** One deployable environment, as written in `infra/environments.ts`. */
const environmentSetting = (context: Context) => {
  const { region, reservedConcurrency: reserved } = context;
  const fraction = ' must be a fraction from 0.1 to 0.9';
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
      provisionedConcurrency: v.optional(
        v.pipe(
          strict(
            {
              min: wholeNumber(1, 1_000),
              max: wholeNumber(1, 1_000),
              utilizationTarget: v.pipe(v.number(fraction), v.minValue(0.1, fraction), v.maxValue(0.9, fraction)),
            },
            '{ min, max, utilizationTarget } or left out',
          ),
          v.forward(
            v.partialCheck([['min'], ['max']], ({ min, max }) => max >= min, ' must not be below min'),
            ['max'],
          ),
          v.forward(
            v.partialCheck(
              [['max']],
              ({ max }) => reserved === undefined || max <= reserved,
              ` must not exceed reservedConcurrency (${reserved})`,
            ),
            ['max'],
          ),
        ),
      ),
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
