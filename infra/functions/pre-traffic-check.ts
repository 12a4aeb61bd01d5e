import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { type InvocationResponse, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HTTP_METHOD, RESOURCE_PATH, STAGE_NAME } from '../../api/resource.ts';

/** The environment variable holding the ARN of the version under release (a qualified function ARN). */
export const TARGET_VERSION_ENV = 'TARGET_VERSION_ARN';

/** What CodeDeploy sends a lifecycle hook. */
export interface LifecycleEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

export interface Verdict {
  ok: boolean;
  /** Fixed text: never a payload, which could one day carry card data. */
  reason: string;
}

// A space is outside the id allow-list, so the function must refuse before reading the secret or calling
// Cashfree: the check proves the new code loads, routes and answers, at no cost upstream.
const REFUSED_CUSTOMER_ID = 'pre-traffic%20check';

/** An API Gateway REST proxy event for an id the function must refuse with 400 `invalid_request`. */
export function probeEvent(deploymentId: string): Record<string, unknown> {
  const requestId = `pre-traffic-${deploymentId}`.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 128);
  const pathParameters = { customer_id: REFUSED_CUSTOMER_ID, instrument_id: 'pre-traffic-check' };
  const path = RESOURCE_PATH.replace(/\{(\w+)\}/g, (_, name: keyof typeof pathParameters) => pathParameters[name]);
  return {
    resource: RESOURCE_PATH,
    path,
    httpMethod: HTTP_METHOD,
    headers: { 'x-request-id': requestId },
    multiValueHeaders: { 'x-request-id': [requestId] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    requestContext: {
      requestId,
      stage: STAGE_NAME,
      httpMethod: HTTP_METHOD,
      path: `/${STAGE_NAME}${path}`,
      resourcePath: RESOURCE_PATH,
      identity: { caller: 'codedeploy-pre-traffic-check', sourceIp: '127.0.0.1' },
    },
    body: null,
    isBase64Encoded: false,
  };
}

/** Whether the version answered the probe as the contract says: 400, JSON, `no-store`, `invalid_request`. */
export function judge(response: Pick<InvocationResponse, 'FunctionError' | 'Payload'>): Verdict {
  if (response.FunctionError) return { ok: false, reason: `the function failed (${response.FunctionError})` };
  let answer: { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown };
  try {
    answer = JSON.parse(new TextDecoder().decode(response.Payload));
  } catch {
    return { ok: false, reason: 'the function returned no JSON' };
  }
  if (answer?.statusCode !== 400)
    return { ok: false, reason: `expected status 400, got ${String(answer?.statusCode)}` };
  const headers = Object.fromEntries(
    Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  if (!headers['content-type']?.startsWith('application/json')) {
    return { ok: false, reason: 'content-type is not application/json' };
  }
  if (headers['cache-control'] !== 'no-store') return { ok: false, reason: 'cache-control is not no-store' };
  let body: { message?: unknown; code?: unknown };
  try {
    body = JSON.parse(String(answer.body));
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (body?.code !== 'invalid_request') return { ok: false, reason: 'the body code is not invalid_request' };
  if (typeof body.message !== 'string' || body.message === '') return { ok: false, reason: 'the body has no message' };
  return { ok: true, reason: 'the new version refused an invalid id with the 400 JSON answer' };
}

export interface PreTrafficCheckDeps {
  lambda: Pick<LambdaClient, 'send'>;
  codedeploy: Pick<CodeDeployClient, 'send'>;
  versionArn: string | undefined;
  log?: (line: string) => void;
}

/**
 * The hook: invokes the version under release with the probe, then tells CodeDeploy `Succeeded` or `Failed`.
 * A failure to report is thrown, so CodeDeploy's hook timeout fails the deployment rather than passing it.
 */
export function createPreTrafficCheck({ lambda, codedeploy, versionArn, log = console.log }: PreTrafficCheckDeps) {
  return async function preTrafficCheck(event: LifecycleEvent): Promise<Verdict> {
    let verdict: Verdict;
    if (!versionArn) {
      verdict = { ok: false, reason: `${TARGET_VERSION_ENV} is not set` };
    } else {
      try {
        const response = await lambda.send(
          new InvokeCommand({
            FunctionName: versionArn,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(probeEvent(event.DeploymentId))),
          }),
        );
        verdict = judge(response);
      } catch (error) {
        verdict = { ok: false, reason: `the invoke failed (${error instanceof Error ? error.name : 'unknown'})` };
      }
    }
    log(
      JSON.stringify({
        level: verdict.ok ? 'INFO' : 'ERROR',
        message: 'pre-traffic check',
        deploymentId: event.DeploymentId,
        versionArn,
        ...verdict,
      }),
    );
    await codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: event.DeploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status: verdict.ok ? 'Succeeded' : 'Failed',
      }),
    );
    return verdict;
  };
}

export const handler = createPreTrafficCheck({
  lambda: new LambdaClient({}),
  codedeploy: new CodeDeployClient({}),
  versionArn: process.env[TARGET_VERSION_ENV],
});
