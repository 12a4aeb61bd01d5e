import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPreTrafficCheck, judge, probeEvent } from '../../infra/functions/pre-traffic-check.ts';
import { lambdaContext } from '../../local/lambda-event.ts';

const VERSION_ARN = 'arn:aws:lambda:ap-south-1:222222222222:function:CryptogramService-prod-Handler:7';
const EVENT = { DeploymentId: 'd-EXAMPLE123', LifecycleEventHookExecutionId: 'hook-execution-1' };
// The SDK types the payload as its blob adapter; the hook only decodes the bytes.
const bytes = (text: string) => new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
const encode = (value: unknown) => bytes(JSON.stringify(value));
const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  encode({
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  });

const lambda = mockClient(LambdaClient);
const codedeploy = mockClient(CodeDeployClient);
const logged: string[] = [];
const check = createPreTrafficCheck({
  lambda: new LambdaClient({ region: 'ap-south-1' }),
  codedeploy: new CodeDeployClient({ region: 'ap-south-1' }),
  versionArn: VERSION_ARN,
  log: (line) => logged.push(line),
});
const reportedStatus = () => codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]?.args[0].input;

beforeEach(() => {
  lambda.reset();
  codedeploy.reset();
  logged.length = 0;
});

describe('the pre-traffic check against the real handler', () => {
  type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  let handler: Handler;
  const originalEnv = { ...process.env };

  beforeAll(async () => {
    // Nothing listens on port 9: if the probe made the function read the secret or call Cashfree, it would
    // fail with a 5xx instead of the 400, and the check would report Failed.
    process.env = {
      ...originalEnv,
      CASHFREE_SECRET_ID: 'cryptogram-service/pre-traffic-test',
      CASHFREE_BASE_URL: 'http://127.0.0.1:9/pg',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.resetModules();
    handler = (await import('../../lambda/handler.ts')).handler as unknown as Handler;
  });
  afterAll(() => {
    process.env = originalEnv;
    vi.restoreAllMocks();
  });

  it('reports Succeeded when the new version refuses the probe with the 400 JSON answer', async () => {
    lambda.on(InvokeCommand).callsFake(async (input) => {
      const event = JSON.parse(new TextDecoder().decode(input.Payload)) as APIGatewayProxyEvent;
      return { StatusCode: 200, Payload: encode(await handler(event, lambdaContext())) };
    });
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});

    const verdict = await check(EVENT);

    expect(verdict).toEqual({ ok: true, reason: expect.any(String) });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: VERSION_ARN,
      InvocationType: 'RequestResponse',
    });
    expect(reportedStatus()).toEqual({
      deploymentId: EVENT.DeploymentId,
      lifecycleEventHookExecutionId: EVENT.LifecycleEventHookExecutionId,
      status: 'Succeeded',
    });
  });
});

describe('the pre-traffic check', () => {
  beforeEach(() => codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({}));

  it.each([
    ['the version crashed', { FunctionError: 'Unhandled', Payload: encode({ errorType: 'Error' }) }],
    ['the version answered 500', { Payload: answer(500, { message: 'x', code: 'internal_error' }) }],
    ['the version answered 200', { Payload: answer(200, { message: 'x', code: 'invalid_request' }) }],
    ['the code is another', { Payload: answer(400, { message: 'x', code: 'upstream_bad_request' }) }],
    ['the message is missing', { Payload: answer(400, { code: 'invalid_request' }) }],
    [
      'cache-control is missing',
      { Payload: answer(400, { message: 'x', code: 'invalid_request' }, { 'cache-control': '' }) },
    ],
    ['the answer is not JSON', { Payload: bytes('<html>') }],
  ])('reports Failed when %s', async (_case, response) => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, ...response });
    expect((await check(EVENT)).ok).toBe(false);
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('reports Failed when the version cannot be invoked', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' }));
    expect(await check(EVENT)).toEqual({ ok: false, reason: 'the invoke failed (ResourceNotFoundException)' });
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('reports Failed without invoking anything when it does not know the version', async () => {
    const unconfigured = createPreTrafficCheck({
      lambda: new LambdaClient({ region: 'ap-south-1' }),
      codedeploy: new CodeDeployClient({ region: 'ap-south-1' }),
      versionArn: undefined,
      log: () => {},
    });
    expect((await unconfigured(EVENT)).ok).toBe(false);
    expect(lambda.commandCalls(InvokeCommand)).toEqual([]);
    expect(reportedStatus()?.status).toBe('Failed');
  });

  it('throws when CodeDeploy cannot be told, so the hook times out and the release rolls back', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: answer(400, { message: 'x', code: 'invalid_request' }) });
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).rejects(new Error('throttled'));
    await expect(check(EVENT)).rejects.toThrow('throttled');
  });

  it('logs its verdict with the deployment and never the answer body', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: answer(500, { message: 'secret-ish', code: 'x' }) });
    await check(EVENT);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({
      level: 'ERROR',
      deploymentId: EVENT.DeploymentId,
      ok: false,
    });
    expect(logged[0]).not.toContain('secret-ish');
  });
});

describe('the probe', () => {
  it('is a REST proxy event whose customer id the function must refuse, carrying the deployment id', () => {
    const event = probeEvent('d-EXAMPLE123') as {
      pathParameters: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(decodeURIComponent(event.pathParameters.customer_id ?? '')).toMatch(/\s/);
    expect(event.headers['x-request-id']).toBe('pre-traffic-d-EXAMPLE123');
  });

  it('passes only a complete 400 invalid_request answer', () => {
    expect(
      judge({ Payload: answer(400, { message: 'customer_id may contain only ...', code: 'invalid_request' }) }).ok,
    ).toBe(true);
  });
});
