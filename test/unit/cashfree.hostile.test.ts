import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  type CashfreeClientOptions,
  type CryptogramCall,
  createCashfreeClient,
  DEADLINE_RESERVE_MS,
  newUpstreamRecord,
  timeoutPauseMs,
} from '../../lambda/cashfree.ts';
import type { CashfreeCredentials, CredentialsProvider } from '../../lambda/credentials.ts';
import {
  RateLimitedError,
  UpstreamInvalidResponseError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
} from '../../lambda/errors.ts';
import { createTransport, MAX_BODY_BYTES, type Transport } from '../../lambda/transport.ts';
import { cryptogramAnswer } from '../support/cashfree-answers.ts';
import { failure } from '../support/failure.ts';
import {
  sendJson,
  startTestServer,
  type TestHandler,
  type TestServer,
  type TestServerOptions,
} from '../support/test-server.ts';
import { createThrowawayCa } from '../support/throwaway-ca.ts';

const KEYS: CashfreeCredentials = { clientId: 'TEST_APP_HOSTILE', clientSecret: 'cfsk_ma_test_hostile_0123456789' };
const IDS = { customerId: 'cust_demo_1', instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10' };

const credentials: CredentialsProvider = {
  get: async () => KEYS,
  refresh: async () => KEYS,
  clear() {},
};

let transport: Transport;
beforeEach(() => {
  transport = createTransport();
});
afterEach(() => transport.close());

async function server(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(handler, options);
  onTestFinished(() => started.close());
  return started;
}

function client(cashfree: TestServer, options: Partial<CashfreeClientOptions> = {}) {
  return createCashfreeClient({
    baseUrl: `${cashfree.origin}/pg`,
    apiVersion: '2022-09-01',
    attemptTimeoutMs: 1000,
    maxAttempts: 3,
    credentials,
    transport,
    random: () => 0,
    ...options,
  });
}

const call = (overrides: Partial<CryptogramCall> = {}): CryptogramCall => ({
  ids: IDS,
  requestId: 'req-hostile-1',
  deadlineAtMs: Date.now() + 3000,
  record: newUpstreamRecord(),
  ...overrides,
});

const answering = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  server((_req, res) => sendJson(res, status, body, headers));

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'answers UpstreamInvalidResponseError to a %s without a retry, and the Location gets nothing',
    async (status) => {
      // Prepare
      const elsewhere = await answering(200, cryptogramAnswer(IDS.instrumentId));
      const cashfree = await server((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.origin}/steal` });
        res.end();
      });
      const record = newUpstreamRecord();

      // Act
      const error = await failure(client(cashfree).getCryptogram(call({ record })));

      // Assess
      expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
      expect(cashfree.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
      expect(record).toMatchObject({ attempts: 1, retries: 0, status, outcome: 'invalid_response' });
    },
  );
});

describe('bounded bodies', () => {
  it('answers UpstreamInvalidResponseError without a retry to a 200 over the size cap', async () => {
    // Prepare: valid JSON, but too big to be a cryptogram answer
    const cashfree = await answering(
      200,
      cryptogramAnswer(IDS.instrumentId, { card_display: 'x'.repeat(MAX_BODY_BYTES) }),
    );
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client(cashfree).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(cashfree.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, status: 200, outcome: 'invalid_response' });
  });

  it('keeps the mapping of an error status whose body is over the cap', async () => {
    // Prepare
    const cashfree = await answering(404, { code: 'instrument_not_found', pad: 'x'.repeat(1_000_000) });

    // Act
    const error = await failure(client(cashfree).getCryptogram(call()));

    // Assess
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error.statusCode).toBe(404);
  });
});

describe('a 200 must describe the card asked for', () => {
  it.each([
    ['another instrument_id', { instrument_id: 'instrument-xyz-9' }],
    ['a card_number with a letter', { card_number: '44913656216014x2' }],
    ['a card_number with spaces', { card_number: '4491 3656 2160 1472' }],
    ['an 11-digit card_number', { card_number: '44913656216' }],
    ['a 20-digit card_number', { card_number: '44913656216014720000' }],
    ['a numeric card_number', { card_number: 4491365621601472 }],
    ['no card_number', { card_number: undefined }],
    ['month 13', { card_expiry_mm: '13' }],
    ['month 00', { card_expiry_mm: '00' }],
    ['a one-digit month', { card_expiry_mm: '6' }],
    ['a three-digit year', { card_expiry_yy: '203' }],
    ['a year with a letter', { card_expiry_yy: '20x1' }],
    ['a blank cryptogram', { cryptogram: '   ' }],
    ['no cryptogram', { cryptogram: undefined }],
    ['a cryptogram of 513 characters', { cryptogram: 'A'.repeat(513) }],
    ['a card_display of 20 characters', { card_display: '1'.repeat(20) }],
    ['a card_display holding a full 19-digit PAN', { card_display: '4491365621601472123' }],
    ['a card_display holding a 16-digit PAN', { card_display: '4491365621601472' }],
    ['a card_display with five digits', { card_display: '12345' }],
    ['a card_display with digits among the mask', { card_display: 'XXXX 4491 XXXX 1234' }],
    ['a card_display of three digits', { card_display: 'XXXX123' }],
    ['a card_display masked with letters', { card_display: 'card ending 1234' }],
    ['no instrument_id', { instrument_id: undefined }],
    ['an empty instrument_id', { instrument_id: '' }],
    ['no card_expiry_mm', { card_expiry_mm: undefined }],
    ['no card_expiry_yy', { card_expiry_yy: undefined }],
    ['a null card_display', { card_display: null }],
    ['a token_requestor_id with letters', { token_requestor_id: 'TRID22457512314' }],
    ['a token_requestor_id of 33 digits', { token_requestor_id: '1'.repeat(33) }],
    ['a null field', { card_expiry_mm: null }],
  ])('answers UpstreamInvalidResponseError without a retry to %s', async (_case, overrides) => {
    // Prepare
    const cashfree = await answering(200, cryptogramAnswer(IDS.instrumentId, overrides));
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client(cashfree).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(cashfree.requests).toHaveLength(1);
    expect(record.outcome).toBe('invalid_response');
    expect(`${error.message} ${String(error.cause)}`).not.toMatch(/4491|AQBB|xyz/);
  });

  it.each([
    ['a two-digit year', { card_expiry_yy: '31' }],
    ['a 12-digit card_number', { card_number: '449136562160' }],
    ['a 19-digit card_number', { card_number: '4491365621601472123' }],
    ['a cryptogram of 512 characters', { cryptogram: 'A'.repeat(512) }],
    ['a card_display masked to the last four', { card_display: 'XXXXXXXXXXXX1234' }],
    ['a card_display masked in groups', { card_display: '**** **** **** 1234' }],
    ['a card_display masked with dashes and dots', { card_display: 'xxxx-xxxx-xxxx.1234' }],
  ])('accepts %s', async (_case, overrides) => {
    // Prepare
    const cashfree = await answering(200, cryptogramAnswer(IDS.instrumentId, overrides));

    // Act
    const cryptogram = await client(cashfree).getCryptogram(call());

    // Assess
    expect(cryptogram.card_number).toMatch(/^\d{12,19}$/);
  });

  it('passes on the five guaranteed fields alone, and invents neither token_requestor_id nor card_display', async () => {
    // Prepare
    const cashfree = await answering(
      200,
      cryptogramAnswer(IDS.instrumentId, { token_requestor_id: undefined, card_display: undefined }),
    );

    // Act
    const cryptogram = await client(cashfree).getCryptogram(call());

    // Assess
    expect(Object.keys(cryptogram).sort()).toEqual([
      'card_expiry_mm',
      'card_expiry_yy',
      'card_number',
      'cryptogram',
      'instrument_id',
    ]);
    expect(JSON.stringify(cryptogram)).not.toMatch(/token_requestor_id|card_display/);
  });
});

describe('rate limits and timeouts within the budget', () => {
  it('answers RateLimitedError at once with Cashfree’s delay when it is longer than a second', async () => {
    // Prepare
    const cashfree = await answering(429, { code: 'request_failed' }, { 'x-ratelimit-retry': '4' });
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const error = await failure(client(cashfree).getCryptogram(call({ record, deadlineAtMs: startedAtMs + 10_000 })));

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.headers['retry-after']).toBe('4');
    expect(cashfree.requests).toHaveLength(1);
    expect(Date.now() - startedAtMs).toBeLessThan(1000);
    expect(record).toMatchObject({ attempts: 1, retries: 0, outcome: 'rate_limited' });
  });

  it('pauses before retrying an attempt that timed out, never at once', async () => {
    // Prepare: the first request hangs, the second answers
    const cashfree = await server((_req, res, seen) => {
      if (seen === cashfree.requests[0]) return;
      sendJson(res, 200, cryptogramAnswer(IDS.instrumentId));
    });
    const record = newUpstreamRecord();

    // Act
    await client(cashfree, { attemptTimeoutMs: 200 }).getCryptogram(call({ record }));

    // Assess: the smallest jitter still waits half of the first backoff step
    const [first, second] = cashfree.requests;
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(200 + timeoutPauseMs(0, () => 0) - 5);
    expect(record).toMatchObject({ attempts: 2, retries: 1, outcome: 'success' });
  });
});

describe('the deadline', () => {
  it('sets the last attempt’s timer short of the deadline by the reserve, so the answer lands before it', async () => {
    // Prepare: Cashfree never answers; the deadline, not the 5 s attempt timeout, bounds the attempt.
    const cashfree = await server(() => undefined);
    const timersMs: number[] = [];
    const recording: Transport = {
      ...transport,
      request(request) {
        timersMs.push(request.timeoutMs);
        return transport.request(request);
      },
    };
    const startedAtMs = Date.now();
    const deadlineAtMs = startedAtMs + 600;

    // Act
    const error = await failure(
      client(cashfree, { attemptTimeoutMs: 5000, transport: recording }).getCryptogram(call({ deadlineAtMs })),
    );
    const answeredAtMs = Date.now();

    // Assess
    expect(error.code).toBe('upstream_timeout');
    expect(timersMs).toHaveLength(1);
    expect(startedAtMs + (timersMs[0] ?? 0)).toBeLessThanOrEqual(deadlineAtMs - DEADLINE_RESERVE_MS);
    expect(startedAtMs + (timersMs[0] ?? 0)).toBeGreaterThan(deadlineAtMs - DEADLINE_RESERVE_MS - 50);
    expect(answeredAtMs).toBeLessThan(deadlineAtMs);
  });
});

describe('connections', () => {
  it('sends a request again on a new connection when a reused one is dead, without spending an attempt', async () => {
    // Prepare: a load balancer that drops idle connections the moment they are reused
    const cashfree = await server((req, res, seen) => {
      if (seen.onConnection > 1) return req.socket.destroy();
      sendJson(res, 200, cryptogramAnswer(IDS.instrumentId));
    });
    const cashfreeClient = client(cashfree, { maxAttempts: 1 });
    await cashfreeClient.getCryptogram(call());
    const record = newUpstreamRecord();

    // Act
    const cryptogram = await cashfreeClient.getCryptogram(call({ record }));

    // Assess
    expect(cryptogram.card_number).toBe('4491365621601472');
    expect(record).toMatchObject({ attempts: 1, retries: 0, freshConnectionRetries: 1, outcome: 'success' });
    expect(record.networkErrorCode).toBeUndefined();
  });

  it('does not retry a certificate that does not verify, and records its code', async () => {
    // Prepare: a TLS server whose CA nobody trusts
    const ca = createThrowawayCa('untrusted test CA');
    const tls = ca.issue();
    ca.dispose();
    const cashfree = await server((_req, res) => res.end(), { tls });
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client(cashfree).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(record).toMatchObject({ attempts: 1, retries: 0, outcome: 'network_error' });
    expect(record.networkErrorCode).toMatch(/^[A-Z0-9_]+$/);
  });
});

describe('timeoutPauseMs', () => {
  it('waits at least half and at most all of the backoff step, for any draw', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retries, r) => {
        // Act
        const pauseMs = timeoutPauseMs(retries, () => r);

        // Assess
        const stepMs = Math.min(1000, 100 * 2 ** retries);
        expect(pauseMs).toBeGreaterThanOrEqual(stepMs / 2);
        expect(pauseMs).toBeLessThanOrEqual(stepMs);
      }),
    );
  });
});
