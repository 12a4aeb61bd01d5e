/**
 * Names of every environment variable the function reads. `infra/` imports this object so the stack and the
 * code cannot drift apart.
 */
export const ENV = {
  secretId: 'CASHFREE_SECRET_ID',
  environment: 'CASHFREE_ENVIRONMENT',
  baseUrl: 'CASHFREE_BASE_URL',
  apiVersion: 'CASHFREE_API_VERSION',
  credentialsTtlSeconds: 'CREDENTIALS_TTL_SECONDS',
  attemptTimeoutMs: 'CASHFREE_ATTEMPT_TIMEOUT_MS',
  maxAttempts: 'CASHFREE_MAX_ATTEMPTS',
} as const;

export const CASHFREE_BASE_URLS = {
  sandbox: 'https://sandbox.cashfree.com/pg',
  production: 'https://api.cashfree.com/pg',
} as const;

export type CashfreeEnvironment = keyof typeof CASHFREE_BASE_URLS;

export const DEFAULTS = {
  environment: 'sandbox',
  apiVersion: '2022-09-01',
  // Minutes, not seconds: a warm function must not call Secrets Manager per request, yet a rotated secret
  // must reach every execution environment well within a rotation window.
  credentialsTtlSeconds: 300,
  attemptTimeoutMs: 4000,
  maxAttempts: 3,
} as const;

export interface Config {
  secretId: string;
  cashfreeBaseUrl: string;
  apiVersion: string;
  credentialsTtlSeconds: number;
  attemptTimeoutMs: number;
  maxAttempts: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Reads and checks the whole configuration once. Throws a `ConfigError` naming every bad variable, so a
 * misconfigured deployment fails at init with one readable message instead of on the first request.
 */
export function readConfig(env: Env): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number =>
    wholeNumber(name, value(name), { fallback, min, max }, problems);

  const secretId = value(ENV.secretId);
  if (secretId === undefined) problems.push(`${ENV.secretId} is required`);

  const environment = value(ENV.environment) ?? DEFAULTS.environment;
  // hasOwn, not `in` or a plain lookup: 'constructor' or '__proto__' must be refused, not resolved.
  const knownEnvironment = Object.hasOwn(CASHFREE_BASE_URLS, environment);
  if (!knownEnvironment) {
    problems.push(`${ENV.environment} must be one of ${Object.keys(CASHFREE_BASE_URLS).join(', ')}`);
  }

  const cashfreeBaseUrl =
    value(ENV.baseUrl) ??
    (knownEnvironment ? CASHFREE_BASE_URLS[environment as CashfreeEnvironment] : CASHFREE_BASE_URLS.sandbox);
  const baseUrlProblem = checkBaseUrl(cashfreeBaseUrl);
  if (baseUrlProblem) problems.push(`${ENV.baseUrl} ${baseUrlProblem}`);

  const apiVersion = value(ENV.apiVersion) ?? DEFAULTS.apiVersion;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(apiVersion)) problems.push(`${ENV.apiVersion} must look like YYYY-MM-DD`);

  const config: Config = {
    secretId: secretId ?? '',
    cashfreeBaseUrl: cashfreeBaseUrl.replace(/\/+$/, ''),
    apiVersion,
    credentialsTtlSeconds: integer(ENV.credentialsTtlSeconds, DEFAULTS.credentialsTtlSeconds, 30, 3600),
    attemptTimeoutMs: integer(ENV.attemptTimeoutMs, DEFAULTS.attemptTimeoutMs, 100, 30_000),
    maxAttempts: integer(ENV.maxAttempts, DEFAULTS.maxAttempts, 1, 5),
  };

  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return config;
}

/**
 * A whole number within bounds, or `fallback` when unset; a bad value is added to `problems` by name. Shared
 * with `infra/`, which reads its context values the same way.
 */
export function wholeNumber(
  name: string,
  raw: string | undefined,
  bounds: { fallback: number; min: number; max: number },
  problems: string[],
): number {
  if (raw === undefined) return bounds.fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= bounds.min && parsed <= bounds.max)) {
    problems.push(`${name} must be a whole number from ${bounds.min} to ${bounds.max}`);
  }
  return parsed;
}

function checkBaseUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'must not carry a query, fragment or user info';
  }
  if (url.protocol === 'https:') return undefined;
  // Plain http would send the client secret in clear text; only a simulator on this machine may use it.
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (plain http only for a loopback host)';
}
