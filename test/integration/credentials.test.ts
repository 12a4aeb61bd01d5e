import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LOCAL_SECRET_ID } from '../../local/embedded.ts';
import { invoke, logLines, setUp } from '../support/handler-harness.ts';
import { startTestServer } from '../support/test-server.ts';

const ctx = await setUp();
const { upstreams } = ctx;
const reads = () => upstreams.secretsManager.reads;

describe('credential caching', () => {
  it('reads the secret during init, so the first invocation does not wait for it', async () => {
    const readsBefore = reads();
    const handler = await ctx.loadHandler();
    const readsAtInit = reads() - readsBefore;

    const { response } = await invoke(handler);

    expect(readsAtInit).toBe(1);
    expect(response.statusCode).toBe(200);
    expect(reads() - readsBefore).toBe(1);
  });

  it('reads the secret once for many warm invocations', async () => {
    const readsBefore = reads();
    const handler = await ctx.loadHandler();

    for (let i = 0; i < 20; i++) expect((await invoke(handler)).response.statusCode).toBe(200);

    expect(reads() - readsBefore).toBe(1);
  });

  it('shares one secret read among concurrent first invocations after a failed init read', async () => {
    upstreams.secretsManager.setMode('throttled');
    const handler = await ctx.loadHandler();
    upstreams.secretsManager.setMode('ok');
    const readsBefore = reads();

    const results = await Promise.all(Array.from({ length: 10 }, () => invoke(handler)));

    expect(results.map((r) => r.response.statusCode)).toEqual(Array(10).fill(200));
    expect(reads() - readsBefore).toBe(1);
  });
});

describe('init', () => {
  it.each([
    ['throttled', 'throttling'],
    ['hang', 'never answering'],
  ] as const)(
    'survives Secrets Manager %s at init within the bound, and the first invocation reads again',
    async (mode, _description) => {
      upstreams.secretsManager.setMode(mode);
      const startedAtMs = Date.now();
      const handler = await ctx.loadHandler({ CREDENTIALS_TIMEOUT_MS: '300' });
      const initMs = Date.now() - startedAtMs;
      upstreams.secretsManager.setMode('ok');
      const readsBefore = reads();

      const { response } = await invoke(handler);

      expect(initMs).toBeLessThan(300 + 1500);
      expect(response.statusCode).toBe(200);
      expect(reads() - readsBefore).toBe(1);
    },
  );
});

describe('credential rotation', () => {
  it('re-reads the secret exactly once when Cashfree refuses the cached key pair, then succeeds', async () => {
    const handler = await ctx.loadHandler();
    await invoke(handler);
    const readsBefore = reads();
    const callsBefore = upstreams.cashfree.requests.length;

    ctx.rotate();
    const { response } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(reads() - readsBefore).toBe(1);
    expect(upstreams.cashfree.requests.length - callsBefore).toBe(2);
    expect(upstreams.cashfree.requests.at(-1)?.headers['x-client-secret']).toBe(upstreams.credentials.clientSecret);
  });

  it('shares the one refresh among concurrent invocations refused with the same key pair', async () => {
    const handler = await ctx.loadHandler();
    await invoke(handler);
    const readsBefore = reads();

    ctx.rotate();
    const results = await Promise.all(Array.from({ length: 5 }, () => invoke(handler)));

    expect(results.map((r) => r.response.statusCode)).toEqual(Array(5).fill(200));
    expect(reads() - readsBefore).toBe(1);
  });

  it('answers 502 when Cashfree still refuses after the refresh, with one extra secret read', async () => {
    const handler = await ctx.loadHandler();
    await invoke(handler);
    const readsBefore = reads();
    upstreams.cashfree.failNext('401', 2);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body).toEqual({ message: 'Cashfree refused the service credentials', code: 'upstream_auth_failed' });
    expect(reads() - readsBefore).toBe(1);
  });
});

describe('Secrets Manager failing', () => {
  it.each([
    ['throttled', 'throttling'],
    ['internal_error', 'an internal error'],
  ] as const)(
    'answers 503 with Retry-After when Secrets Manager is %s, and the next call reads again',
    async (mode, _description) => {
      upstreams.secretsManager.setMode(mode);
      const handler = await ctx.loadHandler();
      const callsBefore = upstreams.cashfree.requests.length;

      const failed = await invoke(handler);
      upstreams.secretsManager.setMode('ok');
      const recovered = await invoke(handler);

      expect(failed.response.statusCode).toBe(503);
      expect(failed.body.code).toBe('credentials_unavailable');
      expect(Number(failed.response.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(recovered.response.statusCode).toBe(200);
      expect(upstreams.cashfree.requests.length - callsBefore).toBe(1);
    },
  );

  it('answers 503 before the Lambda deadline when Secrets Manager never answers', async () => {
    upstreams.secretsManager.setMode('hang');
    const handler = await ctx.loadHandler({ CREDENTIALS_TIMEOUT_MS: '300' });

    const { response, elapsedMs } = await invoke(handler, {}, 1000);
    upstreams.secretsManager.setMode('ok');

    expect(response.statusCode).toBe(503);
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('answers 503 with Retry-After at its own bound when Secrets Manager never answers, whatever the time left', async () => {
    upstreams.secretsManager.setMode('hang');
    const handler = await ctx.loadHandler({ CREDENTIALS_TIMEOUT_MS: '400' });

    const { response, body, elapsedMs } = await invoke(handler, {}, 10_000);
    upstreams.secretsManager.setMode('ok');

    expect(response.statusCode).toBe(503);
    expect(body.code).toBe('credentials_unavailable');
    expect(response.headers?.['retry-after']).toBe('1');
    expect(elapsedMs).toBeGreaterThanOrEqual(350);
    expect(elapsedMs).toBeLessThan(400 + 1000);
  });

  it('answers 503 when Secrets Manager is slow, within the read bound', async () => {
    // A stand-in that answers only after 3 s: slower than the bound, faster than the function timeout.
    const slow = await startTestServer(async (_req, res) => {
      await sleep(3000);
      res.writeHead(500).end();
    });
    const handler = await ctx.loadHandler({
      AWS_ENDPOINT_URL_SECRETS_MANAGER: slow.origin,
      CREDENTIALS_TIMEOUT_MS: '500',
    });

    const { response, elapsedMs } = await invoke(handler, {}, 10_000);
    await slow.close();

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('1');
    expect(elapsedMs).toBeLessThan(500 + 1000);
  });

  it('answers 503 when Secrets Manager is unreachable', async () => {
    const handler = await ctx.loadHandler({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9' });

    const { response, body } = await invoke(handler, {}, 3000);

    expect(response.statusCode).toBe(503);
    expect(body.code).toBe('credentials_unavailable');
  });

  it.each([
    ['is missing', undefined],
    ['is not JSON', 'client_id=abc'],
    ['lacks client_secret', JSON.stringify({ client_id: 'abc' })],
    ['lacks client_id', JSON.stringify({ client_secret: 'abc' })],
  ])('answers 500 without calling Cashfree when the secret %s', async (_, value) => {
    upstreams.secretsManager.setSecret(LOCAL_SECRET_ID, value);
    const handler = await ctx.loadHandler();
    const callsBefore = upstreams.cashfree.requests.length;

    const { response, body } = await invoke(handler);
    ctx.rotate();

    expect(response.statusCode).toBe(500);
    expect(body).toEqual({ message: 'The service credentials are missing or malformed', code: 'credentials_invalid' });
    expect(upstreams.cashfree.requests.length).toBe(callsBefore);
  });
});

describe('a secret pasted with a slip', () => {
  it('trims a trailing newline and space around the key pair, and Cashfree gets the pair it issued', async () => {
    const { clientId, clientSecret } = upstreams.credentials;
    upstreams.secretsManager.setSecret(
      LOCAL_SECRET_ID,
      JSON.stringify({ client_id: `${clientId} `, client_secret: `${clientSecret}\n` }),
    );
    const handler = await ctx.loadHandler();

    const { response } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(upstreams.cashfree.requests.at(-1)?.headers).toMatchObject({
      'x-client-id': clientId,
      'x-client-secret': clientSecret,
    });
  });

  it.each([
    ['a line break inside the secret', (secret: string) => `${secret}\r\nx-injected: 1`],
    ['a non-ASCII character in the secret', (secret: string) => `${secret}\u20ac`],
  ])('answers 500 credentials_invalid for %s: a credential failure, never a Cashfree call', async (_, spoil) => {
    const { clientId, clientSecret } = upstreams.credentials;
    upstreams.secretsManager.setSecret(
      LOCAL_SECRET_ID,
      JSON.stringify({ client_id: clientId, client_secret: spoil(clientSecret) }),
    );
    const handler = await ctx.loadHandler();
    const callsBefore = upstreams.cashfree.requests.length;
    const linesBefore = logLines(ctx.output).length;

    const { response, body } = await invoke(handler);
    ctx.rotate();

    expect(response.statusCode).toBe(500);
    expect(body).toEqual({ message: 'The service credentials are missing or malformed', code: 'credentials_invalid' });
    expect(upstreams.cashfree.requests.length).toBe(callsBefore);
    const line = logLines(ctx.output).slice(linesBefore)[0] ?? {};
    expect(line).toMatchObject({ CredentialFailures: 1, upstream: { attempts: 0 } });
    expect(Object.keys(line).filter((key) => key.startsWith('Upstream'))).toEqual([]);
    expect(line.error).toBe('CredentialsInvalidError: SecretValueNotHeaderSafe');
  });
});
