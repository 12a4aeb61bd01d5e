/**
 * What API Gateway itself answers, before or instead of the function, in the function's `{ message, code }`
 * style. One table serves three readers: the stack's gateway responses (`infra/`), the local gateway that
 * imitates them (`local/`), and the OpenAPI document's tests (`api/`).
 */
export interface GatewayRefusal {
  /** API Gateway's response type (`AWS::ApiGateway::GatewayResponse` `ResponseType`). */
  type: string;
  status: number;
  /** Lower-case, like the function's own codes. */
  code: string;
  /** The text the local gateway sends; the deployed one sends API Gateway's own `$context.error.messageString`. */
  message: string;
  /** Sent as `Retry-After` where waiting is the fix. */
  retryAfterSeconds?: number;
}

export const GATEWAY_REFUSALS = {
  // No signature, and also any route or method the API does not have: API Gateway answers both this way.
  missingAuthenticationToken: {
    type: 'MISSING_AUTHENTICATION_TOKEN',
    status: 403,
    code: 'missing_authentication_token',
    message: 'Missing Authentication Token',
  },
  // A wrong signature, and a signature whose date is more than 5 minutes off.
  invalidSignature: {
    type: 'INVALID_SIGNATURE',
    status: 403,
    code: 'invalid_signature',
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  expiredToken: {
    type: 'EXPIRED_TOKEN',
    status: 403,
    code: 'expired_token',
    message: 'The security token included in the request is expired',
  },
  // Signed, but the resource policy does not admit the principal.
  accessDenied: {
    type: 'ACCESS_DENIED',
    status: 403,
    code: 'access_denied',
    message: 'User is not authorized to access this resource',
  },
  wafFiltered: { type: 'WAF_FILTERED', status: 403, code: 'waf_filtered', message: 'Forbidden' },
  throttled: { type: 'THROTTLED', status: 429, code: 'throttled', message: 'Too Many Requests', retryAfterSeconds: 1 },
  // The request validator: a required path parameter is missing. The function uses the same code.
  badRequestParameters: {
    type: 'BAD_REQUEST_PARAMETERS',
    status: 400,
    code: 'invalid_request',
    message: 'Missing required request parameters',
  },
  // The function could not be invoked (a Lambda throttle among them) or did not return a valid answer.
  integrationFailure: {
    type: 'INTEGRATION_FAILURE',
    status: 503,
    code: 'service_unavailable',
    message: 'The service could not handle the request; retry shortly',
    retryAfterSeconds: 1,
  },
  integrationTimeout: {
    type: 'INTEGRATION_TIMEOUT',
    status: 504,
    code: 'gateway_timeout',
    message: 'Endpoint request timed out',
  },
  // The two defaults keep API Gateway's own status; `status` is only what the local gateway sends.
  default4xx: { type: 'DEFAULT_4XX', status: 400, code: 'request_refused', message: 'The request was refused' },
  default5xx: { type: 'DEFAULT_5XX', status: 500, code: 'gateway_error', message: 'Internal server error' },
} as const satisfies Record<string, GatewayRefusal>;
