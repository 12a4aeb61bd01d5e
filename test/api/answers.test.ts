import type { APIGatewayProxyResult } from 'aws-lambda';
import { OpenAPIBackend } from 'openapi-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { invoke, setUp } from '../support/handler-harness.ts';
import { at, dereferenced, type JsonObject, loadDocument } from './document.ts';

// The real handler against the simulators, its answers checked against the document: the contract is what
// the code does, not only what the document says.
const ctx = await setUp({ slowDelayMs: 3000 });
// quick: openapi-backend checks the document itself against the 3.0 schema only, which refuses 3.1 keywords;
// `npm run lint:api` (Redocly) validates the document. Ajv still checks every answer against its schemas.
const api = new OpenAPIBackend({ definition: loadDocument() as never, quick: true });
const responses = at(
  dereferenced(),
  'paths',
  Object.keys(at(loadDocument(), 'paths') as JsonObject)[0] ?? '',
  'get',
  'responses',
) as JsonObject;
let handler: Awaited<ReturnType<typeof ctx.loadHandler>>;
const ADDED_BY_API_GATEWAY = 'x-amzn-requestid';

beforeAll(async () => {
  await api.init();
  // One attempt, so that each fault shows as the answer it ends in without waiting out retries.
  handler = await ctx.loadHandler({ [ENV.maxAttempts]: '1' });
});

function expectDocumented(response: APIGatewayProxyResult) {
  const body: unknown = JSON.parse(response.body);
  const bodyResult = api.validateResponse(body, 'getCryptogram', response.statusCode);
  expect(bodyResult.errors ?? [], response.body.slice(0, 200)).toEqual([]);
  const headers = response.headers ?? {};
  const headerResult = api.validateResponseHeaders(headers, 'getCryptogram', { statusCode: response.statusCode });
  expect(headerResult.errors ?? []).toEqual([]);
  // openapi-backend checks the headers that are there; the ones the document requires must be there too, but
  // for x-amzn-RequestId, which API Gateway adds to every answer on its way out.
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  const documented = at(responses[String(response.statusCode)] ?? null, 'headers') as JsonObject;
  for (const [name, header] of Object.entries(documented)) {
    if (name.toLowerCase() === ADDED_BY_API_GATEWAY) continue;
    if (at(header, 'required') === true) expect(names, name).toContain(name.toLowerCase());
  }
  // Every answer of the function names its request, also at the statuses it shares with API Gateway.
  expect(names).toContain('x-request-id');
  return body as Record<string, unknown>;
}

describe('the handler answers as the document says', () => {
  it('for a cryptogram (200), dropping the field Cashfree adds', async () => {
    const { response } = await invoke(handler);
    expect(response.statusCode).toBe(200);
    expect(Object.keys(expectDocumented(response))).toContain('cryptogram');
  });

  it('for an unsafe id (400 invalid_request)', async () => {
    const { response } = await invoke(handler, { customerId: 'a%2Fb' });
    expect(response.statusCode).toBe(400);
    expect(expectDocumented(response).code).toBe('invalid_request');
  });

  it.each([
    ['sim_400', 400, 'upstream_bad_request'],
    ['sim_404', 404, 'instrument_not_found'],
    ['sim_409', 409, 'upstream_conflict'],
    ['sim_422', 422, 'upstream_unprocessable'],
    ['sim_429', 429, 'rate_limited'],
    ['sim_500', 502, 'upstream_unavailable'],
    ['sim_bad_json', 502, 'upstream_invalid_response'],
  ])('for Cashfree fault %s (%i %s)', async (customerId, status, code) => {
    const { response } = await invoke(handler, { customerId });
    expect(response.statusCode).toBe(status);
    expect(expectDocumented(response).code).toBe(code);
  });

  it('for Cashfree slower than the deadline (504 upstream_timeout)', async () => {
    const { response } = await invoke(handler, { customerId: 'sim_slow' }, 1000);
    expect(response.statusCode).toBe(504);
    expect(expectDocumented(response).code).toBe('upstream_timeout');
  });

  it('for Secrets Manager failing on a cold start (503 credentials_unavailable, with Retry-After)', async () => {
    ctx.upstreams.secretsManager.setMode('internal_error');
    try {
      const cold = await ctx.loadHandler({ [ENV.maxAttempts]: '1' });
      const { response } = await invoke(cold, {}, 3000);
      expect(response.statusCode).toBe(503);
      expect(expectDocumented(response).code).toBe('credentials_unavailable');
    } finally {
      ctx.upstreams.secretsManager.setMode('ok');
    }
  });

  it('rejects an answer the document does not allow, so the checks above can fail', () => {
    const bad = {
      statusCode: 200,
      headers: {},
      body: JSON.stringify({ cryptogram: 'x', card_number: '12', pan: 'x' }),
    };
    expect(() => expectDocumented(bad)).toThrow();
    const unknownCode = { statusCode: 404, headers: {}, body: '{"message":"m","code":"not_found"}' };
    expect(api.validateResponse(JSON.parse(unknownCode.body), 'getCryptogram', 404).valid).toBe(false);
    const functionStyleRefusal = { message: 'Missing Authentication Token', code: 'missing_authentication_token' };
    expect(api.validateResponse(functionStyleRefusal, 'getCryptogram', 403).valid).toBe(false);
    const refusalStyleError = { message: 'm', code: 'instrument_not_found', requestId: 'r' };
    expect(api.validateResponse(refusalStyleError, 'getCryptogram', 404).valid).toBe(false);
    const withoutExpiry = {
      instrument_id: 'i',
      card_number: '4491365621601472',
      cryptogram: 'c',
      card_expiry_mm: '06',
    };
    expect(api.validateResponse(withoutExpiry, 'getCryptogram', 200).valid).toBe(false);
    const panOnDisplay = { ...withoutExpiry, card_expiry_yy: '2031', card_display: '4491365621601472' };
    expect(api.validateResponse(panOnDisplay, 'getCryptogram', 200).valid).toBe(false);
    expect(api.validateResponse({ ...panOnDisplay, card_display: 'XXXX 1472' }, 'getCryptogram', 200).valid).toBe(true);
    const cached = { 'cache-control': 'public', 'x-request-id': 'r' };
    expect(api.validateResponseHeaders(cached, 'getCryptogram', { statusCode: 200 }).valid).toBe(false);
    const noRetryAfter = {
      statusCode: 429,
      headers: { 'cache-control': 'no-store' },
      body: '{"message":"m","code":"rate_limited"}',
    };
    expect(() => expectDocumented(noRetryAfter)).toThrow(/retry-after/);
  });
});
