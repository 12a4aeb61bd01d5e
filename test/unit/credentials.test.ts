import { inspect } from 'node:util';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CredentialsProvider, createCredentialsProvider } from '../../lambda/credentials.ts';
import { CredentialsInvalidError, CredentialsUnavailableError } from '../../lambda/errors.ts';

const SECRET_ID = 'cryptogram-service/cashfree';
const TTL_SECONDS = 300;
const CLIENT_SECRET = 'cfsk_ma_test_LEAKCHECK_5e1f0c9a7b';
const ROTATED_SECRET = 'cfsk_ma_test_ROTATED_0a1b2c3d4e';

const secretString = (clientId: string, clientSecret: string) =>
  JSON.stringify({ client_id: clientId, client_secret: clientSecret });

const serviceException = (name: string, fault: 'client' | 'server' = 'client') =>
  new SecretsManagerServiceException({ name, $fault: fault, $metadata: { httpStatusCode: 400 }, message: name });

/** A promise the test settles by hand, to hold a Secrets Manager read in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the promise resolved');
}

describe('createCredentialsProvider', () => {
  const client = new SecretsManagerClient({ region: 'ap-south-1' });
  const secretsManager = mockClient(client);
  let provider: CredentialsProvider;
  const reads = () => secretsManager.commandCalls(GetSecretValueCommand).length;

  beforeEach(() => {
    // Before the provider exists, so its clock is the fake one.
    vi.useFakeTimers();
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_1', CLIENT_SECRET) });
    provider = createCredentialsProvider({ client, secretId: SECRET_ID, ttlSeconds: TTL_SECONDS });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the configured secret and returns its client id and secret', async () => {
    // Act
    const credentials = await provider.get();

    // Assess
    expect(credentials).toEqual({ clientId: 'TEST_APP_1', clientSecret: CLIENT_SECRET });
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ID });
  });

  it('abandons the Secrets Manager read at the caller deadline', async () => {
    // Prepare
    const deadlineAtMs = Date.now() + 2_000;

    // Act
    await provider.get(deadlineAtMs);

    // Assess
    const [call] = secretsManager.commandCalls(GetSecretValueCommand);
    // The SDK's typings omit the options argument that `send` accepts.
    const { abortSignal } = ((call?.args as unknown[] | undefined)?.[1] ?? {}) as { abortSignal?: AbortSignal };
    expect(abortSignal).toBeInstanceOf(AbortSignal);
    expect(abortSignal?.aborted).toBe(false);
    await vi.waitFor(() => expect(abortSignal?.aborted).toBe(true), { timeout: 3_000, interval: 50 });
  });

  it('abandons a read at its own timeout when that comes before the caller deadline', async () => {
    // Prepare
    provider = createCredentialsProvider({ client, secretId: SECRET_ID, ttlSeconds: TTL_SECONDS, readTimeoutMs: 500 });

    // Act
    await provider.get(Date.now() + 60_000);

    // Assess
    const [call] = secretsManager.commandCalls(GetSecretValueCommand);
    const { abortSignal } = ((call?.args as unknown[] | undefined)?.[1] ?? {}) as { abortSignal?: AbortSignal };
    await vi.waitFor(() => expect(abortSignal?.aborted).toBe(true), { timeout: 2_000, interval: 50 });
  });

  it('bounds a read by its own timeout even without a caller deadline, as at init', async () => {
    // Prepare
    provider = createCredentialsProvider({ client, secretId: SECRET_ID, ttlSeconds: TTL_SECONDS, readTimeoutMs: 500 });

    // Act
    await provider.get();

    // Assess
    const [call] = secretsManager.commandCalls(GetSecretValueCommand);
    const { abortSignal } = ((call?.args as unknown[] | undefined)?.[1] ?? {}) as { abortSignal?: AbortSignal };
    expect(abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('makes a read without a deadline when none is given', async () => {
    // Act
    await provider.get();

    // Assess
    const [call] = secretsManager.commandCalls(GetSecretValueCommand);
    expect((call?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: undefined });
  });

  it('makes no Secrets Manager call on a warm read', async () => {
    // Prepare
    const first = await provider.get();

    // Act
    vi.advanceTimersByTime(TTL_SECONDS * 1000 - 1);
    const second = await provider.get();

    // Assess
    expect(second).toBe(first);
    expect(reads()).toBe(1);
  });

  it('reads the secret exactly once more after ttlSeconds have passed', async () => {
    // Prepare
    await provider.get();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_2', ROTATED_SECRET) });

    // Act
    vi.advanceTimersByTime(TTL_SECONDS * 1000);
    const [a, b, c] = await Promise.all([provider.get(), provider.get(), provider.get()]);
    const afterwards = await provider.get();

    // Assess
    expect(reads()).toBe(2);
    expect(a).toEqual({ clientId: 'TEST_APP_2', clientSecret: ROTATED_SECRET });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(afterwards).toBe(a);
  });

  it('shares one read between concurrent first calls', async () => {
    // Prepare
    const pending = deferred<{ SecretString: string }>();
    secretsManager.on(GetSecretValueCommand).callsFake(() => pending.promise);

    // Act
    const calls = [provider.get(), provider.get(), provider.get(), provider.get()];
    pending.resolve({ SecretString: secretString('TEST_APP_1', CLIENT_SECRET) });
    const results = await Promise.all(calls);

    // Assess
    expect(reads()).toBe(1);
    for (const result of results) expect(result).toBe(results[0]);
  });

  it('re-reads the secret once, shared by concurrent refreshers, when Cashfree refused the cached credentials', async () => {
    // Prepare
    const rejected = await provider.get();
    const pending = deferred<{ SecretString: string }>();
    secretsManager.on(GetSecretValueCommand).callsFake(() => pending.promise);

    // Act
    const refreshes = [provider.refresh(rejected), provider.refresh(rejected), provider.refresh(rejected)];
    pending.resolve({ SecretString: secretString('TEST_APP_2', ROTATED_SECRET) });
    const results = await Promise.all(refreshes);

    // Assess
    expect(reads()).toBe(2);
    expect(results[0]).toEqual({ clientId: 'TEST_APP_2', clientSecret: ROTATED_SECRET });
    for (const result of results) expect(result).toBe(results[0]);
  });

  it('bypasses a fresh cache on refresh and serves the new credentials to later reads', async () => {
    // Prepare
    const rejected = await provider.get();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_2', ROTATED_SECRET) });

    // Act
    const refreshed = await provider.refresh(rejected);
    const next = await provider.get();

    // Assess
    expect(reads()).toBe(2);
    expect(refreshed.clientSecret).toBe(ROTATED_SECRET);
    expect(next).toBe(refreshed);
  });

  it('makes no read when the refused credentials were already replaced', async () => {
    // Prepare
    const rejected = await provider.get();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_2', ROTATED_SECRET) });
    const replacement = await provider.refresh(rejected);

    // Act
    const late = await provider.refresh(rejected);

    // Assess
    expect(late).toBe(replacement);
    expect(reads()).toBe(2);
  });

  it('does not cache a failure: the next call reads again', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(serviceException('ThrottlingException'))
      .resolves({ SecretString: secretString('TEST_APP_1', CLIENT_SECRET) });
    const failure = await rejection(provider.get());

    // Act
    const credentials = await provider.get();

    // Assess
    expect(failure).toBeInstanceOf(CredentialsUnavailableError);
    expect(credentials.clientSecret).toBe(CLIENT_SECRET);
    expect(reads()).toBe(2);
  });

  it('does not keep refused credentials when the forced re-read fails', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretString('TEST_APP_1', CLIENT_SECRET) })
      .rejectsOnce(new InternalServiceError({ message: 'boom', $metadata: {} }))
      .resolves({ SecretString: secretString('TEST_APP_2', ROTATED_SECRET) });
    const rejected = await provider.get();
    const failure = await rejection(provider.refresh(rejected));

    // Act
    const next = await provider.get();

    // Assess
    expect(failure).toBeInstanceOf(CredentialsUnavailableError);
    expect(next.clientSecret).toBe(ROTATED_SECRET);
    expect(reads()).toBe(3);
  });

  it('reads again after clear()', async () => {
    // Prepare
    await provider.get();

    // Act
    provider.clear();
    await provider.get();

    // Assess
    expect(reads()).toBe(2);
  });

  it.each([
    ['ThrottlingException', () => serviceException('ThrottlingException')],
    ['InternalServiceError', () => new InternalServiceError({ message: 'internal', $metadata: {} })],
    [
      'a refused connection',
      () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
    ],
    ['a reset connection', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a timeout', () => Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' })],
    ['an abort', () => Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
    ['a thrown non-error', () => 'unexpected'],
  ])('answers 503 CredentialsUnavailableError on %s', async (_case, failure) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(failure() as Error);

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect((error as CredentialsUnavailableError).statusCode).toBe(503);
  });

  it.each([
    ['ResourceNotFoundException', () => new ResourceNotFoundException({ message: 'not found', $metadata: {} })],
    ['AccessDeniedException', () => serviceException('AccessDeniedException')],
    ['DecryptionFailure', () => new DecryptionFailure({ message: 'kms', $metadata: {} })],
    ['InvalidRequestException', () => new InvalidRequestException({ message: 'deleted', $metadata: {} })],
  ])('answers 500 CredentialsInvalidError on %s', async (_case, failure) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(failure());

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsInvalidError);
    expect((error as CredentialsInvalidError).statusCode).toBe(500);
  });

  it.each([
    ['not JSON', `client_id=TEST_APP_1&client_secret=${CLIENT_SECRET}`],
    ['JSON but not an object', JSON.stringify(CLIENT_SECRET)],
    ['JSON null', 'null'],
    ['missing client_id', JSON.stringify({ client_secret: CLIENT_SECRET })],
    ['missing client_secret', JSON.stringify({ client_id: CLIENT_SECRET })],
    ['an empty client_id', secretString('', CLIENT_SECRET)],
    ['an empty client_secret', JSON.stringify({ client_id: 'TEST_APP_1', client_secret: '', note: CLIENT_SECRET })],
    ['a numeric client_id', JSON.stringify({ client_id: 42, client_secret: CLIENT_SECRET })],
    ['an object client_secret', JSON.stringify({ client_id: 'TEST_APP_1', client_secret: { value: CLIENT_SECRET } })],
  ])('answers 500 without quoting the secret when the secret is %s', async (_case, secret) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secret });

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsInvalidError);
    expect((error as CredentialsInvalidError).statusCode).toBe(500);
    expect(everythingIn(error)).not.toContain(CLIENT_SECRET);
  });

  it.each([
    ['a trailing newline on the secret', 'TEST_APP_1', `${CLIENT_SECRET}\n`],
    ['a trailing CR LF on the secret', 'TEST_APP_1', `${CLIENT_SECRET}\r\n`],
    ['a trailing space on the client id', 'TEST_APP_1 ', CLIENT_SECRET],
    ['tabs and spaces around both', '\t TEST_APP_1', ` \t${CLIENT_SECRET}\t \n`],
  ])('trims %s, so a pasted key keeps working', async (_case, clientId, clientSecret) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString(clientId, clientSecret) });

    // Act
    const credentials = await provider.get();

    // Assess
    expect(credentials).toEqual({ clientId: 'TEST_APP_1', clientSecret: CLIENT_SECRET });
  });

  it.each([
    ['a secret with a line break inside', 'TEST_APP_1', `${CLIENT_SECRET}\r\nx-injected: 1`],
    ['a secret with a space inside', 'TEST_APP_1', `cfsk_ma_test ${CLIENT_SECRET}`],
    ['a secret with a NUL', 'TEST_APP_1', `${CLIENT_SECRET}\u0000`],
    ['a secret with DEL', 'TEST_APP_1', `${CLIENT_SECRET}\u007f`],
    ['a secret with a non-ASCII letter', 'TEST_APP_1', `${CLIENT_SECRET}\u00e9`],
    ['a secret beyond Latin-1', 'TEST_APP_1', `${CLIENT_SECRET}\u20ac`],
    ['a secret ending in a no-break space', 'TEST_APP_1', `${CLIENT_SECRET}\u00a0`],
    ['a client id with a vertical tab', 'TEST\u000bAPP_1', CLIENT_SECRET],
    ['a secret of 257 characters', 'TEST_APP_1', `${CLIENT_SECRET}${'x'.repeat(257 - CLIENT_SECRET.length)}`],
  ])('answers 500 SecretValueNotHeaderSafe for %s, without quoting it', async (_case, clientId, clientSecret) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString(clientId, clientSecret) });

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsInvalidError);
    expect((error as CredentialsInvalidError).cause).toBe('SecretValueNotHeaderSafe');
    expect(everythingIn(error)).not.toContain(CLIENT_SECRET);
  });

  it('accepts a secret of 256 visible characters, the longest a header here may carry', async () => {
    // Prepare
    const longest = '!~'.repeat(128);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_1', longest) });

    // Act
    const credentials = await provider.get();

    // Assess
    expect(credentials.clientSecret).toBe(longest);
  });

  it('answers 500 SecretShapeInvalid for a value that is only whitespace', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString('TEST_APP_1', ' \r\n') });

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect((error as CredentialsInvalidError).cause).toBe('SecretShapeInvalid');
  });

  it('answers 500 when the secret has no SecretString (binary only)', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode('{}') });

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsInvalidError);
  });

  it('keeps an SDK error that quotes the response out of the thrown error', async () => {
    // Prepare: a deserialisation failure carries the raw response, secret included
    const sdkError = Object.assign(new Error(`Unexpected response: {"SecretString":"${CLIENT_SECRET}"}`), {
      $response: { body: `{"SecretString":"${CLIENT_SECRET}"}` },
    });
    secretsManager.on(GetSecretValueCommand).rejects(sdkError);

    // Act
    const error = await rejection(provider.get());

    // Assess
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(everythingIn(error)).not.toContain(CLIENT_SECRET);
  });
});

/** The message, cause, stack and full inspection of a thrown value, as any logger could render it. */
function everythingIn(error: unknown): string {
  const { message, cause, stack } = error as Error;
  return [message, String(cause), stack, inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)].join(
    '\n',
  );
}
