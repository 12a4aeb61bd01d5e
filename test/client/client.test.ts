import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CLIENT_ERROR_CODES,
  type CryptogramClientOptions,
  CryptogramServiceError,
  createCryptogramClient,
  ERROR_CODES,
} from '../../client/src/index.ts';
import { failure } from '../support/failure.ts';
import { deadPort, type ReceivedRequest, sendJson, startTestServer, type TestHandler } from '../support/test-server.ts';
import { credentials, PAN, REGION, requiredFields, startServiceDouble } from './service-double.ts';
import { signatureVerdict } from './signature.ts';

const ids = { customerId: 'cust_1', instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10' };
const seven = { ...requiredFields(ids.instrumentId), token_requestor_id: '22457512314', card_display: '1472' };

const { server, answer } = await startServiceDouble();
// The service names the instrument asked for; the client refuses an answer for another.
const askedInstrument = (request: ReceivedRequest) =>
  decodeURIComponent(/\/instruments\/([^/]+)\//.exec(request.path)?.[1] ?? '');
const ok: TestHandler = (_req, res, received) =>
  sendJson(
    res,
    200,
    { ...seven, instrument_id: askedInstrument(received), extra: 'dropped' },
    { 'x-request-id': 'svc-id' },
  );
const status =
  (code: number, body: unknown, headers: Record<string, string> = {}): TestHandler =>
  (_req, res) =>
    sendJson(res, code, body, headers);
const hang: TestHandler = () => {};

const client = (options: Partial<CryptogramClientOptions> = {}) =>
  createCryptogramClient({ baseUrl: `${server.origin}/v1`, region: REGION, credentials, ...options });
// What API Gateway decides on a received request: the local gateway's own check.
const verdict = (request: ReceivedRequest, keys: typeof credentials = credentials) =>
  signatureVerdict(server, request, { region: REGION, credentials: keys });
const verified = { ok: true, accessKeyId: credentials.accessKeyId };

// The client must never write anything: whatever it printed could end up next to card data in logs.
const writes: unknown[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args) => void writes.push(args));
  }
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => writes.push(chunk) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => writes.push(chunk) > 0);
});
afterEach(() => {
  expect(writes).toEqual([]);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server.close();
});

describe('getCryptogram', () => {
  it('returns the seven fields of a 200 and nothing else', async () => {
    const sent = answer(ok);
    const result = await client().getCryptogram(ids);
    expect(result).toEqual(seven);
    expect(sent()).toHaveLength(1);
  });

  it('sends a GET to the stage path with a SigV4 signature API Gateway can verify', async () => {
    const sent = answer(ok);
    await client().getCryptogram({ ...ids, requestId: 'checkout-42' });
    const [request] = sent();
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe(`/v1/customers/cust_1/instruments/${ids.instrumentId}/cryptogram`);
    expect(request?.headers['x-request-id']).toBe('checkout-42');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIACLIENTTEST\/\d{8}\/ap-south-1\/execute-api\/aws4_request, SignedHeaders=[^,]*x-request-id/,
    );
    expect(await verdict(request ?? never())).toEqual(verified);
    expect(await verdict(request ?? never(), { ...credentials, secretAccessKey: 'wrong' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('signature we calculated does not match'),
    });
  });

  it.each([
    ['', '/customers/'],
    ['/', '/customers/'],
    ['/v1/', '/v1/customers/'],
  ])('joins the path to a base URL ending in %j', async (suffix, prefix) => {
    const sent = answer(ok);
    await client({ baseUrl: `${server.origin}${suffix}` }).getCryptogram(ids);
    expect(sent()[0]?.path.startsWith(prefix)).toBe(true);
  });

  it('percent-encodes ids with marks once and signs the path as sent', async () => {
    const sent = answer(ok);
    await client().getCryptogram({ customerId: 'a:b@c+d=e', instrumentId: 'x.y-z_1' });
    const [request] = sent();
    expect(request?.path).toBe('/v1/customers/a%3Ab%40c%2Bd%3De/instruments/x.y-z_1/cryptogram');
    expect(await verdict(request ?? never())).toEqual(verified);
  });

  it('signs with temporary credentials, session token included', async () => {
    const temporary = { ...credentials, sessionToken: 'session-token-value' };
    const sent = answer(ok);
    await client({ credentials: async () => temporary }).getCryptogram(ids);
    const [request] = sent();
    expect(request?.headers['x-amz-security-token']).toBe('session-token-value');
    expect(await verdict(request ?? never(), temporary)).toEqual(verified);
  });

  it('makes up a request id when the caller gives none and keeps it across attempts', async () => {
    const sent = answer(status(503, { message: 'm', code: 'service_unavailable' }, { 'retry-after': '0' }), ok);
    await client().getCryptogram(ids);
    const [first, second] = sent();
    expect(first?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.headers['x-request-id']).toBe(first?.headers['x-request-id']);
  });
});

describe('retries', () => {
  it('retries a 429 after its Retry-After, signing the new attempt anew', async () => {
    const provider = vi.fn(async () => credentials);
    const sent = answer(status(429, { message: 'm', code: 'rate_limited' }, { 'retry-after': '1' }), ok);
    const startedAtMs = Date.now();
    await expect(client({ credentials: provider }).getCryptogram(ids)).resolves.toEqual(seven);
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(1000);
    const [first, second] = sent();
    expect(provider).toHaveBeenCalledTimes(2);
    expect(second?.headers['x-amz-date']).not.toBe(first?.headers['x-amz-date']);
    expect(await verdict(second ?? never())).toEqual(verified);
  });

  it('retries a 503 without Retry-After after a short backoff', async () => {
    const sent = answer(status(503, { message: 'm', code: 'credentials_unavailable' }), ok);
    await expect(client().getCryptogram(ids)).resolves.toEqual(seven);
    expect(sent()).toHaveLength(2);
  });

  it('stops after maxAttempts and reports the last answer', async () => {
    const sent = answer(status(503, { message: 'Retry shortly', code: 'service_unavailable' }, { 'retry-after': '0' }));
    const error = await failure(client({ maxAttempts: 3 }).getCryptogram(ids), CryptogramServiceError);
    expect(sent()).toHaveLength(3);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfterSeconds: 0, attempts: 3 });
    expect(error.retryable).toBe(true);
  });

  it('does not wait when Retry-After does not fit the budget, and says how long to wait', async () => {
    const sent = answer(status(429, { message: 'Too Many Requests', code: 'throttled' }, { 'retry-after': '30' }));
    const startedAtMs = Date.now();
    const error = await failure(client({ timeoutMs: 5000 }).getCryptogram(ids), CryptogramServiceError);
    expect(Date.now() - startedAtMs).toBeLessThan(4000);
    expect(sent()).toHaveLength(1);
    expect(error).toMatchObject({
      status: 429,
      code: 'throttled',
      retryAfterSeconds: 30,
      message: ERROR_CODES.throttled.message,
    });
  });

  it.each([
    [400, 'invalid_request'],
    [403, 'missing_authentication_token'],
    [404, 'instrument_not_found'],
    [500, 'internal_error'],
    [502, 'upstream_unavailable'],
    [504, 'upstream_timeout'],
  ] as const)('never retries a %i (%s) and surfaces its code and request id', async (code, errorCode) => {
    const sent = answer(status(code, { message: 'the service text', code: errorCode }, { 'x-request-id': 'svc-7' }));
    const error = await failure(client().getCryptogram({ ...ids, requestId: 'mine-7' }), CryptogramServiceError);
    expect(sent()).toHaveLength(1);
    expect(error).toMatchObject({
      status: code,
      code: errorCode,
      requestId: 'svc-7',
      message: ERROR_CODES[errorCode].message,
      attempts: 1,
    });
    expect(error.retryable).toBe(false);
  });

  it('keeps its own request id when the answer carries none', async () => {
    answer(status(403, { message: 'Missing Authentication Token', code: 'missing_authentication_token' }));
    const error = await failure(client().getCryptogram({ ...ids, requestId: 'mine-8' }), CryptogramServiceError);
    expect(error.requestId).toBe('mine-8');
  });
});

describe('failures without an answer', () => {
  it('times out within the caller budget, attempts included', async () => {
    answer(hang);
    const startedAtMs = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: undefined, code: CLIENT_ERROR_CODES.timeout, attempts: 1 });
    expect(Date.now() - startedAtMs).toBeLessThan(3000);
  });

  it('times out on an answer whose body stalls', async () => {
    answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"card_number":');
    });
    const error = await failure(client({ timeoutMs: 300 }).getCryptogram(ids), CryptogramServiceError);
    expect(error.code).toBe(CLIENT_ERROR_CODES.timeout);
  });

  it('stops when the caller aborts, during an attempt or a wait', async () => {
    answer(hang);
    const during = await failure(
      client().getCryptogram({ ...ids, signal: AbortSignal.timeout(100) }),
      CryptogramServiceError,
    );
    expect(during.code).toBe(CLIENT_ERROR_CODES.aborted);

    answer(status(429, { message: 'm', code: 'rate_limited' }, { 'retry-after': '5' }));
    const startedAtMs = Date.now();
    const waiting = await failure(
      client({ timeoutMs: 20_000 }).getCryptogram({ ...ids, signal: AbortSignal.timeout(300) }),
      CryptogramServiceError,
    );
    expect(waiting).toMatchObject({ code: CLIENT_ERROR_CODES.aborted, attempts: 1 });
    expect(Date.now() - startedAtMs).toBeLessThan(4000);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const sent = answer(ok);
    const error = await failure(
      client().getCryptogram({ ...ids, signal: AbortSignal.abort() }),
      CryptogramServiceError,
    );
    expect(error.code).toBe(CLIENT_ERROR_CODES.aborted);
    expect(sent()).toHaveLength(0);
  });

  it('reports a refused connection as network_error with its code, without retrying', async () => {
    const port = await deadPort();
    const error = await failure(
      createCryptogramClient({ baseUrl: `http://127.0.0.1:${port}/v1`, region: REGION, credentials }).getCryptogram(
        ids,
      ),
      CryptogramServiceError,
    );
    expect(error).toMatchObject({
      status: undefined,
      code: CLIENT_ERROR_CODES.network,
      networkErrorCode: 'ECONNREFUSED',
      attempts: 1,
    });
    expect(error.cause).toBeUndefined();
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await startTestServer((_req, res) => sendJson(res, 200, seven));
    try {
      answer((_req, res) => {
        res.writeHead(302, { location: `${elsewhere.origin}/v1/customers/x/instruments/y/cryptogram` });
        res.end();
      });
      const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
      expect(error.code).toBe(CLIENT_ERROR_CODES.network);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('reports missing AWS credentials without sending anything', async () => {
    const sent = answer(ok);
    const provider = async () => {
      throw new Error('Could not load credentials from any providers');
    };
    const error = await failure(client({ credentials: provider }).getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ code: CLIENT_ERROR_CODES.credentials, attempts: 0 });
    expect(sent()).toHaveLength(0);
  });
});

describe('what it refuses to send or use', () => {
  it.each([
    [{ customerId: 'a/b' }],
    [{ customerId: '' }],
    [{ instrumentId: '..' }],
    [{ instrumentId: 'x'.repeat(65) }],
    [{ requestId: 'has space' }],
  ])('refuses %j before sending anything', async (bad) => {
    const sent = answer(ok);
    const error = await failure(client().getCryptogram({ ...ids, ...bad }), CryptogramServiceError);
    expect(error).toMatchObject({ status: undefined, code: 'invalid_request', attempts: 0 });
    expect(sent()).toHaveLength(0);
  });

  it.each(['/customers/v1', '/customers'])(
    'takes the custom-domain base path %s, though it starts with customers',
    async (basePath) => {
      const sent = answer(ok);
      await client({ baseUrl: `${server.origin}${basePath}` }).getCryptogram(ids);
      expect(sent()[0]?.path).toBe(`${basePath}/customers/cust_1/instruments/${ids.instrumentId}/cryptogram`);
    },
  );

  it('refuses the method path with real ids on a custom domain too', () => {
    const baseUrl = `${server.origin}/v1/customers/cust_1/instruments/i1/cryptogram`;
    expect(() => createCryptogramClient({ baseUrl, region: REGION, credentials })).toThrow(/stack's BaseUrl output/);
  });

  it('refuses a plain http base URL that is not loopback', () => {
    expect(() => createCryptogramClient({ baseUrl: 'http://api.example.com/v1', region: REGION })).toThrow(/https/);
    expect(() =>
      createCryptogramClient({ baseUrl: 'https://a.execute-api.ap-south-1.amazonaws.com/v1', region: REGION }),
    ).not.toThrow();
  });

  const stage = 'https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/v1';
  it.each([
    ['the InvokeUrl output as it is', `${stage}/customers/{customer_id}/instruments/{instrument_id}/cryptogram`],
    ['a placeholder left in the host', 'https://{api-id}.execute-api.ap-south-1.amazonaws.com/v1'],
    ['a percent-encoded placeholder', `${stage}/%7Bstage%7D`],
    ['the method path with real ids', `${stage}/customers/cust_1/instruments/i1/cryptogram`],
    ['a path ending in /customers', `${stage}/customers`],
    ['a path ending in /customers/', `${stage}/customers/`],
    ['a method path cut after its instruments', `${stage}/customers/cust_1/instruments/`],
    ['a method path cut after the customer id', `${stage}/customers/cust_1`],
    [
      'a private API URL with the method path',
      `${stage.replace('.execute-api', '-vpce-0123456789abcdef0.execute-api')}/customers/c/instruments/i/cryptogram`,
    ],
    ['a query', `${stage}?stage=v1`],
    ['an empty query', `${stage}?`],
    ['a fragment', `${stage}#v1`],
    ['an empty fragment', `${stage}#`],
  ])('refuses %s as baseUrl with a message naming the BaseUrl output', (_case, baseUrl) => {
    const sent = answer(ok);
    expect(() => createCryptogramClient({ baseUrl, region: REGION, credentials })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining("stack's BaseUrl output") }),
    );
    expect(sent()).toHaveLength(0);
  });

  it('reports a 200 without a cryptogram as invalid_response, quoting none of it', async () => {
    answer(status(200, { ...seven, cryptogram: '  ' }));
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: 200, code: CLIENT_ERROR_CODES.invalidResponse });
    expect(`${error.message} ${JSON.stringify(error)} ${String(error.cause)}`).not.toContain(PAN);
  });

  it('reports a body that is not JSON as invalid_response, quoting none of it', async () => {
    answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"card_number":"${PAN}",`);
    });
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error.code).toBe(CLIENT_ERROR_CODES.invalidResponse);
    expect(`${error.message} ${JSON.stringify(error)} ${String(error.cause)}`).not.toContain(PAN);
  });

  it('reports an error page that is not the service JSON with its status', async () => {
    answer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: 502, code: CLIENT_ERROR_CODES.invalidResponse });
  });
});

function never(): never {
  throw new Error('no request was received');
}
