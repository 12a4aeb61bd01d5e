import { didYouMean } from './suggest.ts';

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
  requestBudgetMs: 'REQUEST_BUDGET_MS',
  credentialsTimeoutMs: 'CREDENTIALS_TIMEOUT_MS',
  allowCustomHost: 'CASHFREE_ALLOW_CUSTOM_HOST',
} as const;

export const CASHFREE_BASE_URLS = {
  sandbox: 'https://sandbox.cashfree.com/pg',
  production: 'https://api.cashfree.com/pg',
} as const;

export type CashfreeEnvironment = keyof typeof CASHFREE_BASE_URLS;

/** The only hosts that may receive the key pair outside loopback, unless `CASHFREE_ALLOW_CUSTOM_HOST=true`. */
export const CASHFREE_HOSTS: ReadonlySet<string> = new Set(
  Object.values(CASHFREE_BASE_URLS).map((url) => new URL(url).hostname),
);

export const DEFAULTS = {
  environment: 'sandbox',
  apiVersion: '2022-09-01',
  // Minutes, not seconds: a warm function must not call Secrets Manager per request, yet a rotated secret
  // must reach every execution environment well within a rotation window.
  credentialsTtlSeconds: 300,
  // Two attempts that both time out, with the pause between them, still fit in the default request budget;
  // at 4000 a timed-out attempt left no room for a second one.
  attemptTimeoutMs: 2000,
  maxAttempts: 3,
  // A payment flow's own timeout is a few seconds: it needs an answer it can act on before then.
  requestBudgetMs: 5000,
  credentialsTimeoutMs: 2000,
} as const;

export interface Config {
  secretId: string;
  /** Canonical form, `origin + path` without a trailing slash; the exact value that was checked. */
  cashfreeBaseUrl: string;
  apiVersion: string;
  credentialsTtlSeconds: number;
  attemptTimeoutMs: number;
  maxAttempts: number;
  /** Longest any invocation takes to answer, whatever the function timeout. */
  requestBudgetMs: number;
  /** Longest one Secrets Manager read may take, at init or in a request. */
  credentialsTimeoutMs: number;
}

/** One refused variable: `problem` reads on from the variable's name (`must be one of sandbox, production`). */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** Every refused variable, in the order the message names them, so no reader has to parse the message. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid configuration: ${problems.map(({ variable, problem }) => `${variable} ${problem}`).join('; ')}`);
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Reads and checks the whole configuration once. Throws a `ConfigError` naming every bad variable, so a
 * misconfigured deployment fails at init with one readable message instead of on the first request.
 */
export function readConfig(env: Env): Config {
  const problems: ConfigProblem[] = [];
  const refuse = (variable: string, problem: string) => problems.push({ variable, problem });
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number =>
    wholeNumber(name, value(name), { fallback, min, max }, problems);

  const secretId = value(ENV.secretId);
  if (secretId === undefined) refuse(ENV.secretId, 'is required');

  const environment = value(ENV.environment) ?? DEFAULTS.environment;
  // hasOwn, not `in` or a plain lookup: 'constructor' or '__proto__' must be refused, not resolved.
  const knownEnvironment = Object.hasOwn(CASHFREE_BASE_URLS, environment);
  if (!knownEnvironment) {
    const known = Object.keys(CASHFREE_BASE_URLS);
    refuse(ENV.environment, `must be one of ${known.join(', ')}${didYouMean(environment, known)}`);
  }

  const allowCustomHostRaw = value(ENV.allowCustomHost);
  if (allowCustomHostRaw !== undefined && allowCustomHostRaw !== 'true' && allowCustomHostRaw !== 'false') {
    refuse(ENV.allowCustomHost, `must be true or false${didYouMean(allowCustomHostRaw, ['true', 'false'])}`);
  }
  const rawBaseUrl =
    value(ENV.baseUrl) ??
    (knownEnvironment ? CASHFREE_BASE_URLS[environment as CashfreeEnvironment] : CASHFREE_BASE_URLS.sandbox);
  const baseUrl = checkBaseUrl(rawBaseUrl, allowCustomHostRaw === 'true');
  if (typeof baseUrl !== 'string') refuse(ENV.baseUrl, baseUrl.problem);
  else if (knownEnvironment) {
    // Production keys sent to the sandbox (or the reverse) fail every call with a 401 that looks like a
    // rotation problem. A proxy or loopback host cannot be told apart, so only Cashfree's own hosts are compared.
    const hostEnvironment = environmentOfHost(new URL(baseUrl).hostname);
    if (hostEnvironment !== undefined && hostEnvironment !== environment) {
      refuse(ENV.baseUrl, `is Cashfree's ${hostEnvironment} host while ${ENV.environment} is ${environment}`);
    }
  }

  const apiVersion = value(ENV.apiVersion) ?? DEFAULTS.apiVersion;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(apiVersion)) refuse(ENV.apiVersion, 'must look like YYYY-MM-DD');

  const problemsBeforeTimes = problems.length;
  const requestBudgetMs = integer(ENV.requestBudgetMs, DEFAULTS.requestBudgetMs, 500, 30_000);
  const credentialsTimeoutMs = integer(ENV.credentialsTimeoutMs, DEFAULTS.credentialsTimeoutMs, 100, 30_000);
  // Compared only when both are valid, so one bad value is not reported twice.
  if (problems.length === problemsBeforeTimes && credentialsTimeoutMs > requestBudgetMs) {
    refuse(ENV.credentialsTimeoutMs, `must not exceed ${ENV.requestBudgetMs}`);
  }

  const config: Config = {
    secretId: secretId ?? '',
    cashfreeBaseUrl: typeof baseUrl === 'string' ? baseUrl : '',
    apiVersion,
    credentialsTtlSeconds: integer(ENV.credentialsTtlSeconds, DEFAULTS.credentialsTtlSeconds, 30, 3600),
    attemptTimeoutMs: integer(ENV.attemptTimeoutMs, DEFAULTS.attemptTimeoutMs, 100, 30_000),
    maxAttempts: integer(ENV.maxAttempts, DEFAULTS.maxAttempts, 1, 5),
    requestBudgetMs,
    credentialsTimeoutMs,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A whole number within bounds, or `fallback` when unset; a bad value is added to `problems` by name. */
function wholeNumber(
  variable: string,
  raw: string | undefined,
  bounds: { fallback: number; min: number; max: number },
  problems: ConfigProblem[],
): number {
  if (raw === undefined) return bounds.fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= bounds.min && parsed <= bounds.max)) {
    problems.push({ variable, problem: `must be a whole number from ${bounds.min} to ${bounds.max}` });
  }
  return parsed;
}

/** Which Cashfree environment `host` serves, when it is one of Cashfree's own hosts. */
function environmentOfHost(host: string): CashfreeEnvironment | undefined {
  return (Object.keys(CASHFREE_BASE_URLS) as CashfreeEnvironment[]).find(
    (environment) => new URL(CASHFREE_BASE_URLS[environment]).hostname === host,
  );
}

/**
 * The base URL in canonical form (`origin + path`, no trailing slash), or why it is refused. The raw text is
 * checked as well as the parsed URL: the parser silently drops an empty query (`...pg?`), an empty fragment and
 * empty user info (`https://@host`), which would otherwise pass as a clean URL that is not what was configured.
 */
function checkBaseUrl(raw: string, allowCustomHost: boolean): string | { problem: string } {
  if (/[?#@\\\s]/.test(raw) || [...raw].some((ch) => ch < ' ' || ch === '\u007f')) {
    return { problem: 'must not carry a query, fragment, user info, backslash or whitespace' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'must be an absolute URL' };
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  // Plain http would send the client secret in clear text; only a simulator on this machine may use it.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { problem: 'must use https (plain http only for a loopback host)' };
  }
  // A typo must not send the production key pair to someone else's host.
  if (!loopback && !allowCustomHost && !(CASHFREE_HOSTS.has(url.hostname) && url.port === '')) {
    return {
      problem: `must be on ${[...CASHFREE_HOSTS].join(' or ')} (set ${ENV.allowCustomHost}=true for an egress proxy)`,
    };
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
