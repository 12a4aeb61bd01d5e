import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { GATEWAY_REFUSALS, type GatewayRefusal } from '../api/gateway-responses.ts';

// The two catch-alls cover many statuses (404, 413, 502, ...): forcing one status on them would lie.
const KEEPS_ITS_OWN_STATUS = new Set(['DEFAULT_4XX', 'DEFAULT_5XX']);

/**
 * API Gateway's own refusals, answered like the function: `{ "message", "code", "requestId" }` with a lower-case
 * code, JSON and `no-store`. API Gateway documents gateway-response headers mapped only from `method.request.*`
 * values and quoted literals, and `$context` variables in the body template; so its request id goes in the body
 * (`$context.requestId`), and in the `x-amzn-RequestId` header API Gateway adds to every answer by itself. No
 * `x-request-id` here: that header is the function's (contract §1).
 */
export function addGatewayResponses(api: RestApi): void {
  for (const [name, refusal] of Object.entries(GATEWAY_REFUSALS) as Array<[string, GatewayRefusal]>) {
    api.addGatewayResponse(`${name}Response`, {
      type: ResponseType.of(refusal.type),
      statusCode: KEEPS_ITS_OWN_STATUS.has(refusal.type) ? undefined : String(refusal.status),
      responseHeaders: {
        'content-type': "'application/json'",
        'cache-control': "'no-store'",
        ...(refusal.retryAfterSeconds !== undefined && { 'retry-after': `'${refusal.retryAfterSeconds}'` }),
      },
      templates: {
        // messageString is API Gateway's message already quoted as a JSON string; the request id is a plain token.
        'application/json': `{"message":$context.error.messageString,"code":"${refusal.code}","requestId":"$context.requestId"}`,
      },
    });
  }
}
