// The parts of a SigV4 request that API Gateway reads before it can recompute a signature, read as strictly
// as the specification states them (AWS IAM User Guide, "Create a signed AWS API request" and "Elements of an
// AWS API request signature"). Each function answers a refusal message instead of guessing what was meant.

const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface AuthorizationParts {
  accessKeyId: string;
  /** The credential scope's date, `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const PARTS = ['Credential', 'SignedHeaders', 'Signature'] as const;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: each of the three parts exactly once and
 * nothing else, the signed headers lower-case, sorted and unique, the signature 64 hex digits.
 */
export function parseAuthorization(value: string): AuthorizationParts | string {
  if (!value.startsWith(`${ALGORITHM} `)) return `Authorization header must use ${ALGORITHM}`;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    const name = part.slice(0, Math.max(at, 0)).trim();
    if (at < 0 || !(PARTS as readonly string[]).includes(name) || fields.has(name)) {
      return "Authorization header must hold 'Credential', 'SignedHeaders' and 'Signature' once each, and nothing else";
    }
    fields.set(name, part.slice(at + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders')?.split(';');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters";
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator] = credential;
  if (credential.length !== 5 || terminator !== 'aws4_request') {
    return 'Credential must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request';
  }
  const sortedAndUnique = signedHeaders.every((name, i) => i === 0 || (signedHeaders[i - 1] ?? '') < name);
  if (!signedHeaders.every((name) => HEADER_NAME.test(name)) || !sortedAndUnique) {
    return 'SignedHeaders must list lower-case header names, sorted and each once';
  }
  if (!SIGNATURE.test(signature)) return 'Signature must be 64 lower-case hexadecimal digits';
  return { accessKeyId, date, region, service, signedHeaders, signature };
}

// RFC 3986 unreserved characters stay, every other byte is %XX: what SigV4's UriEncode() asks for.
const uriEncode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The canonical URI of the path exactly as it arrived and as the router matches it: each segment, still
 * percent-encoded as sent, is encoded once more (SigV4 for every service but S3 encodes twice). No dot segment
 * is resolved and nothing is decoded, so a signature over any other path than the routed one cannot match.
 */
export const canonicalPath = (rawPath: string): string => rawPath.split('/').map(uriEncode).join('/');

export type Query = Record<string, string | string[]>;

/**
 * The query as SigV4 reads it: split on `&` and the first `=`, each name and value percent-decoded (RFC 3986,
 * so `+` is a plus sign, not a space); the signer encodes them again. A malformed escape is a refusal.
 */
export function parseQuery(rawQuery: string): Query | string {
  const query: Query = Object.create(null);
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
      value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    } catch {
      return 'The query string holds a malformed percent-encoding';
    }
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `YYYYMMDD'T'HHMMSS'Z'`, the only form `x-amz-date` takes. */
export function parseAmzDate(value: string): Date | undefined {
  const match = AMZ_DATE.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
  // 20260231T000000Z would roll over into March; it is not a date.
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? date : undefined;
}
