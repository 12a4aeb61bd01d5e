import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createCashfreeClient } from './cashfree.ts';
import { readConfig } from './config.ts';
import { createCredentialsProvider } from './credentials.ts';
import { httpInvocation, invocationOf } from './invocation.ts';
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

async function getCryptogram(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const ids = parseInstrumentIds(event.pathParameters);
  const { requestId, deadlineAtMs, upstream } = invocationOf(context);
  const cryptogram = await cashfree.getCryptogram({ ids, requestId, deadlineAtMs, record: upstream });
  return cryptogramResponse(cryptogram, requestId);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>({
  // Middy's early timeout would add a timer and a Promise.race to every call for nothing: every wait below
  // is already bounded by the invocation's deadline (see cashfree.ts and credentials.ts).
  timeoutEarlyInMillis: 0,
})
  .use(httpInvocation())
  .handler(getCryptogram);
