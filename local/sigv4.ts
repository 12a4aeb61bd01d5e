import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { canonicalPath, parseAmzDate, parseAuthorization, parseQuery } from './sigv4-request.ts';

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
  | { ok: false; refusal: 'missing' | 'invalid' | 'expired' | 'unknown_key' | 'wrong_host'; message: string };

export interface SignedRequest {
  method: string;
  /** The request target exactly as received: the path (still percent-encoded), then the query. */
  target: string;
  /** Every header with all the values it came with, as `IncomingMessage.headersDistinct` gives them. */
  headers: NodeJS.Dict<string[]>;
  body: Uint8Array;
  /** The `Host` values (`name:port`, lower-case) that name this API; any other names another API. */
  ownHosts: ReadonlySet<string>;
}

/** AWS refuses a signature whose date is further than this from its own clock. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const SERVICE = 'execute-api';
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
// Headers whose second copy would make the request mean two things.
const ONE_VALUE_ONLY = ['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];
const BAD_TOKEN = 'The security token included in the request is invalid';

/** A fresh key pair for one local run, shaped like IAM's (an `AKIA` id, a 40-character secret). */
export function newLocalIamCredentials(): LocalIamCredentials {
  const id = [...randomBytes(16)].map((byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64').slice(0, 40) };
}

const sameText = (a: string, b: string) => {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
};

const invalid = (message: string): SignatureVerdict => ({ ok: false, refusal: 'invalid', message });

/**
 * Checks a request's SigV4 signature the way API Gateway does for an `AWS_IAM` method: header-based signing
 * for `execute-api` in `iam.region`, by `iam.credentials`, dated within five minutes of now, sent to this
 * API's own host. The signature is recomputed with the AWS SDK's own signer over the headers the caller
 * signed, the path as the router sees it, the query as SigV4 decodes it and the body actually received, and
 * compared in constant time.
 */
export async function verifySignature(
  request: SignedRequest,
  iam: LocalIam,
  nowMs = Date.now(),
): Promise<SignatureVerdict> {
  const { headers } = request;
  const authorizations = headers.authorization ?? [];
  if (authorizations.length === 0 || authorizations[0] === '') {
    return { ok: false, refusal: 'missing', message: 'Missing Authentication Token' };
  }
  if (authorizations.length > 1) return invalid('A request must carry exactly one Authorization header');
  const parts = parseAuthorization(authorizations[0] ?? '');
  if (typeof parts === 'string') return invalid(parts);
  const repeated = ONE_VALUE_ONLY.find((name) => (headers[name]?.length ?? 0) > 1);
  if (repeated) return invalid(`The ${repeated} header must be sent once`);

  if (!request.ownHosts.has((headers.host?.[0] ?? '').toLowerCase())) {
    // The Host names another API (or none): API Gateway would route it there, never here.
    return { ok: false, refusal: 'wrong_host', message: 'Forbidden' };
  }

  const { credentials } = iam;
  if (parts.accessKeyId !== credentials.accessKeyId) return { ok: false, refusal: 'unknown_key', message: BAD_TOKEN };
  // Long-term keys have no session token, so any token sent with one is not theirs; temporary ones need theirs.
  const token = headers['x-amz-security-token']?.[0];
  const tokenOk =
    credentials.sessionToken === undefined
      ? token === undefined
      : token !== undefined && sameText(token, credentials.sessionToken);
  if (!tokenOk) return { ok: false, refusal: 'unknown_key', message: BAD_TOKEN };

  if (parts.service !== SERVICE || parts.region !== iam.region) {
    return invalid(`Credential should be scoped to service '${SERVICE}' and region '${iam.region}'`);
  }
  const amzDate = headers['x-amz-date']?.[0] ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || !parts.signedHeaders.includes('x-amz-date') || !parts.signedHeaders.includes('host')) {
    return invalid('The request must send and sign the host and x-amz-date headers');
  }
  if (parts.date !== amzDate.slice(0, 8)) {
    return invalid('Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP');
  }
  if (parts.signedHeaders.some((name) => headers[name] === undefined)) {
    return invalid('SignedHeaders names a header the request does not carry');
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
  const sentBodyHash = headers['x-amz-content-sha256']?.[0];
  if (sentBodyHash !== undefined && sentBodyHash !== createHash('sha256').update(request.body).digest('hex')) {
    return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const queryAt = request.target.indexOf('?');
  const query = parseQuery(queryAt < 0 ? '' : request.target.slice(queryAt + 1));
  if (typeof query === 'string') return invalid(query);
  const signed: Record<string, string> = Object.create(null);
  for (const name of parts.signedHeaders) signed[name] = (headers[name] ?? []).join(',');

  const signer = new SignatureV4({
    service: SERVICE,
    region: iam.region,
    // The session token, when there is one, is among the signed headers the caller sent.
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
    // The path is given canonical already: the signer's own escaping would resolve dot segments first.
    uriEscapePath: false,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: 'local',
      path: canonicalPath(queryAt < 0 ? request.target : request.target.slice(0, queryAt)),
      query,
      headers: signed,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(parts.signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(String(expected.headers.authorization))?.[1] ?? '';
  if (!sameText(expectedSignature, parts.signature)) {
    return invalid(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method.',
    );
  }
  return { ok: true, accessKeyId: parts.accessKeyId };
}
