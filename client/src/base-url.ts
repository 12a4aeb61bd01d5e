const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const USE_BASE_URL =
  "pass the stack's BaseUrl output, the stage URL https://{api-id}.execute-api.{region}.amazonaws.com/v1";

const METHOD_TAIL = /\/customers(\/*$|\/[^/]*\/instruments(\/|$))/;

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
  // Only the method's own tail is refused: a custom domain may map the stage to a base path such as /customers/v1.
  if (METHOD_TAIL.test(url.pathname)) {
    throw new TypeError(`baseUrl has a /customers/ path, the method's: ${USE_BASE_URL}`);
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}
