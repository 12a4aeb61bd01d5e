import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptogramServiceError, createCryptogramClient } from '../../client/src/index.ts';
import { newLocalIamCredentials, startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { CRYPTOGRAM_FIELDS } from '../support/cashfree-answers.ts';
import { failure } from '../support/failure.ts';
import { demo, setUp } from '../support/handler-harness.ts';

// Client -> local API with SigV4 checking on -> the real handler -> the Cashfree simulator, all on 127.0.0.1.
const REGION = 'ap-south-1';
const iamCredentials = newLocalIamCredentials();
const ctx = await setUp();
let api: RunningServer;

beforeAll(async () => {
  const handler = await ctx.loadHandler();
  api = await startLocalApi({ handler, iam: { region: REGION, credentials: iamCredentials } });
});
afterAll(async () => {
  await api?.close();
});

const client = (credentials = iamCredentials) =>
  createCryptogramClient({ baseUrl: api.url, region: REGION, credentials, timeoutMs: 8000 });
const cashfreeCalls = () => ctx.upstreams.cashfree.requests.length;

describe('the client against the local API with signature checking on', () => {
  it('gets a fresh cryptogram for a demo card', async () => {
    const first = await client().getCryptogram({ customerId: demo.customerId, instrumentId: demo.instrumentId });
    const second = await client().getCryptogram({ customerId: demo.customerId, instrumentId: demo.instrumentId });
    expect(first).toMatchObject({ instrument_id: demo.instrumentId, card_number: demo.tokenPan });
    expect(ctx.upstreams.cashfree.issued.has(first.cryptogram)).toBe(true);
    expect(second.cryptogram).not.toBe(first.cryptogram);
    expect(Object.keys(first).sort()).toEqual([...CRYPTOGRAM_FIELDS].sort());
  });

  it('passes the caller request id through to Cashfree and back', async () => {
    const before = cashfreeCalls();
    await client().getCryptogram({ customerId: demo.customerId, instrumentId: demo.instrumentId, requestId: 'e2e-1' });
    expect(ctx.upstreams.cashfree.requests.slice(before).map((r) => r.headers['x-request-id'])).toEqual(['e2e-1']);
  });

  it('sees an unsigned request refused as API Gateway refuses it, before the function runs', async () => {
    const before = cashfreeCalls();
    const response = await fetch(`${api.url}/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      message: 'Missing Authentication Token',
      code: 'missing_authentication_token',
    });
    expect(cashfreeCalls()).toBe(before);
  });

  it('surfaces a wrong secret key as invalid_signature, without retrying', async () => {
    const before = cashfreeCalls();
    const wrong = { ...iamCredentials, secretAccessKey: `${iamCredentials.secretAccessKey.slice(1)}x` };
    const sentId = 'e2e-refused';
    const error = await failure(
      client(wrong).getCryptogram({ customerId: demo.customerId, instrumentId: demo.instrumentId, requestId: sentId }),
      CryptogramServiceError,
    );
    expect(error).toMatchObject({ status: 403, code: 'invalid_signature', attempts: 1 });
    // A refusal names API Gateway's request id (the local gateway's stand-in for it), not the id the client sent.
    expect(error.requestId).not.toBe(sentId);
    expect(error.requestId).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
    expect(cashfreeCalls()).toBe(before);
  });

  it('surfaces an access key the gateway does not know as a 403 refusal', async () => {
    const stranger = { accessKeyId: 'AKIAUNKNOWNCALLER000', secretAccessKey: iamCredentials.secretAccessKey };
    const error = await failure(
      client(stranger).getCryptogram({ customerId: demo.customerId, instrumentId: demo.instrumentId }),
      CryptogramServiceError,
    );
    expect(error).toMatchObject({ status: 403, code: 'request_refused', attempts: 1 });
  });

  it('surfaces an unknown instrument as instrument_not_found with the request id', async () => {
    const error = await failure(
      client().getCryptogram({ customerId: demo.customerId, instrumentId: 'no-such-card', requestId: 'e2e-404' }),
      CryptogramServiceError,
    );
    expect(error).toMatchObject({ status: 404, code: 'instrument_not_found', requestId: 'e2e-404' });
  });

  it('signs ids with URL marks so that the gateway verifies them and the function gets them decoded', async () => {
    const before = cashfreeCalls();
    const error = await failure(
      client().getCryptogram({ customerId: 'a:b@c+d=e', instrumentId: 'x.y-z_1' }),
      CryptogramServiceError,
    );
    expect(error.code).toBe('instrument_not_found');
    expect(ctx.upstreams.cashfree.requests.slice(before).map((r) => r.path)).toEqual([
      '/pg/customers/a%3Ab%40c%2Bd%3De/instruments/x.y-z_1/cryptogram',
    ]);
  });
});
