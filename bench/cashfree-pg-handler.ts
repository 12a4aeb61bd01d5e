import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Cashfree, CFEnvironment } from 'cashfree-pg';

// The handler a developer would write with Cashfree's official SDK: the comparison point of the benchmark.
// Same secret, same Secrets Manager client, same response shape as lambda/handler.ts; no middy, no validation
// library. It reads the same environment variables, so the bench points both at the simulator alike.

const SECRET_TTL_MS = 300_000;
const FIELDS = [
  'instrument_id',
  'token_requestor_id',
  'card_number',
  'card_expiry_mm',
  'card_expiry_yy',
  'cryptogram',
  'card_display',
] as const;

const secrets = new SecretsManagerClient({});
let cached: { cashfree: Cashfree; expiresAtMs: number } | undefined;

async function cashfreeClient(): Promise<Cashfree> {
  if (cached && Date.now() < cached.expiresAtMs) return cached.cashfree;
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.CASHFREE_SECRET_ID }));
  const { client_id, client_secret } = JSON.parse(secret.SecretString ?? '{}');
  // Analytics off through the constructor, as the SDK documents: otherwise it starts Sentry with Cashfree's DSN.
  const cashfree = new Cashfree(
    CFEnvironment.SANDBOX,
    client_id,
    client_secret,
    undefined,
    undefined,
    undefined,
    false,
  );
  if (process.env.CASHFREE_BASE_URL) cashfree.basePath = process.env.CASHFREE_BASE_URL;
  cashfree.XApiVersion = process.env.CASHFREE_API_VERSION ?? '2022-09-01';
  cached = { cashfree, expiresAtMs: Date.now() + SECRET_TTL_MS };
  return cashfree;
}

function reply(statusCode: number, body: unknown, requestId: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId },
    body: JSON.stringify(body),
  };
}

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const requestId = event.headers?.['x-request-id'] ?? event.requestContext?.requestId ?? context.awsRequestId;
  const customerId = decodeURIComponent(event.pathParameters?.customer_id ?? '');
  const instrumentId = decodeURIComponent(event.pathParameters?.instrument_id ?? '');
  const startedAtMs = Date.now();
  let status = 200;
  try {
    const cashfree = await cashfreeClient();
    const { data } = await cashfree.PGCustomerInstrumentsFetchCryptogram(customerId, instrumentId, requestId);
    return reply(200, Object.fromEntries(FIELDS.map((field) => [field, data[field]])), requestId);
  } catch (error) {
    const upstream = (error as { response?: { status?: number } }).response?.status;
    status = upstream !== undefined && upstream < 500 ? upstream : 502;
    return reply(status, { message: 'Cashfree call failed', code: 'upstream_error' }, requestId);
  } finally {
    console.log(JSON.stringify({ requestId, status, durationMs: Date.now() - startedAtMs }));
  }
}
