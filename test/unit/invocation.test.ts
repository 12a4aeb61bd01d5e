import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamRejectedError, UpstreamUnavailableError } from '../../lambda/errors.ts';
import {
  httpInvocation,
  type Invocation,
  invocationOf,
  RESPONSE_RESERVE_MS,
  traceRoot,
} from '../../lambda/invocation.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const PAN = '4491365621601472';
let logLines: string[];

beforeEach(() => {
  logLines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logLines.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** The real middy chain with only the invocation middleware, around `inner`. */
function chain(inner: Handler, options: Parameters<typeof httpInvocation>[0] = {}) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(httpInvocation(options))
    .handler(inner);
}

async function deadlineOf(options: Parameters<typeof httpInvocation>[0], timeoutMs: number) {
  let deadlineAtMs = 0;
  const startedAtMs = Date.now();
  await chain(async (_event, ctx) => {
    deadlineAtMs = invocationOf(ctx).deadlineAtMs;
    return ok(_event, ctx);
  }, options)(event(), lambdaContext(timeoutMs));
  return deadlineAtMs - startedAtMs;
}

const event = (headers: Record<string, string> = {}) =>
  apiGatewayEvent({ customerId: 'cust_demo_1', instrumentId: 'inst-1', headers, requestId: 'apigw-req-9' });

const ok: Handler = async () => ({ statusCode: 200, headers: {}, body: '{}' });

describe('httpInvocation', () => {
  it('opens a record with the picked request id and a deadline short of the Lambda deadline', async () => {
    // Prepare
    let seen: Invocation | undefined;
    const context = lambdaContext(5000);
    const handler = chain(async (_event, ctx) => {
      seen = { ...invocationOf(ctx) };
      return ok(_event, ctx);
    });
    const beforeMs = Date.now();

    // Act
    await handler(event({ 'X-Request-Id': 'caller-1' }), context);

    // Assess
    expect(seen?.requestId).toBe('caller-1');
    expect(seen?.upstream.attempts).toBe(0);
    const lambdaDeadlineMs = beforeMs + 5000;
    expect(seen?.deadlineAtMs).toBeLessThanOrEqual(lambdaDeadlineMs - RESPONSE_RESERVE_MS + 20);
    expect(seen?.deadlineAtMs).toBeGreaterThanOrEqual(lambdaDeadlineMs - RESPONSE_RESERVE_MS - 50);
  });

  it('bounds the deadline by the request budget when the function has more time than that', async () => {
    // Act
    const budgetMs = await deadlineOf({ requestBudgetMs: 2000 }, 10_000);

    // Assess: measured from just before the middleware's own clock read, so a millisecond tick may come between.
    expect(budgetMs).toBeGreaterThanOrEqual(2000);
    expect(budgetMs).toBeLessThanOrEqual(2020);
  });

  it('keeps the response reserve when the function has less time left than the budget', async () => {
    // Act
    const budgetMs = await deadlineOf({ requestBudgetMs: 5000 }, 1000);

    // Assess: the context's clock starts just after the measurement's, and the middleware reads the clock twice
    // (its start, then the remaining time), so a millisecond tick may fall on either side.
    expect(budgetMs).toBeGreaterThanOrEqual(1000 - RESPONSE_RESERVE_MS - 5);
    expect(budgetMs).toBeLessThanOrEqual(1000 - RESPONSE_RESERVE_MS + 20);
  });

  it('logs the API Gateway request id, the Lambda request id and the X-Ray trace root of this invocation', async () => {
    // Prepare
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    const context = lambdaContext();

    // Act
    await chain(ok)(event({ 'x-request-id': 'caller-3' }), context);

    // Assess
    expect(JSON.parse(logLines[0] as string)).toMatchObject({
      requestId: 'caller-3',
      apiRequestId: 'apigw-req-9',
      awsRequestId: context.awsRequestId,
      traceId: '1-5759e988-bd862e3fe1be46a994272793',
    });
  });

  it('reads the trace header at each invocation, not once', async () => {
    // Prepare
    const handler = chain(ok);
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-00000001-000000000000000000000001;Sampled=0');
    await handler(event(), lambdaContext());
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-00000002-000000000000000000000002;Sampled=0');

    // Act
    await handler(event(), lambdaContext());

    // Assess
    expect(logLines.map((line) => JSON.parse(line).traceId)).toEqual([
      '1-00000001-000000000000000000000001',
      '1-00000002-000000000000000000000002',
    ]);
  });

  it('writes one log line with the final status on success', async () => {
    // Act
    await chain(ok)(event(), lambdaContext());

    // Assess
    expect(logLines).toHaveLength(1);
    expect(JSON.parse(logLines[0] as string)).toMatchObject({ requestId: 'apigw-req-9', status: 200 });
  });

  it('turns an HttpError into its JSON answer with the request id and logs it once', async () => {
    // Prepare
    const handler = chain(async () => {
      throw new UpstreamRejectedError(404);
    });

    // Act
    const response = await handler(event({ 'x-request-id': 'caller-2' }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({ 'x-request-id': 'caller-2', 'cache-control': 'no-store' });
    expect(JSON.parse(response.body)).toStrictEqual({
      message: new UpstreamRejectedError(404).message,
      code: 'instrument_not_found',
    });
    expect(logLines).toHaveLength(1);
    expect(JSON.parse(logLines[0] as string)).toMatchObject({
      requestId: 'caller-2',
      status: 404,
      errorCode: 'instrument_not_found',
    });
  });

  it('answers an unexpected error as an opaque 500 and keeps its message out of the answer and the log', async () => {
    // Prepare
    const handler = chain(async () => {
      throw new TypeError(`cannot read card ${PAN}`);
    });

    // Act
    const response = await handler(event(), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toStrictEqual({ message: 'Internal error', code: 'internal_error' });
    expect(response.body).not.toContain(PAN);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).not.toContain(PAN);
    expect(JSON.parse(logLines[0] as string)).toMatchObject({ status: 500, errorCode: 'internal_error' });
  });

  it('logs the upstream counters the handler filled in', async () => {
    // Prepare
    const handler = chain(async (_event, context) => {
      const { upstream } = invocationOf(context);
      upstream.attempts = 2;
      upstream.retries = 1;
      upstream.status = 503;
      upstream.outcome = 'server_error';
      throw new UpstreamRejectedError(409);
    });

    // Act
    await handler(event(), lambdaContext());

    // Assess
    expect(JSON.parse(logLines[0] as string).upstream).toMatchObject({
      attempts: 2,
      retries: 1,
      status: 503,
      outcome: 'server_error',
    });
  });

  it('names the version that ran and counts a handled 5xx against it, which Lambda Errors never sees', async () => {
    // Prepare
    const handler = chain(async (_event, context) => {
      const { upstream } = invocationOf(context);
      upstream.attempts = 3;
      upstream.status = 502;
      upstream.outcome = 'server_error';
      throw new UpstreamUnavailableError('status 502');
    });

    // Act
    const response = await handler(event(), { ...lambdaContext(), functionVersion: '7' });

    // Assess
    expect(response.statusCode).toBe(502);
    const line = JSON.parse(logLines[0] as string);
    expect(line).toMatchObject({
      functionVersion: '7',
      FunctionVersion: '7',
      ServerErrorAnswer: 1,
      UpstreamFailure: 1,
    });
    expect(line._aws.CloudWatchMetrics).toContainEqual(
      expect.objectContaining({ Dimensions: [['FunctionName', 'FunctionVersion']] }),
    );
  });

  it('counts a successful answer as no 5xx of its version', async () => {
    // Act
    await chain(ok)(event(), { ...lambdaContext(), functionVersion: '7' });

    // Assess
    expect(JSON.parse(logLines[0] as string)).toMatchObject({ functionVersion: '7', ServerErrorAnswer: 0 });
  });

  it('refuses to hand out a record for a context the middleware did not open', () => {
    // Act
    const act = () => invocationOf(lambdaContext());

    // Assess
    expect(act).toThrow('httpInvocation middleware is not in the chain');
  });
});

describe('traceRoot', () => {
  it.each([
    [
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      '1-5759e988-bd862e3fe1be46a994272793',
    ],
    ['Parent=53995c3f42cd8ad8; Root=1-abc-def', '1-abc-def'],
    ['Parent=53995c3f42cd8ad8;Sampled=1', undefined],
    ['Root=1-abc"},"x":"y', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %s as %s', (header, expected) => {
    // Act
    const root = traceRoot(header);

    // Assess
    expect(root).toBe(expected);
  });
});
