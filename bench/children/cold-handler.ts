import { pathToFileURL } from 'node:url';
import type { ProxyHandler } from '../../local/api-server.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import type { ColdPhases } from '../protocol.ts';

// One cold start, as Lambda does it: load the function's bundle, then answer one invocation. The bench times
// this process from spawn to exit; the phase line on stderr says how the time splits.

const [bundle = '', customerId, instrumentId] = process.argv.slice(2);
const t0 = performance.now();
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: ProxyHandler };
const t1 = performance.now();
const result = await handler(apiGatewayEvent({ customerId, instrumentId }), lambdaContext(10_000));
const t2 = performance.now();

const phases: ColdPhases = { startMs: t0, importMs: t1 - t0, invokeMs: t2 - t1, status: result.statusCode };
process.stderr.write(`${JSON.stringify(phases)}\n`);
// Exits at once: Lambda freezes the process after the answer, so whatever timers remain are not part of it.
process.exit(result.statusCode === 200 ? 0 : 1);
