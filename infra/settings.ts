import { ENV, readConfig } from '../lambda/config.ts';
import { parseInstrumentIds } from '../lambda/request.ts';
import { didYouMean } from '../lambda/suggest.ts';
import { ARN_KINDS, type ArnKind, arnParts, principalProblem } from './arns.ts';
import type { EgressSettings } from './egress.ts';
import { PROBE_ANSWERS, PROBE_DEFAULTS, type Probe } from './functions/probe.ts';

/** How a new function version takes traffic. CodeDeploy shifts it and rolls back on a failed check or alarm. */
export type ReleaseSettings =
  | { strategy: 'all-at-once' }
  | { strategy: 'canary' | 'linear'; percent: number; intervalMinutes: number };

/** How long two versions share the alias during a release: from the first shift to the last. */
export function shiftMinutes(release: ReleaseSettings): number {
  if (release.strategy === 'all-at-once') return 0;
  if (release.strategy === 'canary') return release.intervalMinutes;
  return (Math.ceil(100 / release.percent) - 1) * release.intervalMinutes;
}

/** Values the function reads from its environment (`lambda/config.ts` checks them; see the README). */
export interface CashfreeSettings {
  environment: 'sandbox' | 'production';
  apiVersion: string;
  baseUrl?: string;
  /** Lets `baseUrl` be a host other than Cashfree's, such as an egress proxy. */
  allowCustomHost?: boolean;
  credentialsTtlSeconds?: number;
  attemptTimeoutMs?: number;
  maxAttempts?: number;
  requestBudgetMs?: number;
  credentialsTimeoutMs?: number;
}

/** Where the heartbeat runs when the API is private: in the callers' VPC, calling through one of its endpoints. */
export interface HeartbeatVpc {
  subnetIds: readonly string[];
  securityGroupIds: readonly string[];
  /** The `execute-api` endpoint those subnets reach; one of `endpoint.vpcEndpointIds`. */
  vpcEndpointId: string;
}

export interface HeartbeatSettings {
  enabled: boolean;
  vpc?: HeartbeatVpc;
}

/** One deployable environment, as written in `infra/environments.ts`. */
export interface EnvironmentSettings {
  /** Account and region the stack may deploy to; every environment but `dev` must pin both. */
  account?: string;
  region?: string;
  /** Account ids and IAM role or user ARNs that may invoke; empty admits the deploying account only. */
  allowedPrincipals: readonly string[];
  cashfree: CashfreeSettings;
  /** Complete ARN of an existing secret; unset creates one for the operator to fill. */
  secretArn?: string;
  /** What encrypts the secret: the AWS-managed key, a key this stack creates, or an existing key. */
  kmsKey: 'aws-managed' | 'create' | { arn: string };
  /** `regional`, or private: reachable only through these `execute-api` interface endpoints. */
  endpoint: 'regional' | { vpcEndpointIds: readonly string[] };
  throttle: { rateLimit: number; burstLimit: number };
  reservedConcurrency: number | 'none';
  /** Warm instances kept on the live alias, scaled between min and max to hold the utilization target. */
  provisionedConcurrency?: { min: number; max: number; utilizationTarget: number };
  release: ReleaseSettings;
  /** SNS topic every alarm notifies; unset notifies nobody (the alarms still roll a release back). */
  alarmActionArn?: string;
  wafWebAclArn?: string;
  /** Sets the account-and-region-wide role API Gateway logs with; false when the account already has one. */
  createApiGatewayAccountRole: boolean;
  /**
   * The ids the pre-traffic check and the heartbeat ask for, and the status that counts as "authenticated and
   * routed" (404, or 400 where Cashfree answers an unknown customer so). Unset parts take `PROBE_DEFAULTS`.
   */
  probe?: Partial<Probe>;
  /** A call through the whole chain every minute, alarmed when it fails; unset: on in every environment but dev. */
  heartbeat?: HeartbeatSettings;
  /**
   * Fixed outgoing addresses for Cashfree's IP allow-list: the function in a VPC of its own, one NAT gateway and
   * Elastic IP per zone (README, "A fixed outgoing address for Cashfree"). Unset: the function has no VPC.
   */
  egress?: EgressSettings;
}

/** The settings the constructs use: checked, with the defaults filled in and the function's environment worked out. */
export interface Settings extends Omit<EnvironmentSettings, 'probe' | 'heartbeat'> {
  name: string;
  functionEnvironment: Record<string, string>;
  probe: Probe;
  heartbeat: HeartbeatSettings;
}

/** A bad setting: one message listing every problem, meant for a person, so it is printed without a stack. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

const ENVIRONMENT_KEYS = [
  'account',
  'region',
  'allowedPrincipals',
  'cashfree',
  'secretArn',
  'kmsKey',
  'endpoint',
  'throttle',
  'reservedConcurrency',
  'provisionedConcurrency',
  'release',
  'alarmActionArn',
  'wafWebAclArn',
  'createApiGatewayAccountRole',
  'probe',
  'heartbeat',
  'egress',
] as const satisfies ReadonlyArray<keyof EnvironmentSettings>;

// Each function variable and the setting it comes from, so the function's own checks name the setting.
const CASHFREE_ENV = {
  environment: ENV.environment,
  apiVersion: ENV.apiVersion,
  baseUrl: ENV.baseUrl,
  allowCustomHost: ENV.allowCustomHost,
  credentialsTtlSeconds: ENV.credentialsTtlSeconds,
  attemptTimeoutMs: ENV.attemptTimeoutMs,
  maxAttempts: ENV.maxAttempts,
  requestBudgetMs: ENV.requestBudgetMs,
  credentialsTimeoutMs: ENV.credentialsTimeoutMs,
} as const satisfies Record<keyof CashfreeSettings, string>;

/** Every key a person may write, for "did you mean" on a misspelt `-c` key as well. */
export const SETTING_KEYS: readonly string[] = [...ENVIRONMENT_KEYS, ...Object.keys(CASHFREE_ENV)];

type Problems = string[];
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(path: string, value: Json, known: readonly string[], problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.push(`${path}.${key} is not a setting${didYouMean(key, known)}`);
  }
}

function integer(path: string, value: unknown, min: number, max: number, problems: Problems): void {
  if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
    problems.push(`${path} must be a whole number from ${min} to ${max}`);
  }
}

function oneOf(path: string, value: unknown, allowed: readonly string[], problems: Problems): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    problems.push(
      `${path} must be one of ${allowed.join(', ')}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`,
    );
  }
}

function arn(path: string, value: unknown, kind: ArnKind, region: string | undefined, problems: Problems): void {
  const parts = typeof value === 'string' ? arnParts(kind, value) : undefined;
  if (parts === undefined) problems.push(`${path} must be ${kind.what}`);
  else if (region !== undefined && parts.region !== region) {
    problems.push(`${path} is in ${parts.region}, but the environment deploys to ${region}`);
  }
}

/**
 * Checks one environment's settings and works out the function's environment. Throws a `SettingsError` that
 * lists every problem at once, each naming the setting as written (`prod.release.percent`).
 */
export function readEnvironment(name: string, raw: unknown): Settings {
  const problems: Problems = [];
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    problems.push(`${name}: an environment name is 1 to 20 lower-case letters, digits and dashes`);
  }
  if (!isObject(raw)) throw new SettingsError(`Invalid settings: ${name} must be an object of settings`);
  const at = (key: string): string => `${name}.${key}`;
  unknownKeys(name, raw, ENVIRONMENT_KEYS, problems);
  for (const key of ENVIRONMENT_KEYS) {
    const optional = [
      'account',
      'region',
      'secretArn',
      'provisionedConcurrency',
      'alarmActionArn',
      'wafWebAclArn',
      'probe',
      'heartbeat',
      'egress',
    ];
    if (raw[key] === undefined && !optional.includes(key)) problems.push(`${at(key)} is required`);
  }

  const { account, region } = raw;
  if (account !== undefined && !(typeof account === 'string' && /^\d{12}$/.test(account))) {
    problems.push(`${at('account')} must be a 12-digit AWS account id`);
  }
  if (region !== undefined && !(typeof region === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region))) {
    problems.push(`${at('region')} must be an AWS region such as ap-south-1`);
  }
  const pinned = account !== undefined && region !== undefined;
  if ((account === undefined) !== (region === undefined)) {
    problems.push(`${name}: set account and region together`);
  } else if (!pinned && name !== 'dev') {
    // Otherwise the same settings would deploy wherever the operator's credentials happen to point.
    problems.push(`${name}: only dev may leave account and region unset; pin them`);
  }
  const pinnedRegion = typeof region === 'string' ? region : undefined;

  const principals = raw.allowedPrincipals;
  if (!Array.isArray(principals)) {
    if (principals !== undefined) problems.push(`${at('allowedPrincipals')} must be a list`);
  } else {
    principals.forEach((entry, index) => {
      const problem = typeof entry === 'string' ? principalProblem(entry) : 'must be a string';
      if (problem) problems.push(`${at('allowedPrincipals')}[${index}] ${String(entry)} ${problem}`);
    });
  }

  const functionEnvironment = cashfreeEnvironment(at('cashfree'), raw.cashfree, pinned, problems);

  if (raw.secretArn !== undefined) arn(at('secretArn'), raw.secretArn, ARN_KINDS.secret, pinnedRegion, problems);
  const { kmsKey } = raw;
  if (isObject(kmsKey)) {
    unknownKeys(at('kmsKey'), kmsKey, ['arn'], problems);
    arn(at('kmsKey.arn'), kmsKey.arn, ARN_KINDS.kmsKey, pinnedRegion, problems);
  } else if (kmsKey !== undefined) {
    oneOf(at('kmsKey'), kmsKey, ['aws-managed', 'create'], problems);
    if (kmsKey === 'create' && raw.secretArn !== undefined) {
      problems.push(`${at('kmsKey')}: create applies only to a secret this stack creates (secretArn is set)`);
    }
  }

  const { endpoint } = raw;
  if (isObject(endpoint)) {
    unknownKeys(at('endpoint'), endpoint, ['vpcEndpointIds'], problems);
    const ids = endpoint.vpcEndpointIds;
    if (!Array.isArray(ids) || ids.length === 0) {
      problems.push(`${at('endpoint.vpcEndpointIds')} must list at least one execute-api VPC endpoint id`);
    } else {
      for (const id of ids) {
        if (!(typeof id === 'string' && /^vpce-[0-9a-f]{8,17}$/.test(id))) {
          problems.push(`${at('endpoint.vpcEndpointIds')}: ${String(id)} is not a VPC endpoint id (vpce-...)`);
        }
      }
    }
  } else if (endpoint !== undefined) {
    oneOf(at('endpoint'), endpoint, ['regional'], problems);
  }

  const { throttle } = raw;
  if (isObject(throttle)) {
    unknownKeys(at('throttle'), throttle, ['rateLimit', 'burstLimit'], problems);
    integer(at('throttle.rateLimit'), throttle.rateLimit, 1, 10_000, problems);
    integer(at('throttle.burstLimit'), throttle.burstLimit, 1, 5_000, problems);
  } else if (throttle !== undefined) {
    problems.push(`${at('throttle')} must be { rateLimit, burstLimit }`);
  }

  const { reservedConcurrency } = raw;
  if (reservedConcurrency !== 'none' && reservedConcurrency !== undefined) {
    integer(at('reservedConcurrency'), reservedConcurrency, 1, 1_000, problems);
  }

  const provisioned = raw.provisionedConcurrency;
  if (isObject(provisioned)) {
    unknownKeys(at('provisionedConcurrency'), provisioned, ['min', 'max', 'utilizationTarget'], problems);
    integer(at('provisionedConcurrency.min'), provisioned.min, 1, 1_000, problems);
    integer(at('provisionedConcurrency.max'), provisioned.max, 1, 1_000, problems);
    const target = provisioned.utilizationTarget;
    if (!(typeof target === 'number' && target >= 0.1 && target <= 0.9)) {
      problems.push(`${at('provisionedConcurrency.utilizationTarget')} must be a fraction from 0.1 to 0.9`);
    }
    const { min, max } = provisioned as { min: number; max: number };
    if (max < min) problems.push(`${at('provisionedConcurrency.max')} must not be below min`);
    if (typeof reservedConcurrency === 'number' && max > reservedConcurrency) {
      problems.push(`${at('provisionedConcurrency.max')} must not exceed reservedConcurrency (${reservedConcurrency})`);
    }
  } else if (provisioned !== undefined) {
    problems.push(`${at('provisionedConcurrency')} must be { min, max, utilizationTarget } or left out`);
  }

  checkRelease(at('release'), raw.release, problems);

  if (raw.alarmActionArn !== undefined) {
    arn(at('alarmActionArn'), raw.alarmActionArn, ARN_KINDS.snsTopic, pinnedRegion, problems);
  }
  if (raw.wafWebAclArn !== undefined) {
    arn(at('wafWebAclArn'), raw.wafWebAclArn, ARN_KINDS.wafWebAcl, pinnedRegion, problems);
  }
  if (raw.createApiGatewayAccountRole !== undefined && typeof raw.createApiGatewayAccountRole !== 'boolean') {
    problems.push(`${at('createApiGatewayAccountRole')} must be true or false`);
  }

  const probe = readProbeSetting(at('probe'), raw.probe, problems);
  const vpcEndpointIds = isObject(endpoint) && Array.isArray(endpoint.vpcEndpointIds) ? endpoint.vpcEndpointIds : [];
  const heartbeat = readHeartbeat(at('heartbeat'), raw.heartbeat, name, vpcEndpointIds, problems);
  checkEgress(at('egress'), raw.egress, pinnedRegion, problems);

  if (problems.length > 0) {
    throw new SettingsError(`Invalid settings in infra/environments.ts:\n  - ${problems.join('\n  - ')}`);
  }
  return { ...(raw as unknown as EnvironmentSettings), name, functionEnvironment, probe, heartbeat };
}

function readProbeSetting(path: string, raw: unknown, problems: Problems): Probe {
  if (raw === undefined) return { ...PROBE_DEFAULTS };
  if (!isObject(raw)) {
    problems.push(`${path} must be { customerId, instrumentId, expected } or left out`);
    return { ...PROBE_DEFAULTS };
  }
  unknownKeys(path, raw, ['customerId', 'instrumentId', 'expected'], problems);
  const probe = { ...PROBE_DEFAULTS, ...raw } as Probe;
  const parameters = { customerId: 'customer_id', instrumentId: 'instrument_id' } as const;
  for (const [key, parameter] of Object.entries(parameters) as Array<[keyof typeof parameters, string]>) {
    const id = probe[key];
    if (typeof id !== 'string') {
      problems.push(`${path}.${key} must be a string`);
      continue;
    }
    try {
      // The function's own rule: an id it would refuse could never reach Cashfree.
      parseInstrumentIds({ customer_id: 'x', instrument_id: 'x', [parameter]: encodeURIComponent(id) });
    } catch (error) {
      problems.push(`${path}.${key}: ${error instanceof Error ? error.message : 'not a valid id'}`);
    }
  }
  if (!Object.hasOwn(PROBE_ANSWERS, String(probe.expected)) || typeof probe.expected !== 'number') {
    problems.push(
      `${path}.expected must be 404 (Cashfree's documented answer for an unknown card) or 400; ` +
        'never 401, 403, 5xx or 200, which would pass a refused key pair, a failing version or a real card',
    );
  }
  return probe;
}

function readHeartbeat(
  path: string,
  raw: unknown,
  environmentName: string,
  vpcEndpointIds: readonly unknown[],
  problems: Problems,
): HeartbeatSettings {
  const privateApi = vpcEndpointIds.length > 0;
  if (raw === undefined) {
    const enabled = environmentName !== 'dev';
    if (enabled && privateApi) problems.push(privateHeartbeatProblem(path));
    return { enabled };
  }
  if (!isObject(raw)) {
    problems.push(`${path} must be { enabled } or { enabled, vpc }`);
    return { enabled: false };
  }
  unknownKeys(path, raw, ['enabled', 'vpc'], problems);
  if (typeof raw.enabled !== 'boolean') problems.push(`${path}.enabled must be true or false`);
  const { vpc } = raw;
  if (vpc === undefined) {
    if (raw.enabled === true && privateApi) problems.push(privateHeartbeatProblem(path));
    return raw as unknown as HeartbeatSettings;
  }
  if (!privateApi) problems.push(`${path}.vpc applies only to a private API (endpoint.vpcEndpointIds)`);
  if (!isObject(vpc)) {
    problems.push(`${path}.vpc must be { subnetIds, securityGroupIds, vpcEndpointId }`);
    return raw as unknown as HeartbeatSettings;
  }
  unknownKeys(`${path}.vpc`, vpc, ['subnetIds', 'securityGroupIds', 'vpcEndpointId'], problems);
  idList(`${path}.vpc.subnetIds`, vpc.subnetIds, /^subnet-[0-9a-f]{8,17}$/, 'subnet id (subnet-...)', problems);
  idList(
    `${path}.vpc.securityGroupIds`,
    vpc.securityGroupIds,
    /^sg-[0-9a-f]{8,17}$/,
    'security group id (sg-...)',
    problems,
  );
  if (privateApi && !vpcEndpointIds.includes(vpc.vpcEndpointId)) {
    problems.push(`${path}.vpc.vpcEndpointId must be one of endpoint.vpcEndpointIds`);
  }
  return raw as unknown as HeartbeatSettings;
}

const privateHeartbeatProblem = (path: string): string =>
  `${path}.vpc is required for a private API: the heartbeat must call from where callers do, through the VPC ` +
  'endpoint ({ subnetIds, securityGroupIds, vpcEndpointId }), or set enabled: false';

function idList(path: string, value: unknown, pattern: RegExp, what: string, problems: Problems): void {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${path} must list at least one ${what}`);
    return;
  }
  for (const id of value) {
    if (!(typeof id === 'string' && pattern.test(id))) problems.push(`${path}: ${String(id)} is not a ${what}`);
  }
}

// One NAT gateway and Elastic IP per zone; three zones is what every region offers and what Cashfree's
// allow-list needs to hear about.
const MAX_EGRESS_ZONES = 3;

function checkEgress(path: string, egress: unknown, region: string | undefined, problems: Problems): void {
  if (egress === undefined) return;
  const shape = `${path} must be { availabilityZones: [names] } or { natGateways: 1 to ${MAX_EGRESS_ZONES} }`;
  if (!isObject(egress)) {
    problems.push(shape);
    return;
  }
  unknownKeys(path, egress, ['availabilityZones', 'natGateways'], problems);
  const { availabilityZones: zones, natGateways } = egress;
  if ((zones === undefined) === (natGateways === undefined)) {
    problems.push(`${shape}, one of the two`);
    return;
  }
  if (natGateways !== undefined) {
    integer(`${path}.natGateways`, natGateways, 1, MAX_EGRESS_ZONES, problems);
    return;
  }
  if (region === undefined) {
    problems.push(`${path}.availabilityZones needs a pinned region; an unpinned environment uses natGateways`);
    return;
  }
  if (!Array.isArray(zones) || zones.length === 0 || zones.length > MAX_EGRESS_ZONES) {
    problems.push(`${path}.availabilityZones must list 1 to ${MAX_EGRESS_ZONES} zone names`);
    return;
  }
  for (const zone of zones) {
    if (!(typeof zone === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/.test(zone))) {
      problems.push(`${path}.availabilityZones: ${String(zone)} is not a zone name such as ap-south-1a`);
    } else if (zone.slice(0, -1) !== region) {
      problems.push(`${path}.availabilityZones: ${zone} is not in ${region}, where the environment deploys`);
    }
  }
  if (new Set(zones).size !== zones.length) problems.push(`${path}.availabilityZones names a zone twice`);
}

function checkRelease(path: string, release: unknown, problems: Problems): void {
  if (release === undefined) return;
  if (!isObject(release)) {
    problems.push(`${path} must be { strategy: 'all-at-once' } or { strategy, percent, intervalMinutes }`);
    return;
  }
  oneOf(`${path}.strategy`, release.strategy, ['all-at-once', 'canary', 'linear'], problems);
  if (release.strategy === 'all-at-once') {
    unknownKeys(path, release, ['strategy'], problems);
    return;
  }
  unknownKeys(path, release, ['strategy', 'percent', 'intervalMinutes'], problems);
  // Linear needs at least two steps; a canary of 100% would be all-at-once under another name.
  integer(`${path}.percent`, release.percent, 1, release.strategy === 'linear' ? 50 : 99, problems);
  integer(`${path}.intervalMinutes`, release.intervalMinutes, 1, 60, problems);
}

function cashfreeEnvironment(path: string, raw: unknown, pinned: boolean, problems: Problems): Record<string, string> {
  if (!isObject(raw)) {
    if (raw !== undefined) problems.push(`${path} must be an object`);
    return {};
  }
  const keys = Object.keys(CASHFREE_ENV) as Array<keyof CashfreeSettings>;
  unknownKeys(path, raw, keys, problems);
  if (raw.environment === 'production' && !pinned) {
    problems.push(`${path}.environment: production needs a pinned account and region`);
  }
  const environment: Record<string, string> = {};
  for (const key of keys) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      problems.push(`${path}.${key} must be a string, number or boolean`);
      continue;
    }
    environment[CASHFREE_ENV[key]] = String(value);
  }
  try {
    // The function's own reader: whatever it would reject at cold start fails the synth instead.
    readConfig({ ...environment, [ENV.secretId]: 'checked-at-synth' });
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^Invalid configuration: /, '') : String(error);
    for (const problem of message.split('; ')) {
      problems.push(keys.reduce((text, key) => text.replaceAll(CASHFREE_ENV[key], `${path}.${key}`), problem));
    }
  }
  // The function accepts plain http on loopback for the local simulator; deployed, that would send the key pair
  // unencrypted to whatever listens inside the execution environment.
  const baseUrl = environment[ENV.baseUrl];
  if (baseUrl?.startsWith('http:') && !problems.some((problem) => problem.startsWith(`${path}.baseUrl`))) {
    problems.push(`${path}.baseUrl must use https`);
  }
  return environment;
}
