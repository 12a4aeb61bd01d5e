import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { GATEWAY_REFUSALS, type GatewayRefusal } from '../api/gateway-responses.ts';
import { HTTP_METHOD } from '../api/resource.ts';
import { listen, type RequestListener, type RunningServer, readBodyUpTo, sendJson } from './http.ts';
import { apiGatewayEvent, type CallerIdentity, callerIdentity, lambdaContext } from './lambda-event.ts';
import { ownHosts } from './own-hosts.ts';
import { DEFAULT_OPENAPI_FILE, serveReference } from './reference-page.ts';
import { type LocalIam, type SignatureVerdict, verifySignature } from './sigv4.ts';

export type { LocalIam, LocalIamCredentials } from './sigv4.ts';
export { newLocalIamCredentials } from './sigv4.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One answered request, for the local access log. Ids are as they came in the path (percent-encoded). */
export interface AnsweredRequest {
  method: string;
  path: string;
  customerId?: string;
  instrumentId?: string;
  status: number;
  /** The `code` of an error answer, the gateway's or the function's. */
  code?: string;
  /** The `x-request-id` answered. */
  requestId?: string;
  /** Set when the function ran: its invocation log line carries the same id. */
  awsRequestId?: string;
  latencyMs: number;
}

export interface LocalApiOptions {
  handler: ProxyHandler;
  port?: number;
  host?: string;
  /** The function timeout the stack sets, so deadlines behave as deployed. */
  functionTimeoutMs?: number;
  /** Serves the other paths under `/__local` (fault switches); everything else goes to the gateway. */
  control?: RequestListener;
  /** With this, every request must carry a valid SigV4 signature by these credentials, as `AWS_IAM` demands. */
  iam?: LocalIam;
  /** Called once per request to the API (not for `/__local`), after the answer is written. */
  onAnswer?: (answer: AnsweredRequest) => void;
  /** The OpenAPI document served at `/__local/openapi.yaml`; `api/openapi.yaml` unless set. */
  openApiFile?: string;
}

// One resource, one method, as the stack deploys it. An empty segment matches nothing, as in API Gateway.
const ROUTE = /^\/customers\/([^/]+)\/instruments\/([^/]+)\/cryptogram$/;

/** API Gateway's REST API payload quota; it answers a larger request 413 without passing anything on. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

// Refusals API Gateway gives no response type of its own, so DEFAULT_4XX answers them at their own status.
const UNKNOWN_KEY: GatewayRefusal = { ...GATEWAY_REFUSALS.default4xx, status: 403 };
const REQUEST_TOO_LARGE: GatewayRefusal = { ...GATEWAY_REFUSALS.default4xx, status: 413, message: 'Request Too Long' };

const SIGNATURE_REFUSALS: Record<Exclude<SignatureVerdict, { ok: true }>['refusal'], GatewayRefusal> = {
  missing: GATEWAY_REFUSALS.missingAuthenticationToken,
  invalid: GATEWAY_REFUSALS.invalidSignature,
  expired: GATEWAY_REFUSALS.invalidSignature,
  unknown_key: UNKNOWN_KEY,
  wrong_host: UNKNOWN_KEY,
};

/** API Gateway's request id header, which it adds to every answer, its own refusals and the function's alike. */
const AMZN_REQUEST_ID = 'x-amzn-RequestId';

/**
 * API Gateway's own refusal, as the stack's gateway responses shape it: `{ message, code, requestId }` with
 * API Gateway's request id in the body and in `x-amzn-RequestId`, and no `x-request-id` (contract §1).
 */
function refuse(res: ServerResponse, refusal: GatewayRefusal, requestId: string, message = refusal.message) {
  sendJson(
    res,
    refusal.status,
    { message, code: refusal.code, requestId },
    {
      'cache-control': 'no-store',
      [AMZN_REQUEST_ID]: requestId,
      ...(refusal.retryAfterSeconds !== undefined && { 'retry-after': String(refusal.retryAfterSeconds) }),
    },
  );
}

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(',');
  }
  return headers;
};

type InvocationOutcome = { result: APIGatewayProxyResult } | { failed: true };

/** The function's answer, or a failure when it throws, outlives its timeout or answers something malformed. */
async function invoke(handler: ProxyHandler, event: APIGatewayProxyEvent, context: Context, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvocationOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ failed: true }), timeoutMs);
  });
  const ran = handler(event, context).then(
    (result): InvocationOutcome =>
      result && typeof result.statusCode === 'number' && typeof result.body === 'string'
        ? { result }
        : { failed: true },
    (): InvocationOutcome => ({ failed: true }),
  );
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function errorCodeOf(result: APIGatewayProxyResult): string | undefined {
  if (result.statusCode < 400) return undefined;
  try {
    const { code } = JSON.parse(result.body) as { code?: unknown };
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * API Gateway's part, locally: caps the body at 10 MB, matches the one resource and method, checks the SigV4
 * signature when `iam` is set, builds the REST v1 event and context, and writes the handler's answer with
 * API Gateway's request id added. Whatever the deployed gateway refuses by itself (an oversized body, unknown
 * routes and methods, missing or bad signatures, a function that fails) gets the same status and JSON here,
 * from `GATEWAY_REFUSALS`.
 */
export function startLocalApi(options: LocalApiOptions): Promise<RunningServer> {
  const { handler, control, iam, onAnswer, functionTimeoutMs = 10_000, host = '127.0.0.1' } = options;
  const openApiFile = options.openApiFile ?? DEFAULT_OPENAPI_FILE;
  let hosts: { port: number; names: ReadonlySet<string> } | undefined;
  const hostsOf = (port = 0) => {
    if (hosts?.port !== port) hosts = { port, names: ownHosts(host, port) };
    return hosts.names;
  };

  return listen(
    async (req, res) => {
      const startedAtMs = Date.now();
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      if (path === '/__local' || path.startsWith('/__local/')) {
        if (method === 'GET' && (await serveReference(path, req, res, { openApiFile, signatureRequired: !!iam }))) {
          return;
        }
        if (control) return control(req, res);
        return sendJson(res, 404, { message: 'No such local control', code: 'not_found' });
      }

      const gatewayRequestId = randomUUID();
      const route = ROUTE.exec(path);
      const answered = (status: number, code?: string, extra: Partial<AnsweredRequest> = {}) =>
        onAnswer?.({
          method,
          path,
          customerId: route?.[1],
          instrumentId: route?.[2],
          status,
          code,
          requestId: gatewayRequestId,
          latencyMs: Date.now() - startedAtMs,
          ...extra,
        });
      const refuseWith = (refusal: GatewayRefusal, message?: string) => {
        refuse(res, refusal, gatewayRequestId, message);
        answered(refusal.status, refusal.code);
      };

      const body = await readBodyUpTo(req, MAX_REQUEST_BODY_BYTES);
      if (body === undefined) {
        // The rest of the body is never read: the connection closes after the answer.
        res.setHeader('connection', 'close');
        return refuseWith(REQUEST_TOO_LARGE);
      }
      // API Gateway matches the route before it looks at the signature, and a REST API answers an unknown
      // route or method with this refusal, signed or not.
      if (!route || method !== HTTP_METHOD) return refuseWith(GATEWAY_REFUSALS.missingAuthenticationToken);

      let identity: CallerIdentity | undefined;
      if (iam) {
        const verdict = await verifySignature(
          { method, target: url, headers: req.headersDistinct, body, ownHosts: hostsOf(req.socket.localPort) },
          iam,
        );
        if (!verdict.ok) return refuseWith(SIGNATURE_REFUSALS[verdict.refusal], verdict.message);
        identity = callerIdentity(verdict.accessKeyId);
      }

      const event = apiGatewayEvent({
        customerId: route[1],
        instrumentId: route[2],
        headers: headersOf(req),
        requestId: gatewayRequestId,
        ...(identity && { identity }),
        ...(req.socket.remoteAddress && { sourceIp: req.socket.remoteAddress }),
      });
      const context = lambdaContext(functionTimeoutMs);
      const outcome = await invoke(handler, event, context, functionTimeoutMs);
      if ('failed' in outcome) {
        refuse(res, GATEWAY_REFUSALS.integrationFailure, gatewayRequestId);
        answered(GATEWAY_REFUSALS.integrationFailure.status, GATEWAY_REFUSALS.integrationFailure.code, {
          awsRequestId: context.awsRequestId,
        });
        return;
      }
      const { result } = outcome;
      // API Gateway adds its own request id to every answer it passes on.
      res.writeHead(result.statusCode, { ...result.headers, [AMZN_REQUEST_ID]: gatewayRequestId } as Record<
        string,
        string
      >);
      res.end(result.body);
      answered(result.statusCode, errorCodeOf(result), {
        awsRequestId: context.awsRequestId,
        requestId: String(result.headers?.['x-request-id'] ?? gatewayRequestId),
      });
    },
    options.port,
    host,
  );
}
