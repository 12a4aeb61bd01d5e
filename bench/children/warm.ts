import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import type { ProxyHandler } from '../../local/api-server.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import type { Side, WarmConfig, WarmMessage } from '../protocol.ts';
import { summarize } from '../stats.ts';

// One warm execution environment: the handler and a bare fetch take turns in blocks against the same
// simulator, so drift in the machine or the simulator weighs on both alike.

const config = JSON.parse(process.env.BENCH_WARM ?? '') as WarmConfig;
const { handler } = (await import(pathToFileURL(config.bundle).href)) as { handler: ProxyHandler };
const sides: Side[] = config.profile ? [config.profile.side] : ['handler', 'fetch'];
let failures = 0;

// Only the handler call is timed: the runtime builds the event and context before it calls the function.
async function timeHandler(): Promise<number> {
  const event = apiGatewayEvent({ customerId: config.customerId, instrumentId: config.instrumentId });
  const context = lambdaContext(10_000);
  const startedAt = performance.now();
  const result = await handler(event, context);
  const elapsedMs = performance.now() - startedAt;
  if (result.statusCode !== 200) failures++;
  return elapsedMs * 1000;
}

async function timeFetch(): Promise<number> {
  const startedAt = performance.now();
  const response = await fetch(config.url, { headers: config.headers });
  await response.text();
  const elapsedMs = performance.now() - startedAt;
  if (response.status !== 200) failures++;
  return elapsedMs * 1000;
}

async function run(calls: number, handlerUs: Float64Array, fetchUs: Float64Array): Promise<void> {
  for (let start = 0, block = 0; start < calls; start += config.blockSize, block++) {
    const end = Math.min(calls, start + config.blockSize);
    for (const side of block % 2 === 0 ? sides : sides.toReversed()) {
      for (let i = start; i < end; i++) {
        if (side === 'handler') handlerUs[i] = await timeHandler();
        else fetchUs[i] = await timeFetch();
      }
    }
  }
}

const send = (message: WarmMessage) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );

await run(config.warmupCalls, new Float64Array(config.warmupCalls), new Float64Array(config.warmupCalls));
await send({ type: 'warm' });
await once(process, 'message');

const handlerUs = new Float64Array(config.calls);
const fetchUs = new Float64Array(config.calls);
const profiler = new Session();
if (config.profile) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  // The default 1 ms interval would miss most of a call that takes a few hundred microseconds.
  await profiler.post('Profiler.setSamplingInterval', { interval: 50 });
  await profiler.post('Profiler.start');
}
await run(config.calls, handlerUs, fetchUs);
if (config.profile) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(config.profile.file, JSON.stringify(profile));
}
await send({
  type: 'result',
  handlerUs: sides.includes('handler') ? summarize(handlerUs) : undefined,
  fetchUs: sides.includes('fetch') ? summarize(fetchUs) : undefined,
  failures,
});
// Exits at once, as the cold child does, rather than wait for idle sockets and timers to let go.
process.exit(0);
