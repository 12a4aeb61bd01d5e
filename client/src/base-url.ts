const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const USE_BASE_URL =
  "pass the stack's BaseUrl output, the stage URL https://{api-id}.execute-api.{region}.amazonaws.com/v1";

// API Gateway's own host names, public and private (`{api-id}-{vpce-id}`): their path is the stage and nothing more.
const EXECUTE_API_HOST = /^[a-z0-9-]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
// On a custom domain the base path is the operator's (`/customers/v1` is one); only the method's own is refused.
const METHOD_PATH = /\/customers\/[^/]+\/instruments(\/|$)/;

export interface StageUrl {
  origin: string;
  /** The stage path without its trailing slashes (`/v1`), or empty. */
  basePath: string;
}

/**
 * Checks `baseUrl` is a stage URL the method path can be joined to. The stack's `InvokeUrl` output is the method
 * URL with `{customer_id}` / `{instrument_id}` placeholders: sent as it is, it would be signed, refused with a 403
 * and read as an IAM problem, so it fails here with a message naming the right output.
 */
export function stageUrl(baseUrl: string): StageUrl {
  if (/[{}]|%7b|%7d/i.test(baseUrl)) throw new TypeError(`baseUrl has {placeholders}: ${USE_BASE_URL}`);
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl is not a URL: ${USE_BASE_URL}`);
  }
  // Plain http would expose the signature and the session token, and the answer holds card data.
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure) throw new TypeError('baseUrl must be https (plain http only on loopback)');
  // Checked on the text: the URL parser drops an empty `?` or `#`.
  if (baseUrl.includes('?') || baseUrl.includes('#')) {
    throw new TypeError(`baseUrl must not have a query or fragment: ${USE_BASE_URL}`);
  }
  if (url.username || url.password) throw new TypeError('baseUrl must not have user info');
  const segments = url.pathname.split('/').filter(Boolean);
  const pasted = EXECUTE_API_HOST.test(url.hostname) ? segments.length > 1 : METHOD_PATH.test(url.pathname);
  if (pasted) throw new TypeError(`baseUrl has more than the stage, part of the method's path: ${USE_BASE_URL}`);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}
