import tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptogramAnswer, SAMPLE_CRYPTOGRAM } from '../support/cashfree-answers.ts';
import { demo, invoke, logLines, setUp } from '../support/handler-harness.ts';
import { streamLazily } from '../support/hostile-behaviours.ts';
import {
  sendJson,
  startTestServer,
  type TestHandler,
  type TestServer,
  type TestServerOptions,
} from '../support/test-server.ts';
import { createThrowawayCa, type ServerCertificate } from '../support/throwaway-ca.ts';

// Cashfree is played over real TLS by servers that misbehave on purpose; Secrets Manager is the stand-in.
const ctx = await setUp();
const ca = createThrowawayCa();
const originalCas = tls.getCACertificates('default');
let certificate: ServerCertificate;
const servers: TestServer[] = [];

const { card_number: PAN, cryptogram: CRYPTOGRAM } = SAMPLE_CRYPTOGRAM;
const MB = 1024 * 1024;

beforeAll(() => {
  certificate = ca.issue();
  tls.setDefaultCACertificates([...originalCas, ca.certPem]);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  tls.setDefaultCACertificates(originalCas);
  ca.dispose();
});

async function cashfree(handler: TestHandler, options: TestServerOptions = { tls: certificate }): Promise<TestServer> {
  const server = await startTestServer(handler, options);
  servers.push(server);
  return server;
}

async function handlerFor(server: TestServer, env: Record<string, string> = {}) {
  return ctx.loadHandler({ CASHFREE_BASE_URL: `${server.origin}/pg`, ...env });
}

/** The log line of the invocation `run` makes. */
async function loggedUpstream(run: () => Promise<unknown>) {
  const before = logLines(ctx.output).length;
  await run();
  const line = logLines(ctx.output).slice(before)[0] ?? {};
  return line.upstream as Record<string, unknown>;
}

const validBody = () => cryptogramAnswer(demo.instrumentId);

describe('the key pair goes to the configured origin only', () => {
  it.each([301, 302, 307, 308])(
    'answers 502 to a %s and sends nothing to the Location, over TLS or plain http',
    async (status) => {
      const elsewhereTls = await cashfree((_req, res) => sendJson(res, 200, validBody()));
      const elsewhereHttp = await cashfree((_req, res) => sendJson(res, 200, validBody()), {});
      const server = await cashfree((_req, res, seen) => {
        const target = seen.path.includes('demo') ? elsewhereTls.origin : elsewhereHttp.origin;
        res.writeHead(status, { location: `${target}/pg${seen.path}` }).end();
      });
      const handler = await handlerFor(server);

      const { response, body } = await invoke(handler);

      expect(response.statusCode).toBe(502);
      expect(body.code).toBe('upstream_invalid_response');
      expect(server.requests).toHaveLength(1);
      expect(elsewhereTls.requests).toHaveLength(0);
      expect(elsewhereHttp.requests).toHaveLength(0);
    },
  );

  it('sends the key pair once to a redirect loop, and answers 502', async () => {
    const server = await cashfree((_req, res, seen) => res.writeHead(302, { location: seen.path }).end());
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
    expect(server.requests.filter((r) => r.headers['x-client-secret'] !== undefined)).toHaveLength(1);
  });
});

describe('bounded reads', () => {
  it('answers 502 at once to a 200 declaring 200 MB, without reading it', async () => {
    const server = await cashfree((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * MB) });
      res.write('{"card_number":"');
    });
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
    expect(server.requests).toHaveLength(1);
  });

  it('answers 502 to an endless chunked 200 and stops reading it, with memory flat', async () => {
    let sent = { bytes: 0 };
    const server = await cashfree((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      sent = streamLazily(res, Buffer.alloc(64 * 1024, 'a'), 200 * MB);
    });
    const handler = await handlerFor(server);
    const heapBefore = process.memoryUsage().heapUsed;

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
    expect(sent.bytes).toBeLessThan(200 * MB);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * MB);
  });

  it('answers 502 to a gzip bomb without inflating past the cap', async () => {
    // 64 MB of JSON-looking text compresses to well under 1 MB.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"card_number":"'), Buffer.alloc(64 * MB, '1'), Buffer.from('"}')]),
    );
    const server = await cashfree((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(bomb.length),
      });
      res.end(bomb);
    });
    const handler = await handlerFor(server);
    const heapBefore = process.memoryUsage().heapUsed;

    const { response, body } = await invoke(handler);

    expect(bomb.length).toBeLessThan(MB);
    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * MB);
  });

  it('answers 502 to a 200 carrying a 7 MB field, over Lambda’s response limit', async () => {
    const server = await cashfree((_req, res) =>
      sendJson(res, 200, cryptogramAnswer(demo.instrumentId, { card_display: 'x'.repeat(7 * MB) })),
    );
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
  });

  it('still answers 404 to a 404 with a huge body', async () => {
    const server = await cashfree((_req, res) =>
      sendJson(res, 404, { code: 'instrument_not_found', message: 'x'.repeat(2 * MB) }),
    );
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(404);
    expect(body.code).toBe('instrument_not_found');
  });
});

describe('a 200 must describe the card asked for', () => {
  it.each([
    ['another instrument_id', { instrument_id: '0f9a3c1e-7d2b-4c55-8e61-3b2a9d4f7c10' }],
    ['a card_number that is not digits', { card_number: '4491-3656-2160-1472' }],
    ['month 13', { card_expiry_mm: '13' }],
    ['a card_display carrying a full PAN', { card_display: '4491365621601472123' }],
    ['no instrument_id', { instrument_id: undefined }],
    ['no card_expiry_yy', { card_expiry_yy: undefined }],
  ])('answers 502 to %s, and counts it as UpstreamInvalidResponse', async (_case, overrides) => {
    const server = await cashfree((_req, res) =>
      sendJson(res, 200, cryptogramAnswer(demo.instrumentId, { cryptogram: CRYPTOGRAM, ...overrides })),
    );
    const handler = await handlerFor(server);
    const before = logLines(ctx.output).length;

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
    expect(server.requests).toHaveLength(1);
    const line = logLines(ctx.output).slice(before)[0] ?? {};
    expect(line).toMatchObject({ UpstreamInvalidResponse: 1, upstream: { outcome: 'invalid_response' } });
    expect(line).not.toHaveProperty('UpstreamServerError');
  });

  it('answers 200 without token_requestor_id and card_display when Cashfree sent neither', async () => {
    const server = await cashfree((_req, res) =>
      sendJson(
        res,
        200,
        cryptogramAnswer(demo.instrumentId, {
          card_number: PAN,
          cryptogram: CRYPTOGRAM,
          token_requestor_id: undefined,
          card_display: undefined,
        }),
      ),
    );
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(Object.keys(body).sort()).toEqual([
      'card_expiry_mm',
      'card_expiry_yy',
      'card_number',
      'cryptogram',
      'instrument_id',
    ]);
  });

  it('returns a well-formed cryptogram over TLS', async () => {
    const server = await cashfree((_req, res) => sendJson(res, 200, validBody()));
    const handler = await handlerFor(server);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(body).toMatchObject({ instrument_id: demo.instrumentId, card_number: PAN, cryptogram: CRYPTOGRAM });
  });
});

describe('answers within the request budget', () => {
  it('answers 504 within the budget when Cashfree hangs, retrying after a pause rather than at once', async () => {
    const server = await cashfree(() => undefined);
    const handler = await handlerFor(server, {
      REQUEST_BUDGET_MS: '1500',
      CREDENTIALS_TIMEOUT_MS: '1000',
      CASHFREE_ATTEMPT_TIMEOUT_MS: '600',
    });

    const { response, body, elapsedMs } = await invoke(handler, {}, 10_000);

    expect(response.statusCode).toBe(504);
    expect(body.code).toBe('upstream_timeout');
    expect(elapsedMs).toBeLessThan(1500 + 500);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    const [first, second] = server.requests;
    // The 600 ms attempt, then at least half of the first 100 ms backoff step (less a little timer slack).
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(640);
  });

  it('answers 504 within the default 5 s budget, though the function has 10 s', async () => {
    const server = await cashfree(() => undefined);
    const handler = await handlerFor(server);

    const { response, elapsedMs } = await invoke(handler, {}, 10_000);

    expect(response.statusCode).toBe(504);
    expect(elapsedMs).toBeLessThan(5000 + 500);
  });

  it('answers 429 at once with Retry-After 4 when Cashfree asks for 4 s', async () => {
    const server = await cashfree((_req, res) =>
      sendJson(
        res,
        429,
        { message: 'Too many requests', code: 'request_failed', type: 'rate_limit_error' },
        { 'x-ratelimit-retry': '4' },
      ),
    );
    const handler = await handlerFor(server);

    const { response, body, elapsedMs } = await invoke(handler, {}, 10_000);

    expect(response.statusCode).toBe(429);
    expect(body.code).toBe('rate_limited');
    expect(response.headers?.['retry-after']).toBe('4');
    expect(server.requests).toHaveLength(1);
    expect(elapsedMs).toBeLessThan(1000);
  });
});

describe('connections', () => {
  it('answers 200 when a reused connection was dropped, even with one attempt, and records no network error', async () => {
    const server = await cashfree((req, res, seen) => {
      if (seen.onConnection > 1) return req.socket.destroy();
      sendJson(res, 200, validBody());
    });
    const handler = await handlerFor(server, { CASHFREE_MAX_ATTEMPTS: '1' });
    expect((await invoke(handler)).response.statusCode).toBe(200);

    let response: Awaited<ReturnType<typeof invoke>>['response'] | undefined;
    const upstream = await loggedUpstream(async () => {
      ({ response } = await invoke(handler));
    });

    expect(response?.statusCode).toBe(200);
    expect(upstream).toMatchObject({ attempts: 1, retries: 0, outcome: 'success', freshConnectionRetries: 1 });
    expect(upstream).not.toHaveProperty('networkErrorCode');
  });

  it('opens the Cashfree connection during init, so the first call makes no new handshake', async () => {
    const server = await cashfree((_req, res) => sendJson(res, 200, validBody()));
    const handler = await handlerFor(server);
    const connectionsAtInit = server.connections;

    const { response } = await invoke(handler);

    expect(connectionsAtInit).toBe(1);
    expect(response.statusCode).toBe(200);
    expect(server.connections).toBe(1);
  });

  it('answers 502 without a retry when the certificate does not verify', async () => {
    const untrusted = createThrowawayCa('untrusted test CA');
    const server = await cashfree((_req, res) => sendJson(res, 200, validBody()), { tls: untrusted.issue() });
    untrusted.dispose();
    const handler = await handlerFor(server);

    let response: Awaited<ReturnType<typeof invoke>>['response'] | undefined;
    const upstream = await loggedUpstream(async () => {
      ({ response } = await invoke(handler));
    });

    expect(response?.statusCode).toBe(502);
    expect(upstream).toMatchObject({ attempts: 1, retries: 0, outcome: 'network_error' });
    expect(upstream.networkErrorCode).toMatch(/^[A-Z0-9_]+$/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('the base URL', () => {
  it.each(['?', '#', '?x=1'])('refuses at init a CASHFREE_BASE_URL ending in %s', async (suffix) => {
    const server = await cashfree(() => undefined);

    const load = handlerFor(server, { CASHFREE_BASE_URL: `${server.origin}/pg${suffix}` });

    // A fresh module graph per load, so the class is not this file's ConfigError: match the message.
    await expect(load).rejects.toThrow(/CASHFREE_BASE_URL/);
    expect(server.requests).toHaveLength(0);
  });
});
