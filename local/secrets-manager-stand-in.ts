import { randomUUID } from 'node:crypto';
import { listen, readBody, sendJson } from './http.ts';

/** How the stand-in answers GetSecretValue: normally, or with one of the failures the service must survive. */
export type SecretsManagerMode = 'ok' | 'throttled' | 'internal_error' | 'hang';

export interface SecretsManagerStandIn {
  /** Put this in AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  url: string;
  /** GetSecretValue calls answered so far, whatever the answer. */
  readonly reads: number;
  /** Stores a secret string; `undefined` deletes it (the next read gets ResourceNotFoundException). */
  setSecret(secretId: string, secretString: string | undefined): void;
  setMode(mode: SecretsManagerMode): void;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function awsError(type: string, message: string) {
  return { status: type === 'InternalServiceError' ? 500 : 400, body: { __type: type, message } };
}

/**
 * A Secrets Manager that speaks the AWS JSON 1.1 protocol on loopback, so the real SDK client, with its
 * signing, retries and error parsing, runs unchanged against it. It accepts any signature.
 */
export async function startSecretsManagerStandIn(port = 0): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, string>();
  let mode: SecretsManagerMode = 'ok';
  let reads = 0;

  const server = await listen(async (req, res) => {
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      const { status, body: error } = awsError('UnknownOperationException', `unsupported target ${target}`);
      return sendJson(res, status, error);
    }
    reads++;
    if (mode === 'hang') return; // never answers: the caller's deadline must end the wait
    const failure =
      mode === 'throttled'
        ? awsError('ThrottlingException', 'Rate exceeded')
        : mode === 'internal_error'
          ? awsError('InternalServiceError', 'An error occurred on the server side.')
          : undefined;
    if (failure) return sendJson(res, failure.status, failure.body, { 'x-amzn-errortype': failure.body.__type });

    const secretId = String((JSON.parse(body) as { SecretId?: unknown }).SecretId ?? '');
    const name = secretId.startsWith('arn:') ? (secretId.split(':')[6] ?? secretId) : secretId;
    const secretString = secrets.get(secretId) ?? secrets.get(name);
    if (secretString === undefined) {
      const notFound = awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return sendJson(res, notFound.status, notFound.body, { 'x-amzn-errortype': notFound.body.__type });
    }
    sendJson(res, 200, {
      ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`,
      Name: name,
      SecretString: secretString,
      VersionId: randomUUID(),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Math.floor(Date.now() / 1000),
    });
  }, port);

  return {
    url: server.url,
    get reads() {
      return reads;
    },
    setSecret(secretId, secretString) {
      if (secretString === undefined) secrets.delete(secretId);
      else secrets.set(secretId, secretString);
    },
    setMode(next) {
      mode = next;
    },
    close: server.close,
  };
}
