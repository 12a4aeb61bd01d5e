import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../infra/functions/pre-traffic-check.ts';
import { PROBE_DEFAULTS, probeEnvironment } from '../../infra/functions/probe.ts';
import { newCredentials } from '../../local/embedded.ts';
import { lambdaContext } from '../../local/lambda-event.ts';
import { setUp } from '../support/handler-harness.ts';
import { deadPort, sendJson, startTestServer } from '../support/test-server.ts';
import { EVENT, encode, fakeHookClients, HOOK_ENV } from './pre-traffic-check-hook.ts';

// The real hook drives the real handler, loaded as a new execution environment of the version under release
// would load it, behind a fake Invoke; Cashfree is the simulator, Secrets Manager the stand-in.
const ctx = await setUp();
const { upstreams } = ctx;

// A Secrets Manager that refuses the function's role, as IAM does for a secret outside its grant.
const refusingSecretsManager = await startTestServer((_req, res) =>
  sendJson(
    res,
    400,
    { __type: 'AccessDeniedException', message: 'not authorized to perform secretsmanager:GetSecretValue' },
    { 'x-amzn-errortype': 'AccessDeniedException' },
  ),
);
const cashfreeDeadPort = await deadPort();
afterAll(() => refusingSecretsManager.close());

const { lambda, checkWith, reported, logged } = fakeHookClients();
const check = checkWith();

/** Deploys "a version" with this environment: Invoke of the version runs the freshly loaded real handler. */
async function releaseVersionWith(env: Record<string, string> = {}) {
  const handler = await ctx.loadHandler(env);
  lambda.on(InvokeCommand).callsFake(async (input) => {
    const event = JSON.parse(new TextDecoder().decode(input.Payload)) as APIGatewayProxyEvent;
    try {
      return { StatusCode: 200, Payload: encode(await handler(event, lambdaContext())) };
    } catch {
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({ errorType: 'Error' }) };
    }
  });
}

describe('the pre-traffic check against the real handler', () => {
  it('reports Succeeded for a healthy version: it reads its secret, Cashfree accepts its key pair and answers 404', async () => {
    await releaseVersionWith();
    const callsBefore = upstreams.cashfree.requests.length;

    expect(await check(EVENT)).toMatchObject({ ok: true, status: 404, code: 'instrument_not_found' });
    expect(reported()?.status).toBe('Succeeded');
    expect(upstreams.cashfree.requests.slice(callsBefore).map((request) => request.path)).toEqual([
      `/pg/customers/${PROBE_DEFAULTS.customerId}/instruments/${PROBE_DEFAULTS.instrumentId}/cryptogram`,
    ]);
  });

  it('reports Failed for a version whose secret read is refused', async () => {
    await releaseVersionWith({ AWS_ENDPOINT_URL_SECRETS_MANAGER: refusingSecretsManager.origin });

    expect(await check(EVENT)).toMatchObject({ ok: false, reason: REASONS.credentials, status: 500 });
    expect(reported()?.status).toBe('Failed');
  });

  it('reports Failed for a version whose secret is not JSON', async () => {
    upstreams.secretsManager.setSecret('cryptogram-service/not-json', 'client_id=abc client_secret=def');
    await releaseVersionWith({ CASHFREE_SECRET_ID: 'cryptogram-service/not-json' });

    expect(await check(EVENT)).toMatchObject({ ok: false, reason: REASONS.credentials, code: 'credentials_invalid' });
    expect(reported()?.status).toBe('Failed');
  });

  it('reports Failed for a version whose Cashfree URL is dead', async () => {
    await releaseVersionWith({ CASHFREE_BASE_URL: `http://127.0.0.1:${cashfreeDeadPort}/pg` });

    expect(await check(EVENT)).toMatchObject({ ok: false, reason: REASONS.serverError, code: 'upstream_unavailable' });
    expect(reported()?.status).toBe('Failed');
  });

  it('reports Failed for a version whose key pair Cashfree refuses (rotated in Cashfree, not in the secret)', async () => {
    upstreams.cashfree.rotateCredentials(newCredentials());
    try {
      await releaseVersionWith();

      expect(await check(EVENT)).toMatchObject({
        ok: false,
        reason: REASONS.keyPairRefused,
        status: 502,
        code: 'upstream_auth_failed',
      });
      expect(reported()?.status).toBe('Failed');
    } finally {
      upstreams.cashfree.rotateCredentials(upstreams.credentials);
    }
  });

  it('reports Failed when the probe ids name a card Cashfree knows, and logs nothing of it', async () => {
    const demoProbe = {
      customerId: 'cust_demo_1',
      instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10',
      expected: 404,
    } as const;
    const demoCheck = checkWith({ env: { ...HOOK_ENV, ...probeEnvironment(demoProbe) } });
    await releaseVersionWith();

    expect(await demoCheck(EVENT)).toMatchObject({ ok: false, reason: REASONS.realCard, status: 200 });
    expect(reported()?.status).toBe('Failed');
    expect(upstreams.cashfree.issued.size).toBeGreaterThan(0);
    for (const issued of upstreams.cashfree.issued) expect(logged.join('\n')).not.toContain(issued);
  });
});
