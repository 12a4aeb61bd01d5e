import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backoffMs,
  type CashfreeClientOptions,
  type CryptogramCall,
  createCashfreeClient,
  newUpstreamRecord,
  rateLimitWaitSeconds,
} from '../../lambda/cashfree.ts';
import type { CashfreeCredentials, CredentialsProvider } from '../../lambda/credentials.ts';
import {
  RateLimitedError,
  UpstreamAuthError,
  UpstreamInvalidResponseError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lambda/errors.ts';
import { createTransport, type Transport } from '../../lambda/transport.ts';
import {
  type CashfreeSimulator,
  DEMO_INSTRUMENTS,
  type Fault,
  startCashfreeSimulator,
} from '../../local/cashfree-simulator.ts';
import { CRYPTOGRAM_FIELDS } from '../support/cashfree-answers.ts';
import { failure } from '../support/failure.ts';

const API_VERSION = '2022-09-01';
const REQUEST_ID = 'req-unit-7f3a';
const OLD = { clientId: 'TEST_APP_OLD', clientSecret: 'cfsk_ma_test_old_0123456789' };
const NEW = { clientId: 'TEST_APP_NEW', clientSecret: 'cfsk_ma_test_new_9876543210' };
const DEMO = DEMO_INSTRUMENTS[0] as (typeof DEMO_INSTRUMENTS)[number];
const DEMO_IDS = { customerId: DEMO.customerId, instrumentId: DEMO.instrumentId };
const SLOW_DELAY_MS = 1500;

/**
 * A stand-in for the Secrets Manager cache: `stored` is what the secret holds now, `cached` what the service
 * last read; `refresh` reads `stored`, as the real provider re-reads the secret.
 */
class VaultCredentials implements CredentialsProvider {
  stored: CashfreeCredentials;
  cached: CashfreeCredentials;
  readonly refused: CashfreeCredentials[] = [];

  constructor(initial: CashfreeCredentials) {
    this.stored = initial;
    this.cached = initial;
  }

  async get(): Promise<CashfreeCredentials> {
    return this.cached;
  }

  async refresh(rejected: CashfreeCredentials): Promise<CashfreeCredentials> {
    this.refused.push(rejected);
    this.cached = { ...this.stored };
    return this.cached;
  }

  clear(): void {
    this.cached = this.stored;
  }
}

let simulator: CashfreeSimulator;
let vault: VaultCredentials;
let transport: Transport;

beforeEach(async () => {
  simulator = await startCashfreeSimulator({ credentials: NEW, slowDelayMs: SLOW_DELAY_MS });
  vault = new VaultCredentials(NEW);
  transport = createTransport();
});

afterEach(async () => {
  transport.close();
  await simulator.close();
});

function client(options: Partial<CashfreeClientOptions> = {}) {
  return createCashfreeClient({
    baseUrl: simulator.baseUrl,
    apiVersion: API_VERSION,
    attemptTimeoutMs: 1000,
    maxAttempts: 3,
    credentials: vault,
    transport,
    // No jitter wait unless a test asks for one: the retry count, not the sleep, is under test.
    random: () => 0,
    ...options,
  });
}

function call(overrides: Partial<CryptogramCall> = {}): CryptogramCall {
  return {
    ids: DEMO_IDS,
    requestId: REQUEST_ID,
    deadlineAtMs: Date.now() + 3000,
    record: newUpstreamRecord(),
    ...overrides,
  };
}

const header = (index: number, name: string) => simulator.requests[index]?.headers[name];

describe('createCashfreeClient', () => {
  it('sends the credentials, API version, request id and accept headers', async () => {
    // Act
    await client().getCryptogram(call());

    // Assess
    expect(simulator.requests).toHaveLength(1);
    expect(header(0, 'x-client-id')).toBe(NEW.clientId);
    expect(header(0, 'x-client-secret')).toBe(NEW.clientSecret);
    expect(header(0, 'x-api-version')).toBe(API_VERSION);
    expect(header(0, 'x-request-id')).toBe(REQUEST_ID);
    expect(header(0, 'accept')).toBe('application/json');
  });

  it('percent-encodes both ids in the upstream path', async () => {
    // Prepare
    const ids = { customerId: 'a:b@c', instrumentId: 'x+y=z' };

    // Act
    await failure(client().getCryptogram(call({ ids })));

    // Assess
    expect(simulator.requests[0]?.path).toBe('/pg/customers/a%3Ab%40c/instruments/x%2By%3Dz/cryptogram');
  });

  it('returns the seven documented fields as Cashfree sent them and drops the rest', async () => {
    // Act
    const cryptogram = await client().getCryptogram(call());

    // Assess
    expect(Object.keys(cryptogram).sort()).toEqual([...CRYPTOGRAM_FIELDS].sort());
    expect(cryptogram).toMatchObject({
      instrument_id: DEMO.instrumentId,
      card_number: DEMO.tokenPan,
      card_expiry_mm: DEMO.expiryMonth,
      card_expiry_yy: DEMO.expiryYear,
      card_display: DEMO.last4,
    });
    expect(simulator.issued.has(cryptogram.cryptogram)).toBe(true);
  });

  it('records one successful attempt with its status and latency', async () => {
    // Prepare
    const record = newUpstreamRecord();

    // Act
    await client().getCryptogram(call({ record }));

    // Assess
    expect(record).toMatchObject({ attempts: 1, retries: 0, status: 200, outcome: 'success' });
    expect(record.credentialRefreshed).toBe(false);
    expect(record.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['400', 400, 'request_failed'],
    ['404', 404, 'instrument_not_found'],
    ['409', 409, 'request_failed'],
    ['422', 422, 'request_invalid'],
  ] as const)('passes Cashfree %s through without a retry', async (fault, status, cashfreeCode) => {
    // Prepare
    simulator.failNext(fault as Fault);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client().getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error.statusCode).toBe(status);
    expect(simulator.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, retries: 0, status, outcome: 'client_error', cashfreeCode });
  });

  it('answers 404 for an instrument Cashfree does not know', async () => {
    // Act
    const error = await failure(
      client().getCryptogram(call({ ids: { customerId: DEMO.customerId, instrumentId: 'no-such-instrument' } })),
    );

    // Assess
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error.statusCode).toBe(404);
  });

  it('refreshes the credentials once and retries when Cashfree answers 401', async () => {
    // Prepare: the service still holds the old keys; the secret already holds the new ones
    vault = new VaultCredentials(OLD);
    vault.stored = NEW;
    const record = newUpstreamRecord();

    // Act
    const cryptogram = await client().getCryptogram(call({ record }));

    // Assess
    expect(cryptogram.card_number).toBe(DEMO.tokenPan);
    expect(vault.refused).toEqual([OLD]);
    expect(simulator.requests.map((request) => request.headers['x-client-id'])).toEqual([OLD.clientId, NEW.clientId]);
    expect(record).toMatchObject({ attempts: 2, retries: 0, credentialRefreshed: true, outcome: 'success' });
  });

  it('answers UpstreamAuthError after one refresh when Cashfree refuses twice', async () => {
    // Prepare: the secret itself holds keys Cashfree no longer accepts
    vault = new VaultCredentials(OLD);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client().getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamAuthError);
    expect(error.statusCode).toBe(502);
    expect(vault.refused).toHaveLength(1);
    expect(simulator.requests).toHaveLength(2);
    expect(record).toMatchObject({ attempts: 2, status: 401, outcome: 'auth_rejected', credentialRefreshed: true });
  });

  it('waits out x-ratelimit-retry and retries a 429 when the wait fits in the deadline', async () => {
    // Prepare
    simulator.failNext('429');
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const cryptogram = await client().getCryptogram(call({ record, deadlineAtMs: startedAtMs + 2500 }));

    // Assess
    expect(cryptogram.card_number).toBe(DEMO.tokenPan);
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(1000);
    expect(record).toMatchObject({ attempts: 2, retries: 1, status: 200, outcome: 'success' });
  });

  it('waits out a 429 only once: a second one is answered at once', async () => {
    // Prepare
    simulator.failNext('429', 2);
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const error = await failure(client().getCryptogram(call({ record, deadlineAtMs: startedAtMs + 4500 })));

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(Date.now() - startedAtMs).toBeLessThan(1900);
    expect(simulator.requests).toHaveLength(2);
    expect(record).toMatchObject({ attempts: 2, retries: 1, status: 429, outcome: 'rate_limited' });
  });

  it('answers RateLimitedError with retry-after at once when the 429 wait does not fit', async () => {
    // Prepare
    simulator.failNext('429');
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const error = await failure(client().getCryptogram(call({ record, deadlineAtMs: startedAtMs + 800 })));

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.statusCode).toBe(429);
    expect(error.headers['retry-after']).toBe('1');
    expect(Date.now() - startedAtMs).toBeLessThan(500);
    expect(record).toMatchObject({ attempts: 1, retries: 0, status: 429, outcome: 'rate_limited' });
  });

  it("tells the caller Cashfree's remaining rate-limit window in retry-after", async () => {
    // Prepare: one call per minute, already used
    await simulator.close();
    simulator = await startCashfreeSimulator({ credentials: NEW, rateLimitPerMinute: 1 });
    await client().getCryptogram(call());

    // Act
    const error = await failure(client().getCryptogram(call()));

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(Number(error.headers['retry-after'])).toBeGreaterThanOrEqual(58);
    expect(Number(error.headers['retry-after'])).toBeLessThanOrEqual(59);
    expect(simulator.requests).toHaveLength(2);
  });

  it.each(['500', '502_html', '503', 'reset'] as const)(
    'retries after a %s and returns the cryptogram of the next attempt',
    async (fault) => {
      // Prepare
      simulator.failNext(fault);
      const record = newUpstreamRecord();

      // Act
      const cryptogram = await client().getCryptogram(call({ record }));

      // Assess
      expect(cryptogram.card_number).toBe(DEMO.tokenPan);
      expect(record).toMatchObject({ attempts: 2, retries: 1, status: 200, outcome: 'success' });
    },
  );

  it.each([
    ['500', 500],
    ['502_html', 502],
    ['503', 503],
  ] as const)('answers UpstreamUnavailableError after maxAttempts answers of %s', async (fault, status) => {
    // Prepare
    simulator.failNext(fault, 10);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client({ maxAttempts: 3 }).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.statusCode).toBe(502);
    expect(simulator.requests).toHaveLength(3);
    expect(record).toMatchObject({ attempts: 3, retries: 2, status, outcome: 'server_error' });
  });

  it('does not retry at all when maxAttempts is 1', async () => {
    // Prepare
    simulator.failNext('500', 10);

    // Act
    const error = await failure(client({ maxAttempts: 1 }).getCryptogram(call()));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(simulator.requests).toHaveLength(1);
  });

  it('answers UpstreamUnavailableError with the network error code after resets on every attempt', async () => {
    // Prepare
    simulator.failNext('reset', 10);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client({ maxAttempts: 2 }).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(simulator.requests).toHaveLength(2);
    expect(record).toMatchObject({ attempts: 2, retries: 1, outcome: 'network_error' });
    expect(record.networkErrorCode).toMatch(/^[A-Z_]+$/);
  });

  it('answers UpstreamUnavailableError when the connection is refused', async () => {
    // Prepare: a port that was just released
    const closed = await startCashfreeSimulator({ credentials: NEW });
    await closed.close();
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client({ baseUrl: closed.baseUrl }).getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(record).toMatchObject({ attempts: 3, retries: 2, outcome: 'network_error' });
    expect(record.status).toBeUndefined();
  });

  it('waits a jittered backoff between 5xx retries', async () => {
    // Prepare: the largest jitter, so the waits are 99 ms then 199 ms
    simulator.failNext('500', 2);
    const startedAtMs = Date.now();

    // Act
    await client({ random: () => 0.999 }).getCryptogram(call());

    // Assess
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(290);
  });

  it('stops retrying a 5xx when the next backoff would not fit in the deadline', async () => {
    // Prepare
    simulator.failNext('500', 10);
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const error = await failure(
      client({ maxAttempts: 5, random: () => 0.999 }).getCryptogram(call({ record, deadlineAtMs: startedAtMs + 250 })),
    );

    // Assess
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(record.attempts).toBe(2);
    expect(Date.now() - startedAtMs).toBeLessThan(250);
  });

  it('answers UpstreamTimeoutError by the deadline when Cashfree is slower', async () => {
    // Prepare
    simulator.failNext('slow', 10);
    const record = newUpstreamRecord();
    const deadlineMs = 400;
    const startedAtMs = Date.now();

    // Act
    const error = await failure(
      client({ attemptTimeoutMs: 5000 }).getCryptogram(call({ record, deadlineAtMs: startedAtMs + deadlineMs })),
    );

    // Assess
    const elapsedMs = Date.now() - startedAtMs;
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error.statusCode).toBe(504);
    expect(elapsedMs).toBeLessThan(deadlineMs + 100);
    expect(elapsedMs).toBeLessThan(SLOW_DELAY_MS);
    expect(record).toMatchObject({ attempts: 1, outcome: 'timeout' });
  });

  it('times out a slow attempt after attemptTimeoutMs and retries within the deadline', async () => {
    // Prepare
    simulator.failNext('slow');
    const record = newUpstreamRecord();
    const startedAtMs = Date.now();

    // Act
    const cryptogram = await client({ attemptTimeoutMs: 200 }).getCryptogram(
      call({ record, deadlineAtMs: startedAtMs + 1200 }),
    );

    // Assess
    expect(cryptogram.card_number).toBe(DEMO.tokenPan);
    expect(Date.now() - startedAtMs).toBeLessThan(SLOW_DELAY_MS);
    expect(record).toMatchObject({ attempts: 2, retries: 1, outcome: 'success' });
  });

  it('answers UpstreamTimeoutError without calling Cashfree when the deadline has passed', async () => {
    // Prepare
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client().getCryptogram(call({ record, deadlineAtMs: Date.now() + 50 })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(simulator.requests).toHaveLength(0);
    expect(record.attempts).toBe(0);
  });

  it.each([
    ['is not JSON', 'bad_json'],
    ['lacks cryptogram and card_number', 'no_cryptogram'],
  ] as const)('answers UpstreamInvalidResponseError without a retry when the 200 body %s', async (_case, fault) => {
    // Prepare
    simulator.failNext(fault);
    const record = newUpstreamRecord();

    // Act
    const error = await failure(client().getCryptogram(call({ record })));

    // Assess
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect(error.statusCode).toBe(502);
    expect(simulator.requests).toHaveLength(1);
    expect(record).toMatchObject({ attempts: 1, status: 200, outcome: 'invalid_response' });
  });

  it('keeps the body of a malformed 200 out of the error', async () => {
    // Prepare: the simulator's broken body starts a card number, '4111'
    simulator.failNext('bad_json');

    // Act
    const error = await failure(client().getCryptogram(call()));

    // Assess
    expect(`${error.message} ${String(error.cause)} ${error.stack}`).not.toContain('4111');
  });
});

describe('backoffMs', () => {
  it('stays within [0, 1000) for any retry count and random value', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retries, r) => {
        // Act
        const waitMs = backoffMs(retries, () => r);

        // Assess
        expect(Number.isInteger(waitMs)).toBe(true);
        expect(waitMs).toBeGreaterThanOrEqual(0);
        expect(waitMs).toBeLessThan(1000);
      }),
    );
  });

  it('never shrinks as retries accumulate, for the same random draw', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retries, r) => {
        // Act
        const [earlier, later] = [backoffMs(retries, () => r), backoffMs(retries + 1, () => r)];

        // Assess
        expect(later).toBeGreaterThanOrEqual(earlier);
      }),
    );
  });

  it('grows its ceiling from the first retry to the cap', () => {
    // Prepare
    const largest = () => 0.999_999;

    // Act
    const waits = [0, 1, 2, 3, 4, 10].map((retries) => backoffMs(retries, largest));

    // Assess
    expect(waits[0]).toBeLessThan(waits[1] as number);
    expect(waits[1]).toBeLessThan(waits[2] as number);
    expect(waits[2]).toBeLessThan(waits[3] as number);
    expect(waits.at(-1)).toBeGreaterThan(900);
  });

  it('waits nothing when the random draw is 0', () => {
    // Act
    const waitMs = backoffMs(3, () => 0);

    // Assess
    expect(waitMs).toBe(0);
  });
});

describe('rateLimitWaitSeconds', () => {
  it('uses x-ratelimit-retry when Cashfree gives it', () => {
    // Act
    const seconds = rateLimitWaitSeconds({ 'x-ratelimit-retry': '17', 'retry-after': '3' });

    // Assess
    expect(seconds).toBe(17);
  });

  it('falls back to retry-after seconds', () => {
    // Act
    const seconds = rateLimitWaitSeconds({ 'retry-after': '5' });

    // Assess
    expect(seconds).toBe(5);
  });

  it('falls back to retry-after when x-ratelimit-retry is 0', () => {
    // Act
    const seconds = rateLimitWaitSeconds({ 'x-ratelimit-retry': '0', 'retry-after': '7' });

    // Assess
    expect(seconds).toBe(7);
  });

  it('converts a retry-after HTTP date into whole seconds from now', () => {
    // Prepare
    const inTwelveSeconds = new Date(Date.now() + 11_500).toUTCString();

    // Act
    const seconds = rateLimitWaitSeconds({ 'retry-after': inTwelveSeconds });

    // Assess
    expect(seconds).toBeGreaterThanOrEqual(10);
    expect(seconds).toBeLessThanOrEqual(12);
  });

  it('waits at least 1 second for a retry-after date in the past', () => {
    // Act
    const seconds = rateLimitWaitSeconds({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' });

    // Assess
    expect(seconds).toBe(1);
  });

  it('caps the wait at 60 seconds', () => {
    // Act
    const seconds = rateLimitWaitSeconds({ 'retry-after': '3600' });

    // Assess
    expect(seconds).toBe(60);
  });

  it.each([
    ['no header', {}],
    ['an unparseable header', { 'retry-after': 'soon' }],
    ['an empty header', { 'x-ratelimit-retry': '' }],
  ])('defaults to 1 second with %s', (_case, headers: Record<string, string>) => {
    // Act
    const seconds = rateLimitWaitSeconds(headers);

    // Assess
    expect(seconds).toBe(1);
  });
});
