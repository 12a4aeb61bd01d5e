import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { type InvocationResponse, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HTTP_METHOD, RESOURCE_PATH, STAGE_NAME } from '../../api/resource.ts';
import { PROBE_ANSWERS, type Probe, type ProbeStatus, readProbe, SAFE_CODE, TARGET_VERSION_ENV } from './probe.ts';

/** What CodeDeploy sends a lifecycle hook. */
interface LifecycleEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

export interface Verdict {
  ok: boolean;
  /** Fixed text: never a payload, which could one day carry card data. */
  reason: string;
  /** The new version's answer, when it gave one: its status and its error code (a plain word). */
  status?: number;
  code?: string;
}

/**
 * The check's own bounds. CodeDeploy waits up to an hour for a hook, far more than needed: the hook function's
 * 60 s timeout (infra/release.ts) holds the whole budget plus the report, so a hung call fails the release
 * in a minute instead of holding it for an hour.
 */
export const CHECK_TIMING = {
  /** Both invokes and every throttling wait between them. */
  budgetMs: 40_000,
  /** One Invoke: the function's 10 s timeout plus the init of a cold start (secret read, TLS to Cashfree). */
  invokeTimeoutMs: 15_000,
  /** The report to CodeDeploy, the SDK's own retries included. */
  reportTimeoutMs: 10_000,
  /** A throttled Invoke waits a random time up to this, doubling per attempt up to the cap (full jitter). */
  backoffBaseMs: 250,
  backoffCapMs: 4_000,
};

/**
 * Invoke errors that say "not now" rather than "no": the concurrency is in use, the version (or, in a VPC, its
 * network interface) is not ready yet, or Lambda itself failed for a moment.
 */
const TRANSIENT_INVOKE_ERRORS = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'ResourceNotReadyException',
  'EC2ThrottledException',
  'ServiceException',
]);

export const REASONS = {
  notConfigured: 'the check is not configured: the target version or the probe ids are missing',
  passed: 'the new version refused an invalid id and answered the probe ids as Cashfree does for an unknown card',
  crashed: 'the new version crashed',
  noProxyAnswer: 'the new version returned no API Gateway proxy answer',
  notUncacheableJson: 'the answer is not JSON with cache-control no-store',
  refusal: 'the new version did not refuse an invalid id with 400 invalid_request',
  keyPairRefused: 'Cashfree refused the key pair of the new version (401/403, answered 502 upstream_auth_failed)',
  credentials: 'the new version could not read its Cashfree credentials from Secrets Manager',
  upstreamTimeout: 'Cashfree did not answer the new version in time (504 upstream_timeout)',
  serverError: 'the new version answered the probe ids with a 5xx',
  realCard: 'the probe ids name a real card: the new version answered 200 (body not logged); choose other probe ids',
  unexpected: 'the new version answered the probe ids with an unexpected status',
  expected400: 'Cashfree answered the probe ids 400, not 404: confirm it and set probe.expected (docs/deploy.md)',
  invokeTimeout: 'the invoke of the new version did not return in time',
  throttled: 'the new version could not be invoked for the whole check (throttled, not ready or a Lambda fault)',
  invokeFailed: 'the invoke of the new version failed',
} as const;

const SAFE_ERROR_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

// A space is outside the id allow-list, so the function must refuse before reading the secret or calling
// Cashfree: the check first proves the new code loads, routes and answers, at no cost upstream.
const REFUSED_CUSTOMER_ID = 'pre-traffic%20check';

/** An API Gateway REST proxy event for the two ids as API Gateway passes them (percent-encoded path segments). */
function proxyEvent(customerId: string, instrumentId: string, requestId: string): Record<string, unknown> {
  const pathParameters = { customer_id: customerId, instrument_id: instrumentId };
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

const requestIdOf = (deploymentId: string, step: string): string =>
  `pre-traffic-${step}-${deploymentId}`.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 128);

/** The event whose customer id the function must refuse with 400 `invalid_request`. */
export function refusalEvent(deploymentId: string): Record<string, unknown> {
  return proxyEvent(REFUSED_CUSTOMER_ID, 'pre-traffic-check', requestIdOf(deploymentId, 'refusal'));
}

/** The event for the probe ids: the function must read its secret, reach Cashfree and be accepted by it. */
export function probeIdsEvent(deploymentId: string, probe: Pick<Probe, 'customerId' | 'instrumentId'>) {
  return proxyEvent(
    encodeURIComponent(probe.customerId),
    encodeURIComponent(probe.instrumentId),
    requestIdOf(deploymentId, 'probe'),
  );
}

interface Answer {
  status: number;
  code: string | undefined;
  /** JSON with `cache-control: no-store` and a message, as every answer of the function is. */
  wellFormed: boolean;
}

/** The proxy answer's status and error code, or the reason there is no usable answer. Reads no other field. */
function readAnswer(response: Pick<InvocationResponse, 'FunctionError' | 'Payload'>): Answer | Verdict {
  if (response.FunctionError) return { ok: false, reason: REASONS.crashed };
  let answer: { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown };
  try {
    answer = JSON.parse(new TextDecoder().decode(response.Payload));
  } catch {
    return { ok: false, reason: REASONS.noProxyAnswer };
  }
  if (typeof answer?.statusCode !== 'number') return { ok: false, reason: REASONS.noProxyAnswer };
  const status = answer.statusCode;
  const headers = Object.fromEntries(
    Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  // A 200's body is card data: it is never parsed here.
  if (status === 200) return { status, code: undefined, wellFormed: false };
  let body: { message?: unknown; code?: unknown } | undefined;
  try {
    body = JSON.parse(String(answer.body));
  } catch {
    body = undefined;
  }
  const code = typeof body?.code === 'string' && SAFE_CODE.test(body.code) ? body.code : undefined;
  const wellFormed =
    Boolean(headers['content-type']?.startsWith('application/json')) &&
    headers['cache-control'] === 'no-store' &&
    typeof body?.message === 'string' &&
    body.message !== '';
  return { status, code, wellFormed };
}

const isVerdict = (value: Answer | Verdict): value is Verdict => 'ok' in value;

/** Whether the version refused the invalid id as the contract says: 400, JSON, `no-store`, `invalid_request`. */
export function judgeRefusal(response: Pick<InvocationResponse, 'FunctionError' | 'Payload'>): Verdict {
  const answer = readAnswer(response);
  if (isVerdict(answer)) return answer;
  const { status, code } = answer;
  if (status !== 400 || code !== 'invalid_request') return { ok: false, reason: REASONS.refusal, status, code };
  if (!answer.wellFormed) return { ok: false, reason: REASONS.notUncacheableJson, status, code };
  return { ok: true, reason: 'the new version refused an invalid id with the 400 JSON answer', status, code };
}

/** Whether the version answered the probe ids with the configured "authenticated and routed" answer. */
export function judgeProbe(
  response: Pick<InvocationResponse, 'FunctionError' | 'Payload'>,
  expected: ProbeStatus,
): Verdict {
  const answer = readAnswer(response);
  if (isVerdict(answer)) return answer;
  const { status, code } = answer;
  const failed = (reason: string): Verdict => ({ ok: false, reason, status, ...(code && { code }) });
  if (status === 200) return failed(REASONS.realCard);
  if (status === expected && code === PROBE_ANSWERS[expected]) {
    return answer.wellFormed ? { ok: true, reason: REASONS.passed, status, code } : failed(REASONS.notUncacheableJson);
  }
  if (code === 'upstream_auth_failed') return failed(REASONS.keyPairRefused);
  if (code === 'upstream_timeout' || status === 504) return failed(REASONS.upstreamTimeout);
  if (code?.startsWith('credentials_')) return failed(REASONS.credentials);
  if (status >= 500) return failed(REASONS.serverError);
  if (status === 400 && code === PROBE_ANSWERS[400]) return failed(REASONS.expected400);
  return failed(REASONS.unexpected);
}

class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
}

/** Runs one SDK call with its own deadline: the SDK request is aborted and the wait ends, whichever is first. */
async function bounded<T>(call: (abortSignal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CallTimeoutError('call timed out'));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

const errorName = (error: unknown): string | undefined => {
  const name = error instanceof Error ? error.name : undefined;
  return name && SAFE_ERROR_NAME.test(name) ? name : undefined;
};

export interface PreTrafficCheckDeps {
  lambda: Pick<LambdaClient, 'send'>;
  codedeploy: Pick<CodeDeployClient, 'send'>;
  /** The hook's environment: the target version and the probe (infra/functions/probe.ts). */
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
  timing?: Partial<typeof CHECK_TIMING>;
}

type Invoked = { response: InvocationResponse } | { verdict: Verdict };

/**
 * The hook: invokes the version under release with an invalid id (it must refuse it) and then with the probe
 * ids (it must read its secret, reach Cashfree over TLS, be accepted and get Cashfree's answer for an unknown
 * card), then tells CodeDeploy `Succeeded` or `Failed` and logs one line. A failure to report is thrown, so
 * CodeDeploy's hook timeout fails the deployment rather than passing it.
 */
export function createPreTrafficCheck({
  lambda,
  codedeploy,
  env,
  log = (line) => process.stdout.write(`${line}\n`),
  timing = {},
}: PreTrafficCheckDeps) {
  const limits = { ...CHECK_TIMING, ...timing };
  const versionArn = env[TARGET_VERSION_ENV];
  const probe = readProbe(env);

  return async function preTrafficCheck(event: LifecycleEvent): Promise<Verdict> {
    const startedAtMs = Date.now();
    const deadlineAtMs = startedAtMs + limits.budgetMs;
    let invokeAttempts = 0;

    // Throttled invokes are sent again after a jittered pause while the budget lasts; any other failure is final.
    const invoke = async (payload: Record<string, unknown>, target: string): Promise<Invoked> => {
      for (let attempt = 0; ; attempt++) {
        const leftMs = deadlineAtMs - Date.now();
        if (leftMs <= 0) return { verdict: { ok: false, reason: REASONS.throttled } };
        invokeAttempts++;
        try {
          const command = new InvokeCommand({
            FunctionName: target,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(payload)),
          });
          const response = await bounded(
            (abortSignal) => lambda.send(command, { abortSignal }),
            Math.min(limits.invokeTimeoutMs, leftMs),
          );
          return { response };
        } catch (error) {
          if (error instanceof CallTimeoutError) return { verdict: { ok: false, reason: REASONS.invokeTimeout } };
          const name = errorName(error);
          if (!name || !TRANSIENT_INVOKE_ERRORS.has(name)) {
            return { verdict: { ok: false, reason: `${REASONS.invokeFailed} (${name ?? 'unknown error'})` } };
          }
          const pauseMs = Math.random() * Math.min(limits.backoffCapMs, limits.backoffBaseMs * 2 ** attempt);
          if (Date.now() + pauseMs >= deadlineAtMs) return { verdict: { ok: false, reason: REASONS.throttled } };
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }
    };

    let verdict: Verdict;
    let step = 'configuration';
    if (!versionArn || !probe) {
      verdict = { ok: false, reason: REASONS.notConfigured };
    } else {
      step = 'invalid id';
      const refused = await invoke(refusalEvent(event.DeploymentId), versionArn);
      verdict = 'verdict' in refused ? refused.verdict : judgeRefusal(refused.response);
      if (verdict.ok) {
        step = 'probe ids';
        const probed = await invoke(probeIdsEvent(event.DeploymentId, probe), versionArn);
        verdict = 'verdict' in probed ? probed.verdict : judgeProbe(probed.response, probe.expected);
      }
    }

    log(
      JSON.stringify({
        level: verdict.ok ? 'INFO' : 'ERROR',
        message: 'pre-traffic check',
        deploymentId: event.DeploymentId,
        versionArn,
        step,
        ...verdict,
        invokeAttempts,
        elapsedMs: Date.now() - startedAtMs,
      }),
    );
    await bounded(
      (abortSignal) =>
        codedeploy.send(
          new PutLifecycleEventHookExecutionStatusCommand({
            deploymentId: event.DeploymentId,
            lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
            status: verdict.ok ? 'Succeeded' : 'Failed',
          }),
          { abortSignal },
        ),
      limits.reportTimeoutMs,
    );
    return verdict;
  };
}

export const handler = createPreTrafficCheck({
  // One attempt per send: the check retries throttled invokes itself, within its own budget.
  lambda: new LambdaClient({ maxAttempts: 1 }),
  codedeploy: new CodeDeployClient({}),
  env: process.env,
});
