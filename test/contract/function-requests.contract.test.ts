import type { OpenAPIBackend } from 'openapi-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INSTRUMENTS, type SimulatorRequest } from '../../local/cashfree-simulator.ts';

import { skipWhen } from '../setup/skips.ts';
import { invoke, setUp } from '../support/handler-harness.ts';
import { createValidator, loadDocument, missingDocuments, OPERATION_ID } from './cashfree-document.ts';

const skipReason = missingDocuments();
const ctx = skipReason ? undefined : await setUp();

interface Verdict {
  operationId?: string;
  authorized?: boolean;
  problems: string[];
  params?: Record<string, unknown>;
}

/**
 * Routes a recorded request through openapi-backend as if it served Cashfree's document: the operation it matches,
 * whether its security requirement is met, and every parameter problem the validator finds.
 */
async function judge(api: OpenAPIBackend, request: SimulatorRequest): Promise<Verdict> {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined),
  );
  return api.handleRequest({ method: 'GET', path: request.path, headers });
}

describe("the function's requests against Cashfree's 2022-09-01 OpenAPI document", skipWhen(skipReason), () => {
  let api: OpenAPIBackend;
  const { upstreams, loadHandler, rotate } = ctx ?? ({} as NonNullable<typeof ctx>);
  const documentVersion = '2022-09-01';

  beforeAll(async () => {
    const document = loadDocument(documentVersion);
    // Only the key pair the function uses satisfies the security requirement: the document's alternatives
    // (partner key, signature) have no handler here and count as unmet.
    const present = (name: string) => (c: { request: { headers: Record<string, unknown> } }) =>
      typeof c.request.headers[name] === 'string' && c.request.headers[name] !== '';
    api = await createValidator(document);
    api.registerSecurityHandler('XClientID', present('x-client-id'));
    api.registerSecurityHandler('XClientSecret', present('x-client-secret'));
    api.register({
      [OPERATION_ID]: (c) => ({
        operationId: c.operation.operationId,
        authorized: c.security?.authorized,
        params: c.request.params,
        problems: [],
      }),
      validationFail: (c) => ({
        operationId: c.operation.operationId,
        authorized: c.security?.authorized,
        problems: (c.validation.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`),
      }),
      unauthorizedHandler: (c) => ({ operationId: c.operation.operationId, authorized: false, problems: [] }),
      notFound: () => ({ problems: ['matches no operation of the document'] }),
      methodNotAllowed: () => ({ problems: ['method not allowed by the document'] }),
    });
  });

  it('finds a request without x-api-version, or without the secret, outside the document', async () => {
    const path = '/pg/customers/c/instruments/i/cryptogram';
    const complete = { 'x-client-id': 'id', 'x-client-secret': 'secret', 'x-api-version': documentVersion };
    const { 'x-api-version': _version, ...noVersion } = complete;
    const { 'x-client-secret': _secret, ...noSecret } = complete;

    expect(await judge(api, { path, headers: complete, connection: 0 })).toMatchObject({ problems: [] });
    expect((await judge(api, { path, headers: noVersion, connection: 0 })).problems).not.toEqual([]);
    expect(await judge(api, { path, headers: noSecret, connection: 0 })).toMatchObject({ authorized: false });
    expect(
      (await judge(api, { path: '/pg/customers/c/cryptogram', headers: complete, connection: 0 })).problems,
    ).not.toEqual([]);
  });

  it('sends the documented call, security headers and x-api-version for a saved card', async () => {
    const handler = await loadHandler();
    const before = upstreams.cashfree.requests.length;
    const second = DEMO_INSTRUMENTS[1] ?? DEMO_INSTRUMENTS[0];

    const first = await invoke(handler, { headers: { 'x-request-id': 'contract-caller-1' } });
    const other = await invoke(handler, { customerId: second?.customerId, instrumentId: second?.instrumentId });

    expect([first.response.statusCode, other.response.statusCode]).toEqual([200, 200]);
    const sent = upstreams.cashfree.requests.slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(await judge(api, request)).toMatchObject({ operationId: OPERATION_ID, authorized: true, problems: [] });
      expect(request.headers['x-api-version']).toBe(documentVersion);
      expect(request.headers['x-client-id']).toBe(upstreams.credentials.clientId);
      expect(request.headers['x-client-secret']).toBe(upstreams.credentials.clientSecret);
    }
    expect(sent[0]?.headers['x-request-id']).toBe('contract-caller-1');
    expect(await judge(api, sent[1] as SimulatorRequest)).toMatchObject({
      params: { customer_id: second?.customerId, instrument_id: second?.instrumentId },
    });
  });

  it('sends ids with URL-meaningful characters as the documented path parameters, nothing more', async () => {
    const handler = await loadHandler();
    const before = upstreams.cashfree.requests.length;
    const ids = { customerId: 'cust:a@b+c=d.e-f_g', instrumentId: 'inst.1:2@3+4=5' };

    const { response } = await invoke(handler, {
      customerId: encodeURIComponent(ids.customerId),
      instrumentId: encodeURIComponent(ids.instrumentId),
    });

    expect(response.statusCode).toBe(404);
    const [request] = upstreams.cashfree.requests.slice(before);
    expect(request?.path).not.toContain('?');
    const verdict = await judge(api, request as SimulatorRequest);
    expect(verdict).toMatchObject({ operationId: OPERATION_ID, authorized: true, problems: [] });
    const params = verdict.params as Record<string, string>;
    expect(Object.values(params).map(decodeURIComponent)).toEqual([ids.customerId, ids.instrumentId]);
  });

  it('sends documented requests on the refresh after a 401, with the new key pair', async () => {
    const handler = await loadHandler();
    await invoke(handler);
    const before = upstreams.cashfree.requests.length;
    const next = rotate();

    const { response } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    const sent = upstreams.cashfree.requests.slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(await judge(api, request)).toMatchObject({ operationId: OPERATION_ID, authorized: true, problems: [] });
    }
    expect(sent[1]?.headers['x-client-secret']).toBe(next.clientSecret);
  });
});
