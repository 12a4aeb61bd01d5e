import { type LocalIamCredentials, type SignatureVerdict, verifySignature } from '../../local/sigv4.ts';
import type { ReceivedRequest, TestServer } from '../support/test-server.ts';

/**
 * The local gateway's own verdict on a request `server` received, as API Gateway checks an `AWS_IAM` method:
 * the signature recomputed over the headers, path and query that arrived. The client sends GETs: no body.
 */
export function signatureVerdict(
  server: TestServer,
  request: ReceivedRequest,
  iam: { region: string; credentials: LocalIamCredentials },
): Promise<SignatureVerdict> {
  const signed = {
    method: request.method,
    target: request.path,
    headers: request.headersDistinct,
    body: new Uint8Array(),
    ownHosts: new Set([server.url().host]),
  };
  return verifySignature(signed, iam);
}
