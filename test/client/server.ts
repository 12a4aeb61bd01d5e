import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface ReceivedRequest {
  method: string;
  /** The path as sent, percent-encoding kept. */
  path: string;
  headers: IncomingMessage['headers'];
}

export type Script = (request: ReceivedRequest, index: number, res: ServerResponse) => void;

/** An HTTP server on 127.0.0.1 answering each request as `script` says and recording what it received. */
export async function startServer(script: Script) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    requests.push(request);
    script(request, requests.length - 1, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A port nothing listens on: bound once, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Checks a received request's SigV4 signature the way API Gateway does: recompute it over the signed headers
 * with the given key pair and compare. Returns the reason it fails, or undefined.
 */
export async function signatureProblem(
  request: ReceivedRequest,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
): Promise<string | undefined> {
  const authorization = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return 'no SigV4 Authorization header';
  const [, accessKeyId, , signedRegion, service, signedHeaders = ''] = match;
  if (accessKeyId !== credentials.accessKeyId) return 'another access key';
  if (signedRegion !== region || service !== 'execute-api') return 'another region or service';
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(request.headers[name] ?? '');
  const [path = '', query] = request.path.split('?');
  if (query) return 'unexpected query';
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  const expected = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: '127.0.0.1', path, query: {}, headers },
    { signingDate },
  );
  return expected.headers.authorization === authorization ? undefined : 'signature does not match';
}
