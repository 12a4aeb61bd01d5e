import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalIamCredentials } from '../../local/sigv4.ts';

export interface SignOptions {
  credentials: LocalIamCredentials;
  region: string;
  method?: string;
  signingDate?: Date;
  service?: string;
  headers?: Record<string, string>;
}

/** The headers a caller's AWS SDK would send (its own signer), Host left to fetch. */
export async function signedHeaders(url: string, options: SignOptions): Promise<Record<string, string>> {
  const target = new URL(url);
  const method = options.method ?? 'GET';
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: { host: target.host, ...options.headers },
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  // fetch sets Host itself, to the same value.
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

/** Signs as a caller's AWS SDK would, then sends with fetch. */
export async function signedFetch(url: string, options: SignOptions): Promise<Response> {
  return fetch(url, { method: options.method ?? 'GET', headers: await signedHeaders(url, options) });
}
