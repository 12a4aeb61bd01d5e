import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { CHECK_TIMING, probeIdsEvent, REASONS, refusalEvent } from '../../infra/functions/pre-traffic-check.ts';
import { PROBE_DEFAULTS, probeEnvironment, TARGET_VERSION_ENV } from '../../infra/functions/probe.ts';
import { bytes, EVENT, encode, fakeHookClients, HOOK_ENV, VERSION_ARN } from './pre-traffic-check-hook.ts';

const CARD_NUMBER = '4491365621601472';
const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  StatusCode: 200,
  Payload: encode({
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  }),
});
const refused = answer(400, { message: 'customer_id may contain only ...', code: 'invalid_request' });
const notFound = answer(404, { message: 'Cashfree does not know this instrument', code: 'instrument_not_found' });
const throttled = () => Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException', $metadata: {} });

const { lambda, codedeploy, logged, checkWith, reported: reportedStatus } = fakeHookClients();
const check = checkWith();
const invokedEvents = () =>
  lambda
    .commandCalls(InvokeCommand)
    .map(
      (call) =>
        JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)) as Record<string, unknown>,
    );
/** Answers the invalid id as the contract says and the probe ids with `probeAnswer`. */
const answering = (probeAnswer: Partial<InvokeCommandOutput>) =>
  lambda.on(InvokeCommand).resolvesOnce(refused).resolves(probeAnswer);
const logLine = () => {
  expect(logged).toHaveLength(1);
  return JSON.parse(logged[0] ?? '{}') as Record<string, unknown>;
};

describe('the pre-traffic check', () => {
  it('reports Succeeded when the new version refuses an invalid id and answers the probe ids 404', async () => {
    answering(notFound);

    const verdict = await check(EVENT);

    expect(verdict).toEqual({ ok: true, reason: REASONS.passed, status: 404, code: 'instrument_not_found' });
    expect(invokedEvents()).toEqual([
      refusalEvent(EVENT.DeploymentId),
      probeIdsEvent(EVENT.DeploymentId, PROBE_DEFAULTS),
    ]);
    expect(lambda.commandCalls(InvokeCommand)[1]?.args[0].input).toMatchObject({
      FunctionName: VERSION_ARN,
      InvocationType: 'RequestResponse',
    });
    expect(reportedStatus()).toEqual({
      deploymentId: EVENT.DeploymentId,
      lifecycleEventHookExecutionId: EVENT.LifecycleEventHookExecutionId,
      status: 'Succeeded',
    });
  });

  it('asks for the probe ids as API Gateway passes them, with a request id naming the deployment', () => {
    const event = probeIdsEvent('d-EXAMPLE123', { customerId: 'probe@example', instrumentId: 'p:1' }) as {
      pathParameters: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(event.pathParameters).toEqual({ customer_id: 'probe%40example', instrument_id: 'p%3A1' });
    expect(event.headers['x-request-id']).toBe('pre-traffic-probe-d-EXAMPLE123');
  });

  it.each([
    ['502 upstream_auth_failed (Cashfree refused the key pair)', 502, 'upstream_auth_failed', REASONS.keyPairRefused],
    ['500 credentials_invalid', 500, 'credentials_invalid', REASONS.credentials],
    ['503 credentials_unavailable', 503, 'credentials_unavailable', REASONS.credentials],
    ['504 upstream_timeout', 504, 'upstream_timeout', REASONS.upstreamTimeout],
    ['502 upstream_unavailable', 502, 'upstream_unavailable', REASONS.serverError],
    ['500 internal_error', 500, 'internal_error', REASONS.serverError],
    ['400 upstream_bad_request where 404 is configured', 400, 'upstream_bad_request', REASONS.expected400],
    ['429 rate_limited', 429, 'rate_limited', REASONS.unexpected],
    ['409 upstream_conflict', 409, 'upstream_conflict', REASONS.unexpected],
  ])('reports Failed when the probe ids get %s, with a fixed reason', async (_case, status, code, reason) => {
    answering(answer(status, { message: `message from ${code}`, code }));

    expect(await check(EVENT)).toEqual({ ok: false, reason, status, code });
    expect(reportedStatus()?.status).toBe('Failed');
    expect(logLine()).toMatchObject({ level: 'ERROR', step: 'probe ids', reason, status, code });
    expect(logged[0]).not.toContain('message from');
  });

  it('reports Failed on a 200 for the probe ids and never logs the card it describes', async () => {
    answering(answer(200, { card_number: CARD_NUMBER, cryptogram: 'AAECAwQ=' }));

    expect(await check(EVENT)).toMatchObject({ ok: false, reason: REASONS.realCard, status: 200 });
    expect(reportedStatus()?.status).toBe('Failed');
    expect(logged.join('')).not.toContain(CARD_NUMBER);
    expect(logged.join('')).not.toContain('AAECAwQ=');
  });

  it.each([
    ['the version crashed', { FunctionError: 'Unhandled', Payload: encode({ errorType: 'Error' }) }, REASONS.crashed],
    ['the answer is not JSON', { Payload: bytes('<html>') }, REASONS.noProxyAnswer],
    [
      'the 404 is cacheable',
      answer(404, { message: 'x', code: 'instrument_not_found' }, { 'cache-control': 'max-age=60' }),
      REASONS.notUncacheableJson,
    ],
  ])('reports Failed on the probe ids when %s', async (_case, response, reason) => {
    answering(response);
    expect(await check(EVENT)).toMatchObject({ ok: false, reason });
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('passes a 400 upstream_bad_request for the probe ids where the environment expects 400', async () => {
    answering(answer(400, { message: 'x', code: 'upstream_bad_request' }));
    const expecting400 = checkWith({ env: { ...HOOK_ENV, ...probeEnvironment({ ...PROBE_DEFAULTS, expected: 400 }) } });

    expect((await expecting400(EVENT)).ok).toBe(true);
    expect(reportedStatus()?.status).toBe('Succeeded');
  });

  it.each([
    ['it crashes', { FunctionError: 'Unhandled', Payload: encode({ errorType: 'Error' }) }],
    ['it answers 500', answer(500, { message: 'x', code: 'internal_error' })],
    ['it answers 200', answer(200, { message: 'x', code: 'invalid_request' })],
    ['the code is another', answer(400, { message: 'x', code: 'upstream_bad_request' })],
    ['the message is missing', answer(400, { code: 'invalid_request' })],
    ['cache-control is missing', answer(400, { message: 'x', code: 'invalid_request' }, { 'cache-control': '' })],
    ['the answer is not JSON', { Payload: bytes('<html>') }],
  ])('reports Failed without asking for the probe ids when the invalid id is not refused because %s', async (_c, r) => {
    lambda.on(InvokeCommand).resolves(r);

    expect((await check(EVENT)).ok).toBe(false);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(logLine()).toMatchObject({ step: 'invalid id', ok: false });
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('reports Failed at once when the version cannot be invoked', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' }));

    expect(await check(EVENT)).toEqual({ ok: false, reason: `${REASONS.invokeFailed} (ResourceNotFoundException)` });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it.each([
    ['the target version', { ...HOOK_ENV, [TARGET_VERSION_ENV]: undefined }],
    ['the probe', { [TARGET_VERSION_ENV]: VERSION_ARN }],
  ])('reports Failed without invoking anything when it does not know %s', async (_case, env) => {
    expect(await checkWith({ env })(EVENT)).toEqual({ ok: false, reason: REASONS.notConfigured });
    expect(lambda.commandCalls(InvokeCommand)).toEqual([]);
    expect(reportedStatus()?.status).toBe('Failed');
  });
});

describe('the pre-traffic check under throttling and hung calls', () => {
  const fast = { backoffBaseMs: 5, backoffCapMs: 20 };

  it('sends a throttled invoke again after a pause and passes a healthy version', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolvesOnce(refused)
      .rejectsOnce(throttled())
      .resolves(notFound);

    expect((await checkWith({ timing: fast })(EVENT)).ok).toBe(true);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(5);
    expect(logLine()).toMatchObject({ ok: true, invokeAttempts: 5 });
    expect(reportedStatus()?.status).toBe('Succeeded');
  });

  it.each(['ThrottlingException', 'ResourceNotReadyException', 'EC2ThrottledException', 'ServiceException'])(
    'sends the invoke again after a %s and passes a healthy version',
    async (name) => {
      const transient = Object.assign(new Error('not now'), { name, $metadata: {} });
      lambda.on(InvokeCommand).rejectsOnce(transient).resolvesOnce(refused).resolves(notFound);

      expect((await checkWith({ timing: fast })(EVENT)).ok).toBe(true);
      expect(lambda.commandCalls(InvokeCommand)).toHaveLength(3);
    },
  );

  it('reports Failed as throttled once its own time bound has passed, well before the hook times out', async () => {
    lambda.on(InvokeCommand).rejects(throttled());
    const startedAtMs = Date.now();

    const verdict = await checkWith({ timing: { ...fast, budgetMs: 300 } })(EVENT);

    expect(verdict).toEqual({ ok: false, reason: REASONS.throttled });
    expect(Date.now() - startedAtMs).toBeLessThan(3_000);
    expect(lambda.commandCalls(InvokeCommand).length).toBeGreaterThan(2);
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('reports Failed when an invoke does not return within its own timeout', async () => {
    lambda.on(InvokeCommand).callsFake(() => new Promise(() => {}));
    const startedAtMs = Date.now();

    expect(await checkWith({ timing: { invokeTimeoutMs: 100 } })(EVENT)).toEqual({
      ok: false,
      reason: REASONS.invokeTimeout,
    });
    expect(Date.now() - startedAtMs).toBeLessThan(3_000);
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('throws when CodeDeploy cannot be told, so the hook times out and the release rolls back', async () => {
    answering(notFound);
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).rejects(new Error('throttled'));
    await expect(check(EVENT)).rejects.toThrow('throttled');
  });

  it('throws when the report to CodeDeploy hangs past its own timeout', async () => {
    answering(notFound);
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).callsFake(() => new Promise(() => {}));
    const startedAtMs = Date.now();

    await expect(checkWith({ timing: { reportTimeoutMs: 100 } })(EVENT)).rejects.toThrow('call timed out');
    expect(Date.now() - startedAtMs).toBeLessThan(3_000);
  });

  it('keeps its whole budget and the report inside the time the hook function may run', () => {
    expect(CHECK_TIMING.budgetMs + CHECK_TIMING.reportTimeoutMs).toBeLessThan(60_000);
    expect(CHECK_TIMING.invokeTimeoutMs).toBeGreaterThan(10_000);
  });
});

describe('the verdict log line', () => {
  it('is one JSON line naming the deployment and version, with nothing from the answer body', async () => {
    answering(answer(500, { message: 'secret-ish', code: 'internal_error' }));

    await check(EVENT);

    expect(logLine()).toEqual({
      level: 'ERROR',
      message: 'pre-traffic check',
      deploymentId: EVENT.DeploymentId,
      versionArn: VERSION_ARN,
      step: 'probe ids',
      ok: false,
      reason: REASONS.serverError,
      status: 500,
      code: 'internal_error',
      invokeAttempts: 2,
      elapsedMs: expect.any(Number),
    });
    expect(logged[0]).not.toContain('secret-ish');
  });

  it('drops an error code that is not a plain word', async () => {
    answering(answer(502, { message: 'x', code: '4491365621601472 <script>' }));

    const verdict = await check(EVENT);

    expect(verdict).toEqual({ ok: false, reason: REASONS.serverError, status: 502 });
    expect(logged[0]).not.toContain('4491365621601472');
  });
});
