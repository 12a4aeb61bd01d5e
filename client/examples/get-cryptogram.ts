// Calls the service once with the client and prints what came back, card data masked.
//   npx node client/examples/get-cryptogram.ts [customer_id instrument_id]
// CRYPTOGRAM_SERVICE_URL (default http://127.0.0.1:3000, i.e. `npm start`), AWS_REGION and the usual AWS
// credentials (environment, profile, SSO, ...) say where and as whom.
import { CryptogramServiceError, createCryptogramClient } from '../src/index.ts';

const [customerId = 'cust_demo_1', instrumentId = '54deabb4-ba45-4a60-9e6a-9c016fe7ab10'] = process.argv.slice(2);
const client = createCryptogramClient({
  baseUrl: process.env.CRYPTOGRAM_SERVICE_URL ?? 'http://127.0.0.1:3000',
  region: process.env.AWS_REGION ?? 'us-east-1',
});

try {
  const answer = await client.getCryptogram({ customerId, instrumentId });
  // Card data stays out of terminals and scrollback too.
  console.log({
    ...answer,
    card_number: `${'*'.repeat(answer.card_number.length - 4)}${answer.card_number.slice(-4)}`,
    cryptogram: `(${answer.cryptogram.length} characters, not shown)`,
  });
} catch (error) {
  if (!(error instanceof CryptogramServiceError)) throw error;
  const { status, code, requestId, retryAfterSeconds, attempts, networkErrorCode } = error;
  console.error({ message: error.message, status, code, requestId, retryAfterSeconds, attempts, networkErrorCode });
  process.exitCode = 1;
}
