import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type CashfreeClient,
  type CryptogramCall,
  createCashfreeClient,
  newUpstreamRecord,
  type UpstreamRecord,
} from '../../lambda/cashfree.ts';
import type { CashfreeCredentials, CredentialsProvider } from '../../lambda/credentials.ts';
import { UpstreamInvalidResponseError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../lambda/errors.ts';
import { MAX_INFORMATIONAL_ANSWERS } from '../../lambda/exchange.ts';
import { createTransport } from '../../lambda/transport.ts';
import { cryptogramAnswer } from '../support/cashfree-answers.ts';
import { failure } from '../support/failure.ts';
import { writeThenReset } from '../support/hostile-behaviours.ts';
import { sendJson, startTestServer, type TestHandler, type TestServer } from '../support/test-server.ts';

// Contract §4: Cashfree is asked again only when no byte of its answer arrived, when it answered a whole 5xx, or
// a 429 waited out once. Each case counts the requests the server read: a second one could be a second
// single-use cryptogram issued for one payment.
const KEYS: CashfreeCredentials = { clientId: 'TEST_APP_ASK_ONCE', clientSecret: 'cfsk_ma_test_ask_once_0123456789' };
const IDS = { customerId: 'cust_demo_1', instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10' };
const MAX_ATTEMPTS = 3;

const credentials: CredentialsProvider = { get: async () => KEYS, refresh: async () => KEYS, clear() {} };

/** A test server playing Cashfree, and the real client and transport asking it; both end with the test. */
async function cashfree(handler: TestHandler): Promise<{ server: TestServer; client: CashfreeClient }> {
  const server = await startTestServer(handler);
  const transport = createTransport();
  onTestFinished(async () => {
    transport.close();
    await server.close();
  });
  const client = createCashfreeClient({
    baseUrl: `${server.origin}/pg`,
    apiVersion: '2022-09-01',
    attemptTimeoutMs: 300,
    maxAttempts: MAX_ATTEMPTS,
    credentials,
    transport,
    random: () => 0,
  });
  return { server, client };
}

function call(record: UpstreamRecord = newUpstreamRecord()): CryptogramCall {
  return { ids: IDS, requestId: 'req-ask-once', deadlineAtMs: Date.now() + 2500, record };
}

const ok: TestHandler = (_req, res) => sendJson(res, 200, cryptogramAnswer(IDS.instrumentId));

describe('once Cashfree began to answer, a failure ends the call', () => {
  it.each([
    ['a partial status line, then a reset', (socket: Socket) => writeThenReset(socket, 'HTTP/1.1 200 OK\r\nConte')],
    ['a 103 Early Hints, then a reset', (socket: Socket) => writeThenReset(socket, 'HTTP/1.1 103 Early Hints\r\n\r\n')],
    [
      'a 200 head and half its body, then a reset',
      (socket: Socket) =>
        writeThenReset(
          socket,
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300\r\n\r\n{"card_',
        ),
    ],
    [
      'a 500 head and half its body, then a reset',
      (socket: Socket) =>
        writeThenReset(socket, 'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 300\r\n\r\n{"co'),
    ],
  ])('asks once and answers UpstreamUnavailableError after %s', async (_case, misbehave) => {
    // Prepare
    const { server, client } = await cashfree((req) => misbehave(req.socket));
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, retries: 0, freshConnectionRetries: 0, outcome: 'network_error' });
  });

  it('asks once when those bytes come on a reused connection, with no stale-connection resend either', async () => {
    // Prepare
    const { server, client } = await cashfree((req, res, seen) => {
      if (seen.onConnection === 1) return ok(req, res, seen);
      writeThenReset(req.socket, 'HTTP/1.1 200 OK\r\nConte');
    });
    await client.getCryptogram(call());
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(2);
    expect(record).toMatchObject({ attempts: 1, freshConnectionRetries: 0 });
  });

  it('asks once and answers UpstreamTimeoutError when the body stalls after the head', async () => {
    // Prepare
    const { server, client } = await cashfree((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"card_number":"44');
    });
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(server.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, retries: 0, outcome: 'timeout' });
  });

  it('asks once when a 5xx body does not decode', async () => {
    // Prepare
    const { server, client } = await cashfree((_req, res) => {
      res.writeHead(503, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end('not gzip');
    });

    // Act
    const error = await failure(client.getCryptogram(call()));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it(`asks once and answers UpstreamInvalidResponseError after more than ${MAX_INFORMATIONAL_ANSWERS} informational answers`, async () => {
    // Prepare
    const { server, client } = await cashfree((_req, res) => {
      for (let i = 0; i <= MAX_INFORMATIONAL_ANSWERS; i++) res.writeProcessing();
    });
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(server.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, outcome: 'invalid_response' });
  });
});

describe('before any byte of an answer, Cashfree is asked again', () => {
  it('sends once more on a new connection, without spending an attempt, when a reused one was reset', async () => {
    // Prepare
    const { server, client } = await cashfree((req, res, seen) => {
      if (seen.onConnection > 1) return req.socket.resetAndDestroy();
      ok(req, res, seen);
    });
    await client.getCryptogram(call());
    const record = newUpstreamRecord();

    // Act
    const cryptogram = await client.getCryptogram(call(record));

    // Assess
    expect(cryptogram.instrument_id).toBe(IDS.instrumentId);
    expect(server.requests).toHaveLength(3);
    expect(record).toMatchObject({ attempts: 1, retries: 0, freshConnectionRetries: 1, outcome: 'success' });
  });

  it('asks once per attempt when every new connection is reset before any byte', async () => {
    // Prepare
    const { server, client } = await cashfree((req) => req.socket.resetAndDestroy());
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(MAX_ATTEMPTS);
    expect(record).toMatchObject({ attempts: MAX_ATTEMPTS, retries: MAX_ATTEMPTS - 1, freshConnectionRetries: 0 });
  });

  it('asks once per attempt when an attempt times out with nothing received', async () => {
    // Prepare
    const { server, client } = await cashfree(() => undefined);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(server.requests).toHaveLength(MAX_ATTEMPTS);
    expect(record).toMatchObject({ attempts: MAX_ATTEMPTS, outcome: 'timeout' });
  });

  it('asks once per attempt when Cashfree answers a whole 5xx every time', async () => {
    // Prepare
    const body = { message: 'internal Server Error', code: 'internal_error', type: 'api_error' };
    const { server, client } = await cashfree((_req, res) => sendJson(res, 500, body));
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client.getCryptogram(call(record)));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(MAX_ATTEMPTS);
    expect(record).toMatchObject({ attempts: MAX_ATTEMPTS, status: 500, outcome: 'server_error' });
  });

  it('asks again after a whole 5xx whose body is compressed, and returns the next answer', async () => {
    // Prepare
    const { server, client } = await cashfree((req, res, seen) => {
      if (server.requests.length > 1) return ok(req, res, seen);
      res.writeHead(502, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(gzipSync('{"code":"bank_processing_failure"}'));
    });

    // Act
    const cryptogram = await client.getCryptogram(call());

    // Assess
    expect(cryptogram.instrument_id).toBe(IDS.instrumentId);
    expect(server.requests).toHaveLength(2);
  });
});
