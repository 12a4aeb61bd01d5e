/**
 * Every documented error code: who raises it, the statuses it comes with and the fixed message the client gives
 * it. The one source of the `code` and `status` unions; tests hold it to the service's OpenAPI document, to the
 * function's errors and to API Gateway's refusals. `'4XX'` / `'5XX'` stand for any status of that class, as in
 * the document.
 */
export const ERROR_CODES = {
  invalid_request: {
    by: ['function', 'gateway', 'client'],
    statuses: [400],
    message: 'An id or the request id is missing or breaks the service rule',
  },
  upstream_bad_request: { by: ['function'], statuses: [400], message: 'Cashfree rejected the request as invalid' },
  instrument_not_found: {
    by: ['function'],
    statuses: [404],
    message: 'No saved card matches this customer id and instrument id',
  },
  upstream_conflict: { by: ['function'], statuses: [409], message: 'Cashfree reported a conflict for this instrument' },
  upstream_unprocessable: {
    by: ['function'],
    statuses: [422],
    message: 'Cashfree could not process the request for this instrument',
  },
  rate_limited: {
    by: ['function'],
    statuses: [429],
    message: 'Cashfree is rate-limiting the service; retry after retryAfterSeconds',
  },
  credentials_invalid: {
    by: ['function'],
    statuses: [500],
    message: 'The service credentials for Cashfree are missing or malformed',
  },
  internal_error: { by: ['function'], statuses: [500], message: 'The service failed unexpectedly' },
  upstream_auth_failed: { by: ['function'], statuses: [502], message: 'Cashfree refused the service credentials' },
  upstream_unavailable: { by: ['function'], statuses: [502], message: 'Cashfree is unavailable' },
  upstream_invalid_response: {
    by: ['function'],
    statuses: [502],
    message: 'Cashfree returned a response the service cannot use',
  },
  credentials_unavailable: {
    by: ['function'],
    statuses: [503],
    message: 'The service could not load its Cashfree credentials; retry after retryAfterSeconds',
  },
  upstream_timeout: { by: ['function'], statuses: [504], message: 'Cashfree did not answer in time' },

  missing_authentication_token: {
    by: ['gateway'],
    statuses: [403],
    message: 'API Gateway found no signature, or the API has no such path or method',
  },
  invalid_signature: {
    by: ['gateway'],
    statuses: [403],
    message: 'API Gateway could not verify the signature (wrong key, or a clock more than 5 minutes off)',
  },
  expired_token: { by: ['gateway'], statuses: [403], message: 'The session token of the signing credentials expired' },
  access_denied: {
    by: ['gateway'],
    statuses: [403],
    message: 'The API resource policy does not admit the signing principal',
  },
  waf_filtered: { by: ['gateway'], statuses: [403], message: 'The web ACL of the API stage blocked the request' },
  throttled: {
    by: ['gateway'],
    statuses: [429],
    message: 'API Gateway is throttling the stage; retry after retryAfterSeconds',
  },
  service_unavailable: {
    by: ['gateway'],
    statuses: [503],
    message: 'The service could not handle the request; retry after retryAfterSeconds',
  },
  gateway_timeout: {
    by: ['gateway'],
    statuses: [504],
    message: 'The service did not answer within the 29 s API Gateway waits',
  },
  // The deployed gateway answers these two with its own status of the class.
  request_refused: { by: ['gateway'], statuses: [400, 403, '4XX'], message: 'API Gateway refused the request' },
  gateway_error: { by: ['gateway'], statuses: [500, '5XX'], message: 'API Gateway failed to handle the request' },

  client_timeout: { by: ['client'], statuses: [], message: 'No answer within timeoutMs, attempts and waits included' },
  aborted: { by: ['client'], statuses: [], message: 'The call was aborted by its signal' },
  network_error: {
    by: ['client'],
    statuses: [],
    message: 'The cryptogram service could not be reached (refused, reset, DNS, TLS or a redirect)',
  },
  aws_credentials_unavailable: {
    by: ['client'],
    statuses: [],
    message: 'The AWS credential provider gave no credentials to sign with',
  },
  // Any answer that is not one the document describes; its status is kept when it is one the document lists.
  invalid_response: {
    by: ['client'],
    statuses: [200, '4XX', '5XX'],
    message: 'The answer is not one the cryptogram service documents',
  },
} as const satisfies Record<
  string,
  {
    by: readonly ('function' | 'gateway' | 'client')[];
    statuses: readonly (number | '4XX' | '5XX')[];
    message: string;
  }
>;

type Table = typeof ERROR_CODES;
type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type Numeric<T> = T extends `${infer N extends number}` ? N : never;
type StatusOf<S> = S extends '4XX' ? Numeric<`4${Digit}${Digit}`> : S extends '5XX' ? Numeric<`5${Digit}${Digit}`> : S;
type RaisedBy<Who> = { [C in keyof Table]: Who extends Table[C]['by'][number] ? C : never }[keyof Table];

/** Every `code` a `CryptogramServiceError` can carry. */
export type CryptogramErrorCode = keyof Table;
/** The codes the service answers with: the function's and API Gateway's own. */
export type ServiceErrorCode = RaisedBy<'function'> | RaisedBy<'gateway'>;
/** The codes the client raises itself; `invalid_request` is also the service's. */
export type ClientErrorCode = RaisedBy<'client'>;
/**
 * Every `status` a `CryptogramServiceError` can carry: the statuses the document lists, and so every 4xx and 5xx
 * (API Gateway keeps its own status for `request_refused` and `gateway_error`), plus 200 for an unusable 200.
 */
export type CryptogramErrorStatus = StatusOf<Table[keyof Table]['statuses'][number]>;

/** Whether the document lists `code` for an answer with `status`. */
export function isDocumented(code: string, status: number): code is ServiceErrorCode {
  if (!Object.hasOwn(ERROR_CODES, code)) return false;
  const { by, statuses } = ERROR_CODES[code as CryptogramErrorCode];
  if (!by.some((who) => who !== 'client')) return false;
  return (statuses as readonly (number | string)[]).some((listed) => listed === status || listed === classOf(status));
}

/** The status as the error type carries it, or `undefined` for one outside the document (a 204, a 304). */
export function documentedStatus(status: number): CryptogramErrorStatus | undefined {
  return status === 200 || classOf(status) !== undefined ? (status as CryptogramErrorStatus) : undefined;
}

function classOf(status: number): '4XX' | '5XX' | undefined {
  if (!Number.isInteger(status)) return undefined;
  if (status >= 400 && status <= 499) return '4XX';
  if (status >= 500 && status <= 599) return '5XX';
  return undefined;
}
