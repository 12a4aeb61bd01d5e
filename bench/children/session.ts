import { pathToFileURL } from 'node:url';
import type { ProxyHandler } from '../../local/api-server.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import type { SessionCommand, SessionConfig, SessionReply, Side } from '../protocol.ts';

// One long-lived execution environment that calls Cashfree when the bench asks, through the handler, with a bare
// fetch, or both in turns (so drift in the machine or the simulator weighs on both alike): the bench decides when
// it idles, and counts handshakes around each batch.

const config = JSON.parse(process.env.BENCH_SESSION ?? '') as SessionConfig;
const handler = config.bundle
  ? ((await import(pathToFileURL(config.bundle).href)) as { handler: ProxyHandler }).handler
  : undefined;

// Only the call is timed: the runtime builds the event and context before it calls the function.
async function call(side: Side): Promise<{ ms: number; status: number }> {
  if (side === 'handler' && handler) {
    const event = apiGatewayEvent({ customerId: config.customerId, instrumentId: config.instrumentId });
    const context = lambdaContext(10_000);
    const startedAt = performance.now();
    const { statusCode } = await handler(event, context);
    return { ms: performance.now() - startedAt, status: statusCode };
  }
  const startedAt = performance.now();
  const response = await fetch(config.url, { headers: config.headers });
  await response.text();
  return { ms: performance.now() - startedAt, status: response.status };
}

const send = (message: SessionReply) => process.send?.(message);

process.on('message', async (command: SessionCommand) => {
  // At once, rather than wait for idle sockets and timers to let go.
  if (command.type === 'exit') process.exit(0);
  const ms: Record<Side, number[]> = { handler: [], fetch: [] };
  let failures = 0;
  for (let start = 0, block = 0; start < command.count; start += command.blockSize, block++) {
    for (const side of block % 2 === 0 ? command.sides : command.sides.toReversed()) {
      for (let i = start; i < Math.min(command.count, start + command.blockSize); i++) {
        const result = await call(side);
        ms[side].push(result.ms);
        if (result.status !== 200) failures++;
      }
    }
  }
  send({ type: 'calls', ms, failures });
});
send({ type: 'ready' });
