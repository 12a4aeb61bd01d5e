import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { CredentialsInvalidError, CredentialsUnavailableError } from './errors.ts';

export interface CashfreeCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface CredentialsProvider {
  /**
   * Cached credentials, read from Secrets Manager when the cache is empty or expired; a read is abandoned at
   * `deadlineAtMs`.
   */
  get(deadlineAtMs?: number): Promise<CashfreeCredentials>;
  /**
   * Fresh credentials after Cashfree refused `rejected`. Callers that were refused the same credentials share
   * one read; a caller whose credentials were already replaced gets the replacement without a read.
   */
  refresh(rejected: CashfreeCredentials, deadlineAtMs?: number): Promise<CashfreeCredentials>;
  /** Forgets the cached value; for tests. */
  clear(): void;
}

export interface CredentialsProviderOptions {
  client: Pick<SecretsManagerClient, 'send'>;
  secretId: string;
  ttlSeconds: number;
  /** Longest one read may take, whatever the caller's deadline: a hanging Secrets Manager must not eat the budget. */
  readTimeoutMs?: number;
  now?: () => number;
}

// Only space, tab, CR and LF, not every Unicode space: a no-break space is not a paste slip and stays refused.
const SURROUNDING_WHITESPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

// Cashfree never issues keys with surrounding whitespace, and a trailing newline is what pasting a key usually
// adds: trimmed, so a rotation done that way keeps working instead of failing every call.
const credentialValue = v.pipe(
  v.string(),
  v.transform((value) => value.replace(SURROUNDING_WHITESPACE, '')),
  v.nonEmpty(),
);

const secretSchema = v.object({ client_id: credentialValue, client_secret: credentialValue });

/** What can go into an HTTP header as it is: visible ASCII, no space, no control character, a sane length. */
const HEADER_SAFE = /^[\x21-\x7e]{1,256}$/;

// Errors that no retry can cure: the secret is absent, unreadable by this role, or being deleted.
const PERMANENT_SECRET_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidRequestException',
  'InvalidParameterException',
  'DecryptionFailure',
]);

export function createCredentialsProvider(options: CredentialsProviderOptions): CredentialsProvider {
  const { client, secretId, ttlSeconds, readTimeoutMs = Number.POSITIVE_INFINITY, now = Date.now } = options;
  let cached: { value: CashfreeCredentials; expiresAtMs: number } | undefined;
  let inFlight: { promise: Promise<CashfreeCredentials>; signal: AbortSignal | undefined } | undefined;

  // Only successes are stored: a failed read leaves the cache as it was, so the next call tries again.
  const load = (deadlineAtMs?: number): Promise<CashfreeCredentials> => {
    // A read whose bound has passed is failing, not pending (its rejection may still be on its way): a caller
    // must not join it, or an init read that timed out would answer the first invocation with its failure.
    if (inFlight && !inFlight.signal?.aborted) return inFlight.promise;
    // Made only when a read starts, so a warm call allocates no timer.
    const boundMs = Math.min(
      readTimeoutMs,
      deadlineAtMs === undefined ? Number.POSITIVE_INFINITY : deadlineAtMs - now(),
    );
    const signal = Number.isFinite(boundMs) ? AbortSignal.timeout(Math.max(0, boundMs)) : undefined;
    const entry = {
      signal,
      promise: readSecret(client, secretId, signal)
        .then((value) => {
          cached = { value, expiresAtMs: now() + ttlSeconds * 1000 };
          return value;
        })
        .finally(() => {
          if (inFlight === entry) inFlight = undefined;
        }),
    };
    inFlight = entry;
    return entry.promise;
  };

  return {
    get(deadlineAtMs) {
      if (cached !== undefined && now() < cached.expiresAtMs) return Promise.resolve(cached.value);
      return load(deadlineAtMs);
    },
    refresh(rejected, deadlineAtMs) {
      if (cached !== undefined && cached.value !== rejected) return Promise.resolve(cached.value);
      cached = undefined;
      return load(deadlineAtMs);
    },
    clear() {
      cached = undefined;
    },
  };
}

async function readSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
  signal: AbortSignal | undefined,
): Promise<CashfreeCredentials> {
  let secretString: string | undefined;
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: signal });
    secretString = output.SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw PERMANENT_SECRET_ERRORS.has(name)
      ? new CredentialsInvalidError(name)
      : new CredentialsUnavailableError(name || 'UnknownError');
  }
  // Neither the parse error nor the schema issues are kept: both quote the secret's text.
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    throw new CredentialsInvalidError('SecretNotJson');
  }
  const result = v.safeParse(secretSchema, parsed);
  if (!result.success) throw new CredentialsInvalidError('SecretShapeInvalid');
  const { client_id: clientId, client_secret: clientSecret } = result.output;
  // Refused here, as the secret's fault, rather than by Node's header check on every call, which would look like
  // a Cashfree outage on the dashboard and the release alarms.
  if (!HEADER_SAFE.test(clientId) || !HEADER_SAFE.test(clientSecret)) {
    throw new CredentialsInvalidError('SecretValueNotHeaderSafe');
  }
  return { clientId, clientSecret };
}
