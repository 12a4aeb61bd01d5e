import { beforeAll, describe, expect, it } from 'vitest';
import { CRYPTOGRAM_FIELDS } from '../support/cashfree-answers.ts';
import { demo, invoke, logLines, setUp } from '../support/handler-harness.ts';

const ctx = await setUp();
const { upstreams } = ctx;
let handler: Awaited<ReturnType<typeof ctx.loadHandler>>;

beforeAll(async () => {
  handler = await ctx.loadHandler();
});

const cashfreeCalls = () => upstreams.cashfree.requests.length;

describe('a valid request', () => {
  it('returns the seven documented fields of a fresh cryptogram and drops anything else Cashfree adds', async () => {
    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(Object.keys(body).sort()).toEqual([...CRYPTOGRAM_FIELDS].sort());
    expect(body).toMatchObject({
      instrument_id: demo.instrumentId,
      card_number: demo.tokenPan,
      card_expiry_mm: demo.expiryMonth,
      card_expiry_yy: demo.expiryYear,
      card_display: demo.last4,
    });
    expect(upstreams.cashfree.issued.has(String(body.cryptogram))).toBe(true);
  });

  it('gets a different cryptogram on every call', async () => {
    const first = await invoke(handler);
    const second = await invoke(handler);

    expect(first.body.cryptogram).not.toEqual(second.body.cryptogram);
  });

  it('sends Cashfree the key pair from the secret, the API version, the request id and accept: json', async () => {
    await invoke(handler, { headers: { 'X-Request-Id': 'flow-42.attempt_1' } });

    const sent = upstreams.cashfree.requests.at(-1)?.headers ?? {};
    expect(sent).toMatchObject({
      'x-client-id': upstreams.credentials.clientId,
      'x-client-secret': upstreams.credentials.clientSecret,
      'x-api-version': '2022-09-01',
      'x-request-id': 'flow-42.attempt_1',
      accept: 'application/json',
    });
  });

  it('answers with json, no-store and the request id it sent upstream', async () => {
    const { response } = await invoke(handler, { headers: { 'x-request-id': 'caller-id-1' } });

    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-request-id': 'caller-id-1',
    });
  });

  it('falls back to the API Gateway request id when the caller sends an unusable x-request-id', async () => {
    const { response, event } = await invoke(handler, { headers: { 'x-request-id': 'has spaces\nand a newline' } });

    expect(response.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    expect(upstreams.cashfree.requests.at(-1)?.headers['x-request-id']).toBe(event.requestContext.requestId);
  });

  it('writes one structured log line with the request id, statuses, attempts and latency', async () => {
    const before = logLines(ctx.output).length;
    await invoke(handler, { headers: { 'x-request-id': 'log-line-check' } });

    const lines = logLines(ctx.output).slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: 'log-line-check',
      apiRequestId: expect.any(String),
      awsRequestId: expect.any(String),
      status: 200,
      upstream: { status: 200, attempts: 1, retries: 0, outcome: 'success' },
    });
    expect(typeof (lines[0] as { durationMs: unknown }).durationMs).toBe('number');
  });
});

describe('bad input', () => {
  it.each([
    ['a missing customer_id', { customerId: undefined }],
    ['an empty instrument_id', { instrumentId: '' }],
    ['undecodable percent-encoding', { customerId: '%E0%A4%A' }],
    ['an encoded slash', { customerId: 'a%2Fb' }],
    ['an encoded question mark', { instrumentId: 'x%3Fy' }],
    ['an encoded hash', { instrumentId: 'x%23y' }],
    ['a dot-dot segment', { customerId: '..' }],
    ['whitespace', { customerId: 'cust%20demo' }],
    ['a control character', { instrumentId: 'abc%00' }],
    ['an over-long id', { instrumentId: 'a'.repeat(65) }],
  ])('answers 400 for %s without calling Cashfree', async (_, input) => {
    const callsBefore = cashfreeCalls();

    const { response, body } = await invoke(handler, input);

    expect(response.statusCode).toBe(400);
    expect(body).toEqual({ message: expect.any(String), code: 'invalid_request' });
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(cashfreeCalls()).toBe(callsBefore);
  });
});

describe('Cashfree refusing the request', () => {
  it.each([
    ['400', 400, 'upstream_bad_request'],
    ['404', 404, 'instrument_not_found'],
    ['409', 409, 'upstream_conflict'],
    ['422', 422, 'upstream_unprocessable'],
  ] as const)('passes a Cashfree %s through as the same status, without retrying', async (fault, status, code) => {
    upstreams.cashfree.failNext(fault);
    const callsBefore = cashfreeCalls();

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(status);
    expect(body).toEqual({ message: expect.any(String), code });
    expect(cashfreeCalls() - callsBefore).toBe(1);
  });

  it('answers 404 for an instrument Cashfree does not know', async () => {
    const { response, body } = await invoke(handler, { instrumentId: 'no-such-instrument' });

    expect(response.statusCode).toBe(404);
    expect(body.code).toBe('instrument_not_found');
  });
});

describe('Cashfree failing', () => {
  it('retries a 500 and returns the cryptogram when the next attempt succeeds', async () => {
    upstreams.cashfree.failNext('500');
    const callsBefore = cashfreeCalls();

    const { response } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(cashfreeCalls() - callsBefore).toBe(2);
  });

  it('retries a reset connection and succeeds', async () => {
    upstreams.cashfree.failNext('reset');

    const { response } = await invoke(handler);

    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['500', 'a JSON 500'],
    ['502_html', 'an HTML 502 from the load balancer'],
    ['503', 'a plain-text 503'],
    ['reset', 'reset connections'],
  ] as const)('answers 502 after a bounded number of attempts on %s (%s)', async (fault, _description) => {
    const callsBefore = cashfreeCalls();
    const before = logLines(ctx.output).length;

    // The simulator's sim_<fault> customer plays the fault on every request, however many arrive.
    const { response, body } = await invoke(handler, { customerId: `sim_${fault}` });

    expect(response.statusCode).toBe(502);
    expect(body).toEqual({ message: 'Cashfree is unavailable', code: 'upstream_unavailable' });
    const upstream = logLines(ctx.output).slice(before)[0]?.upstream as Record<string, number>;
    expect(upstream.attempts).toBe(3);
    // A reset on a reused connection is sent once more on a new one, outside the attempts.
    expect(cashfreeCalls() - callsBefore).toBe(3 + (upstream.freshConnectionRetries ?? 0));
  });

  it.each([
    ['bad_json', 'a body that is not JSON'],
    ['no_cryptogram', 'a body without cryptogram or card_number'],
  ] as const)('answers 502 to a 200 with %s (%s)', async (fault, _description) => {
    upstreams.cashfree.failNext(fault);

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_invalid_response');
  });

  it('waits out a 429 when the delay fits in the deadline and then succeeds', async () => {
    upstreams.cashfree.failNext('429');

    const { response, elapsedMs } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it('answers 429 with Retry-After when the rate-limit delay does not fit in the time left', async () => {
    upstreams.cashfree.failNext('429');

    const { response, body } = await invoke(handler, {}, 1000);

    expect(response.statusCode).toBe(429);
    expect(body.code).toBe('rate_limited');
    expect(response.headers?.['retry-after']).toBe('1');
  });

  it('never puts a stack trace or internal detail in an error body', async () => {
    upstreams.cashfree.failNext('bad_json');

    const { response } = await invoke(handler);

    expect(response.body).not.toMatch(/at |Error|\.ts|\{.*\{/);
  });
});
