import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { GATEWAY_REFUSALS, type GatewayRefusal } from '../api/gateway-responses.ts';

// The two catch-alls cover many statuses (404, 413, 502, ...): forcing one status on them would lie.
const KEEPS_ITS_OWN_STATUS = new Set(['DEFAULT_4XX', 'DEFAULT_5XX']);

/**
 * API Gateway's own refusals, answered like the function: `{ "message", "code" }` with a lower-case code,
 * JSON, `no-store`, and API Gateway's request id as `x-request-id` (the caller's own never reaches here).
 */
export function addGatewayResponses(api: RestApi): void {
  for (const [name, refusal] of Object.entries(GATEWAY_REFUSALS) as Array<[string, GatewayRefusal]>) {
    api.addGatewayResponse(`${name}Response`, {
      type: ResponseType.of(refusal.type),
      statusCode: KEEPS_ITS_OWN_STATUS.has(refusal.type) ? undefined : String(refusal.status),
      responseHeaders: {
        'content-type': "'application/json'",
        'cache-control': "'no-store'",
        'x-request-id': 'context.requestId',
        ...(refusal.retryAfterSeconds !== undefined && { 'retry-after': `'${refusal.retryAfterSeconds}'` }),
      },
      templates: {
        // messageString is API Gateway's message already quoted as a JSON string.
        'application/json': `{"message":$context.error.messageString,"code":"${refusal.code}"}`,
      },
    });
  }
}
