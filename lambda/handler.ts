import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createCashfreeClient } from './cashfree.ts';
import { readConfig } from './config.ts';
import { createCredentialsProvider } from './credentials.ts';
import { httpInvocation, invocationOf } from './invocation.ts';
import { parseInstrumentIds } from './request.ts';
import { cryptogramResponse } from './response.ts';
import { createTransport } from './transport.ts';

const INIT_UNWIND_MS = 100;

// Everything below runs once per execution environment, so warm invocations reuse the cache and the pool.
const config = readConfig(process.env);

const transport = createTransport();

const credentials = createCredentialsProvider({
  // The SDK picks AWS_ENDPOINT_URL_SECRETS_MANAGER up by itself; the abort signal bounds its retries.
  client: new SecretsManagerClient({ maxAttempts: 2 }),
  secretId: config.secretId,
  ttlSeconds: config.credentialsTtlSeconds,
  readTimeoutMs: config.credentialsTimeoutMs,
});

const cashfree = createCashfreeClient({ ...config, baseUrl: config.cashfreeBaseUrl, credentials, transport });

// The secret read and the Cashfree handshake need no request, so they overlap here instead of delaying the
// first one. Awaited, not left running: Lambda bills init like invoke anyway, and a read still in flight when
// a provisioned-concurrency environment is frozen would be half done when it thaws. Each is bounded by
// CREDENTIALS_TIMEOUT_MS itself; the backstop only guards against one that ignores its bound, and comes a
// little later so a read that timed out has unwound (rather than being joined by the first invocation).
// A failure is neither thrown nor cached: the first invocation then reads again on its own deadline.
await new Promise<void>((resolve) => {
  const backstop = setTimeout(resolve, config.credentialsTimeoutMs + INIT_UNWIND_MS);
  Promise.allSettled([
    credentials.get(),
    transport.preconnect(new URL(config.cashfreeBaseUrl), config.credentialsTimeoutMs),
  ]).then(() => {
    clearTimeout(backstop);
    resolve();
  });
});

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
  .use(httpInvocation({ requestBudgetMs: config.requestBudgetMs }))
  .handler(getCryptogram);
