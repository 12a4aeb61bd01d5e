import { execFile } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CryptogramServiceError,
  createCryptogramClient,
  ERROR_CODES,
  MAX_ANSWER_BYTES,
  MAX_RETRY_AFTER_SECONDS,
  MAX_TIMEOUT_MS,
} from '../../client/src/index.ts';
import { failure } from '../support/failure.ts';
import { streamLazily } from '../support/hostile-behaviours.ts';
import { sendJson } from '../support/test-server.ts';
import { credentials, PAN, REGION, requiredFields, startServiceDouble } from './service-double.ts';

// The client against a service that misbehaves on purpose: what it reads, keeps and reports stays bounded.
const ids = { customerId: 'cust_1', instrumentId: 'i1' };
const cryptogram = requiredFields(ids.instrumentId);
const MB = 1024 * 1024;

const { server, answer } = await startServiceDouble();
const client = (timeoutMs = 5000) =>
  createCryptogramClient({ baseUrl: `${server.origin}/v1`, region: REGION, credentials, timeoutMs, maxAttempts: 1 });

// Whatever the client printed would end up in the caller's logs, next to card data.
const writes: unknown[] = [];
const warnings: Error[] = [];
const onWarning = (warning: Error) => void warnings.push(warning);
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args) => void writes.push(args));
  }
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => writes.push(chunk) > 0);
  process.on('warning', onWarning);
});
afterEach(() => {
  expect(writes).toEqual([]);
  expect(warnings.map((w) => w.name)).toEqual([]);
});
afterAll(async () => {
  process.off('warning', onWarning);
  vi.restoreAllMocks();
  await server.close();
});

describe('answers bigger than any the service gives', () => {
  const run = promisify(execFile);
  const measuredCall = async () => {
    const { stdout } = await run(process.execPath, [
      new URL('./measured-call.ts', import.meta.url).pathname,
      server.origin,
    ]);
    return JSON.parse(stdout) as { code: string; status?: number; elapsedMs: number; maxRssBytes: number };
  };
  let baselineRssBytes = 0;

  beforeAll(async () => {
    answer((_req, res) => sendJson(res, 200, cryptogram));
    const baseline = await measuredCall();
    expect(baseline.code).toBe('ok');
    baselineRssBytes = baseline.maxRssBytes;
  });

  // Before the cap, a 300 MB body took the caller to 1 GB, an endless one to 1.4 GB, a gzip bomb to 1.7 GB.
  it.each([
    [
      '300 MB declared in content-length',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(300 * MB) });
        return streamLazily(res, Buffer.alloc(MB, 0x20), 300 * MB);
      },
    ],
    [
      '300 MB chunked',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        return streamLazily(res, Buffer.alloc(MB, 0x20), 300 * MB);
      },
    ],
    [
      'an endless body',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        return streamLazily(res, Buffer.alloc(64 * 1024, 0x20));
      },
    ],
    [
      'an endless body on a 503',
      (res: ServerResponse) => {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        return streamLazily(res, Buffer.alloc(64 * 1024, 0x20));
      },
    ],
    [
      'a 0.5 MB gzip bomb that decodes to 500 MB, sent although the client asked for identity',
      (res: ServerResponse) => {
        // Gzip members may follow one another; a decoder decodes them all.
        const member = gzipSync(Buffer.alloc(MB), { level: 9 });
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return streamLazily(res, Buffer.concat(Array.from({ length: 500 }, () => member)), 1);
      },
    ],
  ])('stops reading %s and answers invalid_response, memory flat', async (_case, send) => {
    const sent: { bytes: number }[] = [];
    answer((_req, res) => void sent.push(send(res)));
    const result = await measuredCall();
    expect(result.code).toBe('invalid_response');
    expect(result.elapsedMs).toBeLessThan(3000);
    expect(result.maxRssBytes - baselineRssBytes).toBeLessThan(40 * MB);
    // The connection is closed, not drained: the server could not push much past the socket buffers.
    const sentBytes = sent.reduce((total, s) => total + s.bytes, 0);
    expect(sentBytes).toBeLessThan(64 * MB);
  });
});

describe('what the client reads', () => {
  it('asks for no compression, so that fetch does not decode one', async () => {
    const sent = answer((_req, res) => sendJson(res, 200, cryptogram));
    await client().getCryptogram(ids);
    expect(sent()[0]?.headers['accept-encoding']).toBe('identity');
  });

  it('refuses a compressed answer without decoding it, even a small valid one', async () => {
    answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(cryptogram)));
    });
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
  });

  it('reads an answer whose content-encoding says identity in any case or spacing', async () => {
    answer((_req, res) => sendJson(res, 200, cryptogram, { 'content-encoding': ' Identity ' }));
    await expect(client().getCryptogram(ids)).resolves.toEqual(cryptogram);
  });

  it('reads an answer of exactly MAX_ANSWER_BYTES and refuses one byte more', async () => {
    const body = (bytes: number) => {
      const text = JSON.stringify(cryptogram);
      return `${text.slice(0, -1)}${' '.repeat(bytes - text.length)}}`;
    };
    answer((_req, res) => res.end(body(MAX_ANSWER_BYTES)));
    await expect(client().getCryptogram(ids)).resolves.toEqual(cryptogram);
    answer((_req, res) => res.end(body(MAX_ANSWER_BYTES + 1)));
    expect(await failure(client().getCryptogram(ids), CryptogramServiceError)).toMatchObject({
      code: 'invalid_response',
      status: 200,
    });
  });

  it('refuses a declared length over the cap at once, without waiting for the body', async () => {
    answer((_req, res) => {
      res.writeHead(200, { 'content-length': String(MAX_ANSWER_BYTES + 1) });
      res.write('{');
    });
    const startedAtMs = Date.now();
    const error = await failure(client(5000).getCryptogram(ids), CryptogramServiceError);
    expect(error.code).toBe('invalid_response');
    expect(Date.now() - startedAtMs).toBeLessThan(2000);
  });
});

describe('Retry-After', () => {
  const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString();
  it.each([
    ['2', 2],
    ['0', 0],
    ['99999999999', MAX_RETRY_AFTER_SECONDS],
    ['9'.repeat(400), MAX_RETRY_AFTER_SECONDS],
    ['-5', undefined],
    ['1.5', undefined],
    ['+1', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['Infinity', undefined],
    ['1, 2', undefined],
    ['soon', undefined],
    ['Thu, 01 Jan 1970 00:00:00 GMT', undefined],
    ['Fri, 31 Feb 2098 10:00:00 GMT', undefined],
    ['2098-01-01T00:00:00Z', undefined],
  ])('reads %j as %j seconds', async (value, expected) => {
    answer((_req, res) => sendJson(res, 503, { message: 'm', code: 'service_unavailable' }, { 'retry-after': value }));
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfterSeconds: expected });
  });

  it('reads an HTTP-date as the whole seconds until it, at most the documented maximum', async () => {
    answer((_req, res) => sendJson(res, 429, { message: 'm', code: 'throttled' }, { 'retry-after': inSeconds(30) }));
    const near = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(near.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    expect(near.retryAfterSeconds).toBeLessThanOrEqual(31);
    answer((_req, res) =>
      sendJson(res, 429, { message: 'm', code: 'throttled' }, { 'retry-after': inSeconds(86_400) }),
    );
    expect((await failure(client().getCryptogram(ids), CryptogramServiceError)).retryAfterSeconds).toBe(
      MAX_RETRY_AFTER_SECONDS,
    );
  });

  it('does not wait out a huge Retry-After, and reports the clamped value', async () => {
    const sent = answer((_req, res) =>
      sendJson(res, 503, { message: 'm', code: 'service_unavailable' }, { 'retry-after': '99999999999' }),
    );
    const startedAtMs = Date.now();
    const error = await failure(
      createCryptogramClient({ baseUrl: server.origin, region: REGION, credentials, timeoutMs: 5000 }).getCryptogram(
        ids,
      ),
      CryptogramServiceError,
    );
    expect(Date.now() - startedAtMs).toBeLessThan(2000);
    expect(sent()).toHaveLength(1);
    expect(error.retryAfterSeconds).toBe(MAX_RETRY_AFTER_SECONDS);
  });
});

describe('timeoutMs', () => {
  it.each([2 ** 31, 2 ** 40, Number.POSITIVE_INFINITY, Number.NaN, 0, -1])(
    'refuses %d with a TypeError',
    (timeoutMs) => {
      expect(() => createCryptogramClient({ baseUrl: server.origin, region: REGION, credentials, timeoutMs })).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(String(MAX_TIMEOUT_MS)) }),
      );
    },
  );

  it('takes the longest timer Node holds and calls without a TimeoutOverflowWarning', async () => {
    const sent = answer((_req, res) => sendJson(res, 200, cryptogram));
    await expect(client(MAX_TIMEOUT_MS).getCryptogram(ids)).resolves.toEqual(cryptogram);
    expect(sent()).toHaveLength(1);
  });
});

describe('what the client keeps of an answer', () => {
  it('never copies the service message into the error, even one carrying a PAN', async () => {
    answer((_req, res) =>
      sendJson(res, 404, { message: `No card ${PAN} for cust_1`, code: 'instrument_not_found', extra: PAN }),
    );
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: 404, code: 'instrument_not_found' });
    expect(error.message).toBe(ERROR_CODES.instrument_not_found.message);
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.cause)}`).not.toContain(PAN);
  });

  it.each([
    ['a PAN', PAN],
    ['an undocumented code', 'not_found'],
    ['a code with a message in it', `instrument_not_found: ${PAN}`],
    ['a documented code at another status', 'rate_limited'],
    ['a code only the client raises', 'client_timeout'],
    ['a code that is not a string', 404],
  ])('answers invalid_response for %s as code', async (_case, code) => {
    answer((_req, res) => sendJson(res, 404, { message: 'm', code }));
    const error = await failure(client().getCryptogram(ids), CryptogramServiceError);
    expect(error).toMatchObject({ status: 404, code: 'invalid_response' });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(PAN);
  });

  const longId = 'a'.repeat(10 * 1024);
  it.each([
    ['the function x-request-id', { 'x-request-id': 'fn-id', 'x-amzn-requestid': 'gw-id' }, 'gw-body-id', 'fn-id'],
    ['the refusal body requestId', { 'x-request-id': longId, 'x-amzn-requestid': 'gw-id' }, 'gw-body-id', 'gw-body-id'],
    ['API Gateway x-amzn-RequestId', { 'x-request-id': 'has space', 'x-amzn-requestid': 'gw-id' }, longId, 'gw-id'],
    ['the id the client sent', { 'x-request-id': longId, 'x-amzn-requestid': 'x'.repeat(129) }, longId, 'mine-1'],
  ])('reports %s as requestId when the ids before it lack the id shape', async (_case, headers, bodyId, expected) => {
    answer((_req, res) =>
      sendJson(res, 403, { message: 'm', code: 'access_denied', requestId: bodyId }, headers as Record<string, string>),
    );
    const error = await failure(client().getCryptogram({ ...ids, requestId: 'mine-1' }), CryptogramServiceError);
    expect(error.requestId).toBe(expected);
  });
});
