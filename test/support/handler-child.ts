/**
 * A fresh process that loads the real handler from its environment (as a Lambda execution environment does)
 * and makes `HANDLER_CHILD_CALLS` calls for the demo ids, then prints one line, `statuses 200,200,...`, on
 * stdout. For tests that need what a whole process writes, such as Node's own debug output.
 */
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

const calls = Number(process.env.HANDLER_CHILD_CALLS ?? '1');
const { handler } = await import('../../lambda/handler.ts');
const statuses: number[] = [];
for (let i = 0; i < calls; i++) {
  const event = apiGatewayEvent({ customerId: 'cust_demo_1', instrumentId: '54deabb4-ba45-4a60-9e6a-9c016fe7ab10' });
  const response = await handler(event, lambdaContext(10_000));
  statuses.push(response.statusCode);
}
process.stdout.write(`statuses ${statuses.join(',')}\n`);
