import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { newUpstreamRecord, type UpstreamRecord } from './cashfree.ts';
import { DEFAULTS } from './config.ts';
import { toHttpError } from './errors.ts';
import { pickRequestId } from './request.ts';
import { errorResponse } from './response.ts';
import { writeInvocationLine } from './telemetry.ts';

export interface Invocation {
  requestId: string;
  /** API Gateway's own id for the request, which its access log carries. */
  apiRequestId: string | undefined;
  /** The X-Ray trace root at invocation time, when tracing is on. */
  traceId: string | undefined;
  startedAtMs: number;
  /** When the answer must be ready: the request budget, or the Lambda deadline less `RESPONSE_RESERVE_MS`. */
  deadlineAtMs: number;
  upstream: UpstreamRecord;
}

export interface HttpInvocationOptions {
  /** Longest any answer may take (`REQUEST_BUDGET_MS`); the function timeout stays above it as a backstop. */
  requestBudgetMs?: number;
}

/** Time kept back from the Lambda deadline to build, log and return the answer. */
export const RESPONSE_RESERVE_MS = 300;

// Keyed by the invocation's own context object, so the state is typed without widening Lambda's Context.
const invocations = new WeakMap<Context, Invocation>();

/** The record `httpInvocation` opened for this context. */
export function invocationOf(context: Context): Invocation {
  const invocation = invocations.get(context);
  if (!invocation) throw new Error('httpInvocation middleware is not in the chain');
  return invocation;
}

type InvocationRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

/**
 * Opens the per-invocation record (request id, deadline, upstream counters), turns any error into the
 * `{ message, code }` answer, and writes the invocation's one log line on every path.
 */
export function httpInvocation({
  requestBudgetMs = DEFAULTS.requestBudgetMs,
}: HttpInvocationOptions = {}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  const httpInvocationBefore = ({ event, context }: InvocationRequest): void => {
    const startedAtMs = Date.now();
    invocations.set(context, {
      requestId: pickRequestId(event, context),
      apiRequestId: event.requestContext?.requestId || undefined,
      traceId: traceRoot(process.env._X_AMZN_TRACE_ID),
      startedAtMs,
      deadlineAtMs: startedAtMs + Math.min(requestBudgetMs, context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS),
      upstream: newUpstreamRecord(),
    });
  };

  const httpInvocationAfter = (request: InvocationRequest): void => {
    log(request);
  };

  const httpInvocationOnError = (request: InvocationRequest): void => {
    const error = toHttpError(request.error);
    request.error = error;
    request.response = errorResponse(
      error,
      invocations.get(request.context)?.requestId ?? request.context.awsRequestId,
    );
    log(request);
  };

  return { before: httpInvocationBefore, after: httpInvocationAfter, onError: httpInvocationOnError };
}

function log({ context, response, error }: InvocationRequest): void {
  const invocation = invocations.get(context);
  writeInvocationLine({
    requestId: invocation?.requestId ?? context.awsRequestId,
    apiRequestId: invocation?.apiRequestId,
    awsRequestId: context.awsRequestId,
    traceId: invocation?.traceId,
    functionName: context.functionName,
    // Through the alias this is the version that ran, so a canary's lines and metrics stand apart.
    functionVersion: context.functionVersion,
    status: response?.statusCode ?? 500,
    durationMs: invocation ? Date.now() - invocation.startedAtMs : 0,
    upstream: invocation?.upstream ?? newUpstreamRecord(),
    ...(error && { error: toHttpError(error) }),
  });
}

/**
 * The `Root=` part of the X-Ray trace header the runtime sets per invocation (`Root=1-...;Parent=...;Sampled=1`),
 * the id X-Ray and CloudWatch search by.
 */
export function traceRoot(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const root = part.trim();
    if (root.startsWith('Root=')) return /^Root=([A-Za-z0-9-]{1,64})$/.exec(root)?.[1];
  }
  return undefined;
}
