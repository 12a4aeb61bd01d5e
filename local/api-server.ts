import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { listen, type RequestListener, type RunningServer, sendJson } from './http.ts';
import { apiGatewayEvent, lambdaContext } from './lambda-event.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalApiOptions {
  handler: ProxyHandler;
  port?: number;
  host?: string;
  /** The function timeout the stack sets, so deadlines behave as deployed. */
  functionTimeoutMs?: number;
  /** Serves paths under `/__local/` (fault switches); everything else goes to the handler. */
  control?: RequestListener;
}

const ROUTE = /^\/customers\/([^/]+)\/instruments\/([^/]+)\/cryptogram$/;

/**
 * API Gateway's part, locally: matches the one resource, builds the REST v1 event and context, and writes the
 * handler's answer. There is no SigV4 check here; the deployed API requires it.
 */
export function startLocalApi(options: LocalApiOptions): Promise<RunningServer> {
  const { handler, control, functionTimeoutMs = 10_000 } = options;
  return listen(
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (control && path.startsWith('/__local/')) return control(req, res);
      const route = ROUTE.exec(path);
      if (!route) return sendJson(res, 404, { message: 'No such resource', code: 'not_found' });
      if (req.method !== 'GET')
        return sendJson(res, 405, { message: 'Only GET is allowed', code: 'method_not_allowed' });

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const event = apiGatewayEvent({ customerId: route[1], instrumentId: route[2], headers });
      const result = await handler(event, lambdaContext(functionTimeoutMs));
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    },
    options.port,
    options.host,
  );
}
