import { pathToFileURL } from 'node:url';
import type { ProxyHandler } from '../../local/api-server.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import type { MemoryReport } from '../protocol.ts';

// One invocation against a Cashfree that streams a huge body; the process's peak resident memory is the figure.
const [bundle = '', customerId, instrumentId] = process.argv.slice(2);
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: ProxyHandler };
const startedAt = performance.now();
const { statusCode } = await handler(apiGatewayEvent({ customerId, instrumentId }), lambdaContext(10_000));
const report: MemoryReport = {
  status: statusCode,
  ms: performance.now() - startedAt,
  // maxRSS is in kibibytes.
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stderr.write(`${JSON.stringify(report)}\n`);
process.exit(0);
