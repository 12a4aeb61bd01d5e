import type { APIGatewayEventIdentity } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import { type LocalIam, newLocalIamCredentials, type ProxyHandler, startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { demo, setUp } from '../support/handler-harness.ts';
import { signedFetch, signedHeaders } from './sign.ts';

// The local gateway in front of the real handler, the simulators behind it; requests are signed by the AWS
// SDK's own signer, as a caller's would be.
const ctx = await setUp();
const iam: LocalIam = { region: 'ap-south-1', credentials: newLocalIamCredentials() };
const identities: APIGatewayEventIdentity[] = [];
const requestIds: string[] = [];
let signedApi: RunningServer;
let openApi: RunningServer;

beforeAll(async () => {
  const real = await ctx.loadHandler();
  // The only thing added to the real handler: a look at the identity and request id in the event.
  const handler: ProxyHandler = (event, context) => {
    identities.push(event.requestContext.identity);
    requestIds.push(event.requestContext.requestId);
    return real(event, context);
  };
  signedApi = await startLocalApi({ handler, iam });
  openApi = await startLocalApi({ handler });
});

afterAll(async () => {
  await Promise.all([signedApi.close(), openApi.close()]);
});

const demoPath = `/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`;
const cashfreeCalls = () => ctx.upstreams.cashfree.requests.length;

const API_GATEWAY_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Contract §1: API Gateway's own refusals carry its request id in `x-amzn-RequestId` and in the body, and no
// `x-request-id`.
async function expectRefusal(response: Response, refusal: { status: number; code: string }) {
  expect(response.status).toBe(refusal.status);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-request-id')).toBeNull();
  const requestId = response.headers.get('x-amzn-requestid');
  expect(requestId).toMatch(API_GATEWAY_REQUEST_ID);
  const body = (await response.json()) as { message: string; code: string; requestId: string };
  expect(Object.keys(body).sort()).toEqual(['code', 'message', 'requestId']);
  expect(body.code).toBe(refusal.code);
  expect(body.requestId).toBe(requestId);
  return body;
}

describe('the local gateway with SigV4 checking on', () => {
  it('passes a request signed with the local credentials to the function, with the signer as the caller', async () => {
    const before = identities.length;
    const response = await signedFetch(`${signedApi.url}${demoPath}`, iam);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body.card_number).toBe(demo.tokenPan);
    expect(identities.slice(before)).toEqual([
      expect.objectContaining({ accessKey: iam.credentials.accessKeyId, sourceIp: '127.0.0.1' }),
    ]);
    expect(identities.at(-1)?.userArn).toMatch(/^arn:aws:iam::\d{12}:user\//);
  });

  it('accepts a signed path with percent-encoded ids, which SigV4 encodes a second time', async () => {
    const response = await signedFetch(
      `${signedApi.url}/customers/a%40b%2Bc/instruments/${demo.instrumentId}/cryptogram`,
      iam,
    );

    // Past the gateway: the function decoded the id and Cashfree knows no such customer.
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: string }).code).toBe('instrument_not_found');
  });

  it('refuses an unsigned request as API Gateway does, without invoking the function', async () => {
    const [calls, invocations] = [cashfreeCalls(), identities.length];
    const response = await fetch(`${signedApi.url}${demoPath}`);

    const body = await expectRefusal(response, GATEWAY_REFUSALS.missingAuthenticationToken);
    expect(body.message).toBe('Missing Authentication Token');
    expect(identities.length).toBe(invocations);
    expect(cashfreeCalls()).toBe(calls);
  });

  it('refuses a request signed with the wrong secret key', async () => {
    const credentials = { ...iam.credentials, secretAccessKey: newLocalIamCredentials().secretAccessKey };
    const response = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, credentials });

    await expectRefusal(response, GATEWAY_REFUSALS.invalidSignature);
  });

  it('refuses a signature made for another path than the one requested', async () => {
    const signedFor = await signedHeaders(`${signedApi.url}${demoPath}`, iam);
    const response = await fetch(`${signedApi.url}/customers/cust_demo_2/instruments/${demo.instrumentId}/cryptogram`, {
      headers: signedFor,
    });

    await expectRefusal(response, GATEWAY_REFUSALS.invalidSignature);
  });

  it('refuses a signature dated more than five minutes ago as expired', async () => {
    const signingDate = new Date(Date.now() - 6 * 60_000);
    const response = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, signingDate });

    const body = await expectRefusal(response, GATEWAY_REFUSALS.invalidSignature);
    expect(body.message).toMatch(/^Signature expired/);
  });

  it('accepts a signature dated a little in the past, within the clock skew AWS allows', async () => {
    const signingDate = new Date(Date.now() - 2 * 60_000);
    const response = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, signingDate });

    expect(response.status).toBe(200);
  });

  it('refuses a signature for another region or service', async () => {
    const otherRegion = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, region: 'us-east-1' });
    const otherService = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, service: 'lambda' });

    await expectRefusal(otherRegion, GATEWAY_REFUSALS.invalidSignature);
    await expectRefusal(otherService, GATEWAY_REFUSALS.invalidSignature);
  });

  it('refuses an access key it does not know with 403 and the security-token message', async () => {
    const response = await signedFetch(`${signedApi.url}${demoPath}`, {
      ...iam,
      credentials: newLocalIamCredentials(),
    });

    const body = await expectRefusal(response, { status: 403, code: GATEWAY_REFUSALS.default4xx.code });
    expect(body.message).toBe('The security token included in the request is invalid');
  });

  it('answers an unknown route or method with Missing Authentication Token, signed or not', async () => {
    const unknownRoute = await signedFetch(`${signedApi.url}/customers/${demo.customerId}/cryptogram`, iam);
    const unsignedRoute = await fetch(`${signedApi.url}/`);
    const post = await signedFetch(`${signedApi.url}${demoPath}`, { ...iam, method: 'POST' });

    for (const response of [unknownRoute, unsignedRoute, post]) {
      await expectRefusal(response, GATEWAY_REFUSALS.missingAuthenticationToken);
    }
  });

  it('checks the session token of temporary credentials', async () => {
    const temporary = { ...newLocalIamCredentials(), sessionToken: 'local-session-token' };
    const api = await startLocalApi({ handler: await ctx.loadHandler(), iam: { ...iam, credentials: temporary } });
    try {
      const withToken = await signedFetch(`${api.url}${demoPath}`, { ...iam, credentials: temporary });
      const withoutToken = await signedFetch(`${api.url}${demoPath}`, {
        ...iam,
        credentials: { accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey },
      });
      const withAnotherToken = await signedFetch(`${api.url}${demoPath}`, {
        ...iam,
        credentials: { ...temporary, sessionToken: 'another-session-token' },
      });

      expect(withToken.status).toBe(200);
      await expectRefusal(withoutToken, { status: 403, code: GATEWAY_REFUSALS.default4xx.code });
      await expectRefusal(withAnotherToken, { status: 403, code: GATEWAY_REFUSALS.default4xx.code });
    } finally {
      await api.close();
    }
  });
});

describe('the local gateway with SigV4 checking off', () => {
  it('passes an unsigned request to the function', async () => {
    const response = await fetch(`${openApi.url}${demoPath}`);

    expect(response.status).toBe(200);
  });

  it("adds a fresh API Gateway request id to every function answer, the one the function's event carries", async () => {
    const before = requestIds.length;
    const answers = [
      await fetch(`${openApi.url}${demoPath}`),
      await fetch(`${openApi.url}${demoPath}`, { headers: { 'x-request-id': 'caller-chosen-1' } }),
      await fetch(`${openApi.url}/customers/sim_404/instruments/${demo.instrumentId}/cryptogram`),
    ];
    const headerIds = answers.map((response) => response.headers.get('x-amzn-requestid'));

    expect(answers.map((response) => response.status)).toEqual([200, 200, 404]);
    for (const id of headerIds) expect(id).toMatch(API_GATEWAY_REQUEST_ID);
    expect(new Set(headerIds).size).toBe(3);
    expect(requestIds.slice(before)).toEqual(headerIds);
    // The function's own id stays where the contract puts it: the caller's when it chose a plain one.
    expect(answers[1]?.headers.get('x-request-id')).toBe('caller-chosen-1');
  });

  it('still answers unknown routes and methods as API Gateway does', async () => {
    const unknownRoute = await fetch(`${openApi.url}/customers/x/cryptogram`);
    const deleted = await fetch(`${openApi.url}${demoPath}`, { method: 'DELETE' });

    await expectRefusal(unknownRoute, GATEWAY_REFUSALS.missingAuthenticationToken);
    await expectRefusal(deleted, GATEWAY_REFUSALS.missingAuthenticationToken);
  });
});

describe('a function that fails', () => {
  it('is answered 503 service_unavailable with Retry-After when it throws or outlives its timeout', async () => {
    const throwing = await startLocalApi({
      handler: async () => {
        throw new Error('boom');
      },
    });
    const hanging = await startLocalApi({ handler: () => new Promise(() => {}), functionTimeoutMs: 100 });
    try {
      for (const api of [throwing, hanging]) {
        const response = await fetch(`${api.url}${demoPath}`);
        const body = await expectRefusal(response, GATEWAY_REFUSALS.integrationFailure);
        expect(body.message).not.toContain('boom');
        expect(response.headers.get('retry-after')).toBe('1');
      }
    } finally {
      await Promise.all([throwing.close(), hanging.close()]);
    }
  });
});
