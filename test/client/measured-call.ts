// One getCryptogram call in a process of its own, so that its peak memory is the client's alone:
//   node test/client/measured-call.ts <baseUrl>
// Prints one JSON line: what the call ended in, how long it took and the process's peak resident memory.
import { CryptogramServiceError, createCryptogramClient } from '../../client/src/index.ts';

const [baseUrl = ''] = process.argv.slice(2);
const client = createCryptogramClient({
  baseUrl,
  region: 'ap-south-1',
  credentials: { accessKeyId: 'AKIAMEASURED', secretAccessKey: 'measured-secret' },
  timeoutMs: 20_000,
});
const startedAtMs = performance.now();
let outcome: Record<string, unknown>;
try {
  await client.getCryptogram({ customerId: 'cust_1', instrumentId: 'i1' });
  outcome = { code: 'ok' };
} catch (error) {
  if (!(error instanceof CryptogramServiceError)) throw error;
  outcome = { code: error.code, status: error.status, attempts: error.attempts };
}
const elapsedMs = Math.round(performance.now() - startedAtMs);
process.stdout.write(
  `${JSON.stringify({ ...outcome, elapsedMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
