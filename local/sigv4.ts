import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface LocalIamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LocalIam {
  region: string;
  credentials: LocalIamCredentials;
}

/** What the signature check decided; every refusal names the API Gateway answer it stands for. */
export type SignatureVerdict =
  | { ok: true; accessKeyId: string }
  | { ok: false; refusal: 'missing' | 'invalid' | 'expired' | 'unknown_key'; message: string };

export interface SignedRequest {
  method: string;
  /** The request target as received: path (still percent-encoded) and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body?: Uint8Array;
}

/** AWS refuses a signature whose date is further than this from its own clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const SERVICE = 'execute-api';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A fresh key pair for one local run, shaped like IAM's (an `AKIA` id, a 40-character secret). */
export function newLocalIamCredentials(): LocalIamCredentials {
  const id = [...randomBytes(16)].map((byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64').slice(0, 40) };
}

interface AuthorizationParts {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): AuthorizationParts | string {
  if (!value.startsWith(`${ALGORITHM} `)) return `Authorization header must use ${ALGORITHM}`;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || !signedHeaders || !signature) {
    return "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters";
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator] = credential;
  if (terminator !== 'aws4_request') return "Credential should end with 'aws4_request'";
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

function parseAmzDate(value: string): Date | undefined {
  const match = AMZ_DATE.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : value);

function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of search) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

const sameText = (a: string, b: string) => {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Checks a request's SigV4 signature the way API Gateway does for an `AWS_IAM` method: header-based signing
 * for `execute-api` in `iam.region`, by `iam.credentials`, dated within five minutes of now. The signature is
 * recomputed with the AWS SDK's own signer over exactly the headers the caller signed, and compared in
 * constant time.
 */
export async function verifySignature(
  request: SignedRequest,
  iam: LocalIam,
  nowMs = Date.now(),
): Promise<SignatureVerdict> {
  const authorization = single(request.headers.authorization);
  if (!authorization) return { ok: false, refusal: 'missing', message: 'Missing Authentication Token' };

  const parts = parseAuthorization(authorization);
  if (typeof parts === 'string') return { ok: false, refusal: 'invalid', message: parts };

  const { credentials } = iam;
  if (parts.accessKeyId !== credentials.accessKeyId) {
    return { ok: false, refusal: 'unknown_key', message: 'The security token included in the request is invalid' };
  }
  if (credentials.sessionToken !== undefined) {
    const token = single(request.headers['x-amz-security-token']);
    if (token === undefined || !sameText(token, credentials.sessionToken)) {
      return { ok: false, refusal: 'unknown_key', message: 'The security token included in the request is invalid' };
    }
  }
  if (parts.service !== SERVICE || parts.region !== iam.region) {
    return {
      ok: false,
      refusal: 'invalid',
      message: `Credential should be scoped to service '${SERVICE}' and region '${iam.region}'`,
    };
  }

  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || !parts.signedHeaders.includes('x-amz-date') || !parts.signedHeaders.includes('host')) {
    return { ok: false, refusal: 'invalid', message: 'The request must sign the host and x-amz-date headers' };
  }
  if (Math.abs(nowMs - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    // API Gateway's own wording, so a caller's clock problem is recognisable.
    const now = new Date(nowMs).toISOString().replace(/[-:]|\.\d{3}/g, '');
    return {
      ok: false,
      refusal: 'expired',
      message: `Signature expired: ${amzDate} is now earlier than ${now} - 5 min.`,
    };
  }

  const url = new URL(request.url, 'http://local.invalid');
  const headers: Record<string, string> = {};
  for (const name of parts.signedHeaders) {
    const value = single(request.headers[name]);
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({
    service: SERVICE,
    region: iam.region,
    // The session token, when there is one, is already among the signed headers the caller sent.
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(parts.signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(String(expected.headers.authorization))?.[1] ?? '';
  if (!sameText(expectedSignature, parts.signature)) {
    return {
      ok: false,
      refusal: 'invalid',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId: parts.accessKeyId };
}
