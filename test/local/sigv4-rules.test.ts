import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import {
  type LocalIam,
  type LocalIamCredentials,
  MAX_REQUEST_BODY_BYTES,
  newLocalIamCredentials,
  startLocalApi,
} from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { demo, setUp } from '../support/handler-harness.ts';
import { type RawRequest, sendHeadOnly, sendRaw } from './raw-http.ts';

// The local gateway refuses what API Gateway refuses, one row per rule, each naming where the rule is written:
//   SigV4 = AWS IAM User Guide, "Create a signed AWS API request" (steps 1 to 6) and "Elements of an AWS API
//   request signature"; quotas = API Gateway Developer Guide, "Amazon API Gateway quotas" and "Gateway
//   response types". Requests go out over a raw socket, so nothing (fetch, URL parsing) tidies them first.
const ctx = await setUp();
const iam: LocalIam = { region: 'ap-south-1', credentials: newLocalIamCredentials() };
let api: RunningServer;
let invocations = 0;

beforeAll(async () => {
  const real = await ctx.loadHandler();
  api = await startLocalApi({
    handler: (event, context) => {
      invocations += 1;
      return real(event, context);
    },
    iam,
  });
});

afterAll(async () => {
  await api.close();
});

const demoPath = `/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`;
const ownHost = () => `127.0.0.1:${api.port}`;

interface Signing {
  path?: string;
  query?: Record<string, string>;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  credentials?: LocalIamCredentials;
  /** false signs the path as given, without the SDK's dot-segment resolution and second encoding. */
  sdkPathHandling?: boolean;
  /** false leaves x-amz-content-sha256 out (the body hash is then only inside the signature). */
  bodyHashHeader?: boolean;
}

/** The headers a caller's AWS SDK would send for this request, Host included, in the SDK's order. */
async function signed(signing: Signing = {}): Promise<[string, string][]> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: iam.region,
    credentials: signing.credentials ?? iam.credentials,
    sha256: Sha256,
    uriEscapePath: signing.sdkPathHandling ?? true,
    applyChecksum: signing.bodyHashHeader ?? true,
  });
  const request = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: signing.path ?? demoPath,
    query: signing.query ?? {},
    headers: { host: signing.host ?? ownHost(), ...signing.headers },
    ...(signing.body !== undefined && { body: signing.body }),
  });
  return Object.entries(request.headers);
}

const editAuthorization = (headers: [string, string][], edit: (value: string) => string): [string, string][] =>
  headers.map(([name, value]) => [name, name === 'authorization' ? edit(value) : value]);

const headerValue = (headers: [string, string][], name: string) => headers.find(([n]) => n === name)?.[1] ?? '';

interface Row {
  name: string;
  rule: string;
  request: () => Promise<RawRequest>;
  status: number;
  code?: string;
}

const accepted = (name: string, rule: string, request: Row['request'], status = 200, code?: string): Row => ({
  name,
  rule,
  request,
  status,
  ...(code && { code }),
});
const refused = (name: string, rule: string, request: Row['request'], refusal: { status: number; code: string }) => ({
  name,
  rule,
  request,
  status: refusal.status,
  code: refusal.code,
});
const REQUEST_REFUSED_403 = { status: 403, code: GATEWAY_REFUSALS.default4xx.code };

const rows: Row[] = [
  accepted('a request signed by the AWS SDK', 'SigV4 steps 1-6', async () => ({
    target: demoPath,
    headers: await signed(),
  })),
  refused(
    'a credential scope dated another day than x-amz-date',
    'SigV4 step 3: the credential scope is date/region/service/aws4_request, with the date of x-amz-date',
    async () => ({
      target: demoPath,
      headers: editAuthorization(await signed(), (value) => value.replace(/\/\d{8}\//, '/20200101/')),
    }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'a SignedHeaders list naming a header the request does not carry',
    'SigV4 step 1: SignedHeaders lists the headers of CanonicalHeaders, each taken from the request',
    async () => ({
      target: demoPath,
      headers: editAuthorization(await signed(), (value) =>
        value.replace(/SignedHeaders=([^,]+)/, 'SignedHeaders=$1;x-custom'),
      ),
    }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  accepted(
    'a body whose x-amz-content-sha256 is its hash',
    'SigV4 step 1: HashedPayload is the hash of the body',
    async () => ({ target: demoPath, headers: await signed({ body: 'abc' }), body: Buffer.from('abc') }),
  ),
  accepted(
    'a body signed over its hash without x-amz-content-sha256',
    'SigV4 step 1: HashedPayload is the hash of the body',
    async () => ({
      target: demoPath,
      headers: await signed({ body: 'abc', bodyHashHeader: false }),
      body: Buffer.from('abc'),
    }),
  ),
  refused(
    'an x-amz-content-sha256 that is not the hash of the body sent',
    'SigV4 step 1: HashedPayload is the hash of the body',
    async () => {
      const emptyBodyHash = headerValue(await signed(), 'x-amz-content-sha256');
      const headers = await signed({ body: 'abc', headers: { 'x-amz-content-sha256': emptyBodyHash } });
      return { target: demoPath, headers, body: Buffer.from('abc') };
    },
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'a body other than the one signed, with no body hash header',
    'SigV4 step 1: HashedPayload is the hash of the body',
    async () => ({ target: demoPath, headers: await signed({ bodyHashHeader: false }), body: Buffer.from('abc') }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'a session token sent with a long-term access key',
    'SigV4 elements: x-amz-security-token only for temporary credentials, and it must be theirs',
    async () => ({
      target: demoPath,
      headers: await signed({ credentials: { ...iam.credentials, sessionToken: 'junk-token' } }),
    }),
    REQUEST_REFUSED_403,
  ),
  refused(
    'a Host naming another API, signed as such',
    'API Gateway: a REST API is reached at its own host name; another Host is another API',
    async () => {
      const host = 'a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com';
      return { target: demoPath, headers: await signed({ host }) };
    },
    REQUEST_REFUSED_403,
  ),
  accepted('this server reached as localhost', 'API Gateway: a REST API is reached at its own host name', async () => {
    const host = `localhost:${api.port}`;
    return { target: demoPath, headers: await signed({ host }) };
  }),
  refused(
    'a dot segment in the path, signed over the path the SDK resolves it to',
    'SigV4 step 1: CanonicalUri is the path of the request; the router matches the path as sent',
    async () => {
      const path = `/customers/./instruments/${demo.instrumentId}/cryptogram`;
      return { target: path, headers: await signed({ path }) };
    },
    GATEWAY_REFUSALS.invalidSignature,
  ),
  accepted(
    'a dot segment signed over the path exactly as sent (the function then refuses the id)',
    'SigV4 step 1: CanonicalUri is the path of the request; the router matches the path as sent',
    async () => {
      const path = `/customers/./instruments/${demo.instrumentId}/cryptogram`;
      return { target: path, headers: await signed({ path, sdkPathHandling: false }) };
    },
    400,
    'invalid_request',
  ),
  accepted(
    'a percent-encoded dot, which is no dot segment to SigV4 (the function decodes and refuses it)',
    'SigV4 step 1: each path segment is URI-encoded twice, never decoded',
    async () => {
      const path = `/customers/%2e/instruments/${demo.instrumentId}/cryptogram`;
      return { target: path, headers: await signed({ path }) };
    },
    400,
    'invalid_request',
  ),
  accepted(
    'a query value b+c sent as b%2Bc',
    'SigV4 step 1: CanonicalQueryString URI-encodes each decoded name and value',
    async () => ({ target: `${demoPath}?a=b%2Bc`, headers: await signed({ query: { a: 'b+c' } }) }),
  ),
  accepted(
    'a query value b+c sent with a plain +',
    'RFC 3986 §2: "+" is a character of its own; SigV4 does not read queries as form data',
    async () => ({ target: `${demoPath}?a=b+c`, headers: await signed({ query: { a: 'b+c' } }) }),
  ),
  refused(
    'a query value signed as "b c" but sent as b+c',
    'SigV4 step 1: CanonicalQueryString encodes a space as %20, and "+" is not a space',
    async () => ({ target: `${demoPath}?a=b+c`, headers: await signed({ query: { a: 'b c' } }) }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  accepted(
    'a query value "b c" sent as b%20c',
    'SigV4 step 1: CanonicalQueryString encodes a space as %20',
    async () => ({ target: `${demoPath}?a=b%20c`, headers: await signed({ query: { a: 'b c' } }) }),
  ),
  refused(
    'a query with a malformed percent-encoding',
    'SigV4 step 1: CanonicalQueryString decodes each name and value',
    async () => ({ target: `${demoPath}?a=%zz`, headers: await signed() }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'two Authorization headers, the first one valid',
    'SigV4 step 6: the signature goes in the Authorization header',
    async () => {
      const headers = await signed();
      return { target: demoPath, headers: [...headers, ['authorization', 'AWS4-HMAC-SHA256 junk']] };
    },
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'Signature= twice, the last one valid',
    'SigV4 elements: Authorization holds Credential, SignedHeaders and Signature, one each',
    async () => ({
      target: demoPath,
      headers: editAuthorization(await signed(), (value) =>
        value.replace('Signature=', `Signature=${'0'.repeat(64)}, Signature=`),
      ),
    }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'Credential= twice',
    'SigV4 elements: Authorization holds Credential, SignedHeaders and Signature, one each',
    async () => ({
      target: demoPath,
      headers: editAuthorization(await signed(), (value) => {
        const credential = /Credential=[^,]+/.exec(value)?.[0] ?? '';
        return value.replace(credential, `${credential}, ${credential}`);
      }),
    }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'a part in Authorization that SigV4 does not have',
    'SigV4 elements: Authorization holds Credential, SignedHeaders and Signature, one each',
    async () => ({
      target: demoPath,
      headers: editAuthorization(await signed(), (value) => `${value}, Extra=1`),
    }),
    GATEWAY_REFUSALS.invalidSignature,
  ),
  refused(
    'x-amz-date sent twice',
    'SigV4 step 1: CanonicalHeaders has one value per header; x-amz-date is the signing time',
    async () => {
      const headers = await signed();
      return { target: demoPath, headers: [...headers, ['x-amz-date', '20200101T000000Z']] };
    },
    GATEWAY_REFUSALS.invalidSignature,
  ),
];

describe('the local gateway against the SigV4 rules API Gateway enforces', () => {
  it.each(rows)('answers $status $code to $name ($rule)', async (row) => {
    const before = invocations;
    const answer = await sendRaw(api.port, await row.request());
    const body = JSON.parse(answer.body) as { code?: string };

    expect(answer.status).toBe(row.status);
    expect(body.code).toBe(row.code);
    // A refusal of the gateway never reaches the function; an accepted request reaches it once.
    const reachedFunction = !('requestId' in body);
    expect(invocations - before).toBe(reachedFunction ? 1 : 0);
    expect(reachedFunction).toBe(row.status === 200 || row.code === 'invalid_request');
  });
});

describe('the 10 MB body quota (quotas: payload size 10 MB; response type REQUEST_TOO_LARGE, 413)', () => {
  it('answers 413 request_refused to a longer Content-Length without reading on', async () => {
    const before = invocations;
    const head =
      `GET ${demoPath} HTTP/1.1\r\nHost: ${ownHost()}\r\n` +
      `Content-Length: ${200 * 1024 * 1024}\r\nConnection: keep-alive\r\n\r\n`;

    // 1 KB of the announced 200 MB: the answer comes anyway.
    const answer = await sendHeadOnly(api.port, head, 1024);

    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"request_refused"');
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(invocations).toBe(before);
  });

  it('answers 413 to a chunked body once it passes 10 MB, before it ends', async () => {
    const size = MAX_REQUEST_BODY_BYTES + 1;
    const head =
      `GET ${demoPath} HTTP/1.1\r\nHost: ${ownHost()}\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${size.toString(16)}\r\n`;

    // One chunk just over the quota and never the terminating chunk: the request has not ended.
    const answer = await sendHeadOnly(api.port, head, size);

    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"request_refused"');
  });

  it('passes a signed body of exactly 10 MB on to the signature check and the function', async () => {
    const body = 'a'.repeat(MAX_REQUEST_BODY_BYTES);
    const answer = await sendRaw(api.port, {
      target: demoPath,
      headers: await signed({ body }),
      body: Buffer.from(body),
    });

    expect(answer.status).toBe(200);
  });
});
