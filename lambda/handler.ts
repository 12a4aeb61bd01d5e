import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createCashfreeClient } from './cashfree.ts';
import { readConfig } from './config.ts';
import { createCredentialsProvider } from './credentials.ts';
import { UpstreamTimeoutError } from './errors.ts';
import { httpInvocation, invocationOf, RESPONSE_RESERVE_MS } from './invocation.ts';
import { parseInstrumentIds } from './request.ts';
import { cryptogramResponse } from './response.ts';

// Everything below runs once per execution environment, so warm invocations reuse the cache and the pool.
const config = readConfig(process.env);

const credentials = createCredentialsProvider({
  // The SDK picks AWS_ENDPOINT_URL_SECRETS_MANAGER up by itself; the deadline signal bounds its retries.
  client: new SecretsManagerClient({ maxAttempts: 2 }),
  secretId: config.secretId,
  ttlSeconds: config.credentialsTtlSeconds,
});

const cashfree = createCashfreeClient({ ...config, baseUrl: config.cashfreeBaseUrl, credentials });

async function getCryptogram(
  event: APIGatewayProxyEvent,
  context: Context,
  { signal }: { signal: AbortSignal },
): Promise<APIGatewayProxyResult> {
  const ids = parseInstrumentIds(event.pathParameters);
  const { requestId, deadlineAtMs, upstream } = invocationOf(context);
  const cryptogram = await cashfree.getCryptogram({ ids, requestId, deadlineAtMs, record: upstream, signal });
  return cryptogramResponse(cryptogram, requestId);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>({
  // A backstop only: the client already answers RESPONSE_RESERVE_MS before the deadline.
  timeoutEarlyInMillis: RESPONSE_RESERVE_MS / 3,
  timeoutEarlyResponse: () => {
    throw new UpstreamTimeoutError('lambda deadline');
  },
})
  .use(httpInvocation())
  .handler(getCryptogram);
