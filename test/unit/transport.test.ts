import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INFORMATIONAL_ANSWERS } from '../../lambda/exchange.ts';
import { createTransport, MAX_BODY_BYTES, type Transport, type TransportResult } from '../../lambda/transport.ts';
import { streamLazily } from '../support/hostile-behaviours.ts';
import {
  deadPort,
  eventually,
  startSilentServer,
  startTestServer,
  type TestHandler,
  type TestServer,
  type TestServerOptions,
} from '../support/test-server.ts';
import { createThrowawayCa, type ServerCertificate, type ThrowawayCa } from '../support/throwaway-ca.ts';

const SECRET = 'cfsk_ma_test_0123456789abcdef_secret';
const HEADERS = { accept: 'application/json', 'x-client-id': 'app-id', 'x-client-secret': SECRET };
const MB = 1024 * 1024;
const GB = 1024 * MB;
const ANSWER = JSON.stringify({ cryptogram: 'AQBBBBBBZatIlaIAmWKSghwBBBB=', card_number: '4491365621601472' });

let ca: ThrowawayCa;
let untrustedCa: ThrowawayCa;
let cert: ServerCertificate;
const originalCas = getCACertificates('default');
const cleanups: (() => unknown)[] = [];

beforeAll(() => {
  ca = createThrowawayCa();
  untrustedCa = createThrowawayCa('a CA nobody trusts');
  cert = ca.issue();
  // In-process trust for this test file only; production code takes no `ca` option.
  setDefaultCACertificates([...originalCas, ca.certPem]);
});

afterAll(() => {
  setDefaultCACertificates(originalCas);
  ca.dispose();
  untrustedCa.dispose();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function transport(options?: Parameters<typeof createTransport>[0]): Transport {
  const created = createTransport(options);
  cleanups.push(() => created.close());
  return created;
}

async function server(handler: TestHandler, options: TestServerOptions = { tls: cert }): Promise<TestServer> {
  const started = await startTestServer(handler, options);
  cleanups.push(() => started.close());
  return started;
}

const ok = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(ANSWER);
};

function get(client: Transport, url: URL, overrides: { timeoutMs?: number; maxBodyBytes?: number } = {}) {
  return client.request({ url, headers: HEADERS, timeoutMs: 5000, maxBodyBytes: MAX_BODY_BYTES, ...overrides });
}

function expectResponse(result: TransportResult) {
  if (result.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(result)}`);
  return result;
}

const activeTimers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

describe('answers', () => {
  it('returns the status, lower-case headers with repeats joined, and the body over TLS', async () => {
    // Prepare
    const upstream = await server((_request, response) => {
      response.setHeader('X-RateLimit-Remaining', '399');
      response.setHeader('x-repeated', ['one', 'two']);
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"code":"instrument_not_found"}');
    });

    // Act
    const result = expectResponse(await get(transport(), upstream.url('/pg/x')));

    // Assess
    expect(result).toMatchObject({ status: 404, body: '{"code":"instrument_not_found"}', bodyTruncated: false });
    expect(result.headers['x-ratelimit-remaining']).toBe('399');
    expect(result.headers['x-repeated']).toBe('one, two');
    expect(result.freshConnectionRetry).toBe(false);
  });

  it('sends the given headers and asks for no compression', async () => {
    const upstream = await server(ok);

    await get(transport(), upstream.url());

    const seen = upstream.requests[0]?.headers;
    expect(seen).toMatchObject({ 'x-client-id': 'app-id', 'x-client-secret': SECRET, accept: 'application/json' });
    expect(seen?.['accept-encoding']).toBeUndefined();
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a %s body', async (encoding, compress) => {
    const upstream = await server((_request, response) => {
      response.writeHead(200, { 'content-encoding': encoding });
      response.end(compress(Buffer.from(ANSWER)));
    });

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(result.body).toBe(ANSWER);
  });

  it('keeps the status and reports an empty body when the body cannot be decoded', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(404, { 'content-encoding': 'gzip' });
      response.end('not gzip at all');
    });

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(result).toMatchObject({ status: 404, body: '', bodyTruncated: false, bodyUndecodable: true });
  });

  it('reports an unknown content-encoding as an undecodable body, status kept', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(503, { 'content-encoding': 'zstd' });
      response.end('whatever');
    });

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(result).toMatchObject({ status: 503, body: '', bodyUndecodable: true });
  });
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('returns a %i at its headers and sends nothing to Location', async (status) => {
    // Prepare: the redirect's body never ends, so waiting for it would show as a timeout.
    const elsewhere = await server(ok, {});
    const upstream = await server((_request, response) => {
      response.writeHead(status, { location: elsewhere.url('/steal').href });
      response.write('<html>Moved');
    });

    // Act
    const result = expectResponse(await get(transport(), upstream.url(), { timeoutMs: 2000 }));

    // Assess
    expect(result).toMatchObject({ status, body: '' });
    expect(result.headers.location).toBe(elsewhere.url('/steal').href);
    await sleep(50);
    expect(elsewhere.connections).toBe(0);
  });
});

describe('bounded reads', () => {
  it('reads nothing of a body whose content-length is over the cap, keeps its status and drops the connection', async () => {
    // Prepare
    const upstream = await server((request, response) => {
      if (request.url === '/small') return ok(request, response);
      response.writeHead(404, { 'content-length': String(200 * MB) });
      streamLazily(response, Buffer.alloc(64 * 1024, 'x'), 200 * MB);
    });
    const client = transport();
    const rssBefore = process.memoryUsage().rss;

    // Act
    const result = expectResponse(await get(client, upstream.url('/huge')));
    const next = expectResponse(await get(client, upstream.url('/small')));

    // Assess
    expect(result).toMatchObject({ status: 404, body: '', bodyTruncated: true });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * MB);
    expect(next.status).toBe(200);
    expect(upstream.connections).toBe(2);
  });

  it('answers at the headers when content-length is over the cap, without waiting for the body', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(200, { 'content-length': String(MAX_BODY_BYTES + 1) });
      response.write('{"card_number":"');
    });

    const result = await get(transport(), upstream.url(), { timeoutMs: 2000 });

    expect(result).toMatchObject({ kind: 'response', status: 200, body: '', bodyTruncated: true });
  });

  it('stops reading a chunked 1 GB body at the cap', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(200);
      streamLazily(response, Buffer.alloc(64 * 1024, 'x'), GB);
    });
    const rssBefore = process.memoryUsage().rss;

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(result).toMatchObject({ status: 200, body: '', bodyTruncated: true });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * MB);
    await eventually(() => upstream.events.includes('close'));
  });

  it('stops inflating a gzip body that would inflate to 1 GB at the cap', async () => {
    // Prepare: 64 gzip members of 16 MB of zeros each, about 1 MB on the wire.
    const member = gzipSync(Buffer.alloc(16 * MB));
    const upstream = await server((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      streamLazily(response, member, 64 * member.length);
    });
    const rssBefore = process.memoryUsage().rss;

    // Act
    const result = expectResponse(await get(transport(), upstream.url()));

    // Assess
    expect(result).toMatchObject({ status: 200, body: '', bodyTruncated: true });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * MB);
  });

  it('stops decoding a small br body that would decode past the cap', async () => {
    const bomb = brotliCompressSync(Buffer.alloc(MB));
    const upstream = await server((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'br', 'content-length': String(bomb.length) });
      response.end(bomb);
    });

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    expect(result).toMatchObject({ body: '', bodyTruncated: true });
  });

  it('reads a chunked body of exactly the cap and refuses one byte more', async () => {
    const upstream = await server((request, response) => {
      const size = request.url === '/exact' ? 1000 : 1001;
      response.writeHead(200);
      response.write('a'.repeat(500));
      response.end('b'.repeat(size - 500));
    });
    const client = transport();

    const exact = expectResponse(await get(client, upstream.url('/exact'), { maxBodyBytes: 1000 }));
    const over = expectResponse(await get(client, upstream.url('/over'), { maxBodyBytes: 1000 }));

    expect(exact).toMatchObject({ bodyTruncated: false });
    expect(exact.body).toHaveLength(1000);
    expect(over).toMatchObject({ body: '', bodyTruncated: true });
  });

  it('times out on a chunked body that stalls mid-way and drops the connection', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(200);
      response.write('{"card_number":"44913656');
    });

    const result = await get(transport(), upstream.url(), { timeoutMs: 300 });

    expect(result).toEqual({ kind: 'timeout', answered: true, freshConnectionRetry: false });
    await eventually(() => upstream.events.includes('close'));
  });
});

describe('time bound', () => {
  it('answers a timeout within the budget when the server never answers, as not answered', async () => {
    const upstream = await server(() => {});
    const startedAtMs = Date.now();

    const result = await get(transport(), upstream.url(), { timeoutMs: 200 });

    expect(result).toEqual({ kind: 'timeout', answered: false, freshConnectionRetry: false });
    expect(Date.now() - startedAtMs).toBeLessThan(2000);
  });

  it('reports a timeout after a 103 Early Hints as answered', async () => {
    const upstream = await server((_request, response) => response.writeEarlyHints({ link: '</x>; rel=preload' }));

    const result = await get(transport(), upstream.url(), { timeoutMs: 300 });

    expect(result).toEqual({ kind: 'timeout', answered: true, freshConnectionRetry: false });
  });

  it('times out when the TLS handshake never completes', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());

    const result = await get(transport(), silent.url('https'), { timeoutMs: 200 });

    expect(result.kind).toBe('timeout');
    await eventually(() => silent.closed === 1);
  });

  it('leaves no timer behind on any path', async () => {
    // Prepare: with a 60 s budget a timer left behind would still be pending at the end.
    const upstream = await server((request, response) => {
      if (request.url === '/reset') return request.socket.destroy();
      ok(request, response);
    });
    const dead = new URL(`https://127.0.0.1:${await deadPort()}`);
    const client = transport();
    await get(client, upstream.url());
    const before = activeTimers();

    // Act
    const results = [
      await get(client, upstream.url(), { timeoutMs: 60_000 }),
      await get(client, upstream.url('/reset'), { timeoutMs: 60_000 }),
      await get(client, dead, { timeoutMs: 60_000 }),
      await get(client, upstream.url(), { timeoutMs: 60_000, maxBodyBytes: 10 }),
    ];
    await client.preconnect(upstream.url(), 60_000);
    await client.preconnect(dead, 60_000);

    // Assess
    expect(results.map((result) => result.kind)).toEqual(['response', 'network', 'network', 'response']);
    expect(activeTimers()).toBe(before);
  });
});

describe('informational answers', () => {
  it(`reads the answer after ${MAX_INFORMATIONAL_ANSWERS} informational answers`, async () => {
    const upstream = await server((request, response) => {
      for (let i = 0; i < MAX_INFORMATIONAL_ANSWERS; i++) response.writeProcessing();
      ok(request, response);
    });

    const result = expectResponse(await get(transport(), upstream.url()));

    expect(result).toMatchObject({ status: 200, body: ANSWER });
  });

  it('drops the exchange at the first informational answer over the cap, whatever follows', async () => {
    const upstream = await server((request, response) => {
      for (let i = 0; i <= MAX_INFORMATIONAL_ANSWERS; i++) response.writeProcessing();
      ok(request, response);
    });

    const result = await get(transport(), upstream.url());

    expect(result).toEqual({ kind: 'informational_flood', freshConnectionRetry: false });
    await eventually(() => upstream.events.includes('close'));
  });

  it('stops an endless stream of 102 Processing at once, with the CPU time bounded', async () => {
    // Prepare: 102 Processing as fast as the socket takes it, until the client leaves.
    const processing = Buffer.from('HTTP/1.1 102 Processing\r\n\r\n'.repeat(1000));
    let written = 0;
    const upstream = await server((request) => {
      const socket = request.socket;
      const pump = () => {
        while (!socket.destroyed && socket.write(processing)) written += processing.length;
        if (!socket.destroyed) socket.once('drain', pump);
      };
      socket.on('error', () => {});
      pump();
    });
    const cpuBefore = process.cpuUsage();
    const startedAtMs = Date.now();

    // Act
    const result = await get(transport(), upstream.url(), { timeoutMs: 3000 });

    // Assess: the old transport read 102s for the whole 3 s, with a core busy throughout.
    const elapsedMs = Date.now() - startedAtMs;
    const cpu = process.cpuUsage(cpuBefore);
    expect(result).toEqual({ kind: 'informational_flood', freshConnectionRetry: false });
    expect(elapsedMs).toBeLessThan(1000);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1000);
    expect(written).toBeGreaterThan(0);
  });
});

describe('network errors', () => {
  it('reports a refused connection by its code only', async () => {
    const result = await get(transport(), new URL(`https://127.0.0.1:${await deadPort()}`));

    expect(result).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
      certificate: false,
      answered: false,
      freshConnectionRetry: false,
    });
  });

  it('reports a certificate from an untrusted CA as a certificate failure', async () => {
    const upstream = await server(ok, { tls: untrustedCa.issue() });

    const result = await get(transport(), upstream.url());

    expect(result).toMatchObject({ kind: 'network', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', certificate: true });
    expect(upstream.requests).toHaveLength(0);
  });

  it('reports a certificate for another name as a certificate failure', async () => {
    const upstream = await server(ok, { tls: ca.issue(['api.cashfree.example']) });

    const result = await get(transport(), upstream.url());

    expect(result).toMatchObject({ kind: 'network', code: 'ERR_TLS_CERT_ALTNAME_INVALID', certificate: true });
    expect(upstream.requests).toHaveLength(0);
  });

  it('resolves, without the secret, when a header value is invalid', async () => {
    const upstream = await server(ok);

    const result = await transport().request({
      url: upstream.url(),
      headers: { 'x-client-secret': `${SECRET}\r\nx-injected: 1` },
      timeoutMs: 1000,
      maxBodyBytes: MAX_BODY_BYTES,
    });

    expect(result).toMatchObject({ kind: 'network', code: 'ERR_INVALID_CHAR', certificate: false });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(upstream.connections).toBe(0);
  });

  it('refuses a protocol other than https and http', async () => {
    const result = await get(transport(), new URL('ftp://127.0.0.1/'));

    expect(result).toMatchObject({ kind: 'network', code: 'ERR_INVALID_PROTOCOL' });
  });
});

describe('keep-alive pool', () => {
  it('carries sequential requests on one connection and one TLS handshake', async () => {
    const upstream = await server(ok);
    const client = transport();

    for (let i = 0; i < 10; i++) expectResponse(await get(client, upstream.url()));

    expect(upstream.connections).toBe(1);
    expect(upstream.handshakes).toBe(1);
  });

  // These wait real seconds, so they run side by side, each cleaning up after itself.
  describe.concurrent('idle connections', () => {
    it('keeps an idle connection longer than the 4 s fetch keeps it', async () => {
      const upstream = await startTestServer(ok, { tls: cert });
      const client = createTransport();
      try {
        await get(client, upstream.url());

        await sleep(4500);
        expectResponse(await get(client, upstream.url()));

        expect(upstream.handshakes).toBe(1);
      } finally {
        client.close();
        await upstream.close();
      }
    });

    it('lets a shorter Keep-Alive hint from the server win over the idle timeout', async () => {
      // Prepare: the server announces `Keep-Alive: timeout=2`; the Agent keeps the socket 1 s less than that.
      const upstream = await startTestServer(ok, { tls: cert, keepAliveTimeoutMs: 2000 });
      const client = createTransport();
      try {
        await get(client, upstream.url());

        // Act
        await sleep(200);
        await get(client, upstream.url());
        const afterShortPause = upstream.handshakes;
        await sleep(1500);
        const last = expectResponse(await get(client, upstream.url()));

        // Assess
        expect(last.headers['keep-alive']).toBe('timeout=2');
        expect(afterShortPause).toBe(1);
        expect(upstream.handshakes).toBe(2);
        expect(last.freshConnectionRetry).toBe(false);
      } finally {
        client.close();
        await upstream.close();
      }
    });

    it('closes connections idle for longer than idleTimeoutMs', async () => {
      const upstream = await startTestServer(ok, { tls: cert });
      const client = createTransport({ idleTimeoutMs: 300 });
      try {
        await get(client, upstream.url());

        await eventually(() => upstream.events.includes('close'));
        expectResponse(await get(client, upstream.url()));

        expect(upstream.handshakes).toBe(2);
      } finally {
        client.close();
        await upstream.close();
      }
    });
  });
});

describe('stale connections', () => {
  // What a NAT, a load balancer or a Lambda freeze leaves behind: the connection looks open, the peer is gone.
  const dropsReusedConnections: TestHandler = (request, response, { onConnection }) => {
    if (onConnection > 1) return request.socket.destroy();
    ok(request, response);
  };

  it('retries once on a new connection when a reused one fails before any answer', async () => {
    const upstream = await server(dropsReusedConnections);
    const client = transport();
    await get(client, upstream.url());

    const result = expectResponse(await get(client, upstream.url()));

    expect(result).toMatchObject({ status: 200, body: ANSWER, freshConnectionRetry: true });
    expect(upstream.connections).toBe(2);
  });

  it('drops the other idle connections to the origin before retrying', async () => {
    // Prepare: two concurrent calls leave two pooled connections, both of which the server then drops.
    const upstream = await server(dropsReusedConnections);
    const client = transport();
    await Promise.all([get(client, upstream.url()), get(client, upstream.url())]);

    // Act
    const result = expectResponse(await get(client, upstream.url()));

    // Assess
    expect(result).toMatchObject({ status: 200, freshConnectionRetry: true });
    expect(upstream.connections).toBe(3);
  });

  it('returns a failure on a fresh connection as it is', async () => {
    const upstream = await server((request) => request.socket.destroy());

    const result = await get(transport(), upstream.url());

    expect(result).toMatchObject({ kind: 'network', code: 'ECONNRESET', answered: false, freshConnectionRetry: false });
    expect(upstream.connections).toBe(1);
  });

  it('retries only once', async () => {
    const upstream = await server((request, response) => {
      if (upstream.requests.length > 1) return request.socket.destroy();
      ok(request, response);
    });
    const client = transport();
    await get(client, upstream.url());

    const result = await get(client, upstream.url());

    expect(result).toMatchObject({ kind: 'network', code: 'ECONNRESET', freshConnectionRetry: true });
    expect(upstream.connections).toBe(2);
  });

  it('does not retry when the connection fails after the answer began', async () => {
    const upstream = await server((request, response, { onConnection }) => {
      if (onConnection === 1) return ok(request, response);
      response.writeHead(200);
      response.write('{"card_');
      setTimeout(() => request.socket.destroy(), 20);
    });
    const client = transport();
    await get(client, upstream.url());

    const result = await get(client, upstream.url());

    expect(result).toMatchObject({ kind: 'network', answered: true, freshConnectionRetry: false });
    expect(upstream.connections).toBe(1);
  });

  it.each([
    ['a partial status line', (socket: NodeJS.WritableStream) => socket.write('HTTP/1.1 200 OK\r\nContent-Ty')],
    ['a 103 Early Hints', (socket: NodeJS.WritableStream) => socket.write('HTTP/1.1 103 Early Hints\r\n\r\n')],
  ])('does not resend once the server sent %s on a reused connection: it got the request', async (_, answerBegins) => {
    const upstream = await server((request, response, { onConnection }) => {
      if (onConnection === 1) return ok(request, response);
      answerBegins(request.socket);
      setTimeout(() => request.socket.destroy(), 20);
    });
    const client = transport();
    await get(client, upstream.url());

    const result = await get(client, upstream.url());

    expect(result).toMatchObject({ kind: 'network', answered: true, freshConnectionRetry: false });
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.connections).toBe(1);
  });

  it('succeeds without an error when the server closed the idle connection in between', async () => {
    const upstream = await server((request, response) => {
      ok(request, response);
      response.on('finish', () => setImmediate(() => request.socket.end()));
    });
    const client = transport();
    await get(client, upstream.url());
    await eventually(() => upstream.events.includes('close'));

    const result = expectResponse(await get(client, upstream.url()));

    expect(result.status).toBe(200);
    expect(upstream.connections).toBe(2);
  });
});

describe('preconnect', () => {
  it('does the TLS handshake ahead, and the first request uses that connection', async () => {
    // Prepare
    const upstream = await server(ok);
    const client = transport();

    // Act: the server finishes its side of a TLS 1.3 handshake just after the client does.
    await client.preconnect(upstream.url(), 2000);
    await eventually(() => upstream.handshakes === 1);
    const eventsBeforeRequest = [...upstream.events];
    const result = expectResponse(await get(client, upstream.url('/pg/customers/c/instruments/i/cryptogram')));

    // Assess
    expect(eventsBeforeRequest).toEqual(['connection', 'handshake']);
    expect(result).toMatchObject({ status: 200, freshConnectionRetry: false });
    expect(upstream.events).toEqual(['connection', 'handshake', 'request']);
  });

  it('sends no byte of HTTP, so no header and no secret', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const client = transport();

    await client.preconnect(silent.url('http'), 1000);
    await sleep(50);

    expect(silent.connections).toBe(1);
    expect(silent.bytesReceived).toBe(0);
  });

  it('gives up within its bound when the handshake never completes, and closes the socket', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const startedAtMs = Date.now();

    await transport().preconnect(silent.url('https'), 200);

    expect(Date.now() - startedAtMs).toBeLessThan(2000);
    await eventually(() => silent.closed === 1);
  });

  it('resolves for a dead port, and the request then fails as it would without it', async () => {
    const client = transport();
    const dead = new URL(`https://127.0.0.1:${await deadPort()}`);

    await expect(client.preconnect(dead, 1000)).resolves.toBeUndefined();
    const result = await get(client, dead);

    expect(result).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', freshConnectionRetry: false });
  });

  it('resolves for an untrusted certificate, and the request reports it', async () => {
    const upstream = await server(ok, { tls: untrustedCa.issue() });
    const client = transport();

    await client.preconnect(upstream.url(), 1000);
    const result = await get(client, upstream.url());

    expect(result).toMatchObject({ kind: 'network', certificate: true });
  });

  it('retries on a new connection when the preconnected one was dropped unnoticed', async () => {
    // Prepare: the server drops the preconnected connection at its first request, as after a long freeze.
    const upstream = await server((request, response) => {
      if (upstream.connections === 1) return request.socket.destroy();
      ok(request, response);
    });
    const client = transport();
    await client.preconnect(upstream.url(), 1000);

    // Act
    const result = expectResponse(await get(client, upstream.url()));

    // Assess
    expect(result).toMatchObject({ status: 200, freshConnectionRetry: true });
    expect(upstream.connections).toBe(2);
  });
});

describe('close', () => {
  it('destroys pooled and preconnected connections', async () => {
    const upstream = await server(ok);
    const other = await server(ok);
    const client = createTransport();
    await get(client, upstream.url());
    await client.preconnect(other.url(), 1000);

    client.close();

    await eventually(() => upstream.events.includes('close') && other.events.includes('close'));
  });
});
