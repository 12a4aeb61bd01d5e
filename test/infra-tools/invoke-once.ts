import { pathToFileURL } from 'node:url';
import { DEMO_INSTRUMENTS } from '../../local/cashfree-simulator.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

/**
 * A fresh process, as a Lambda execution environment is: imports the handler module at argv[2] (a built bundle
 * or lambda/handler.ts itself), answers one invocation for the first demo card and prints `status <code>` on
 * stderr; the function's own log line goes to stdout. With `broken-context` the context lacks
 * getRemainingTimeInMillis, an error the function does not expect, so its log line carries a stack.
 */
const [module = '', variant] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(module).href);
const [demo] = DEMO_INSTRUMENTS;
const context = lambdaContext(10_000);
if (variant === 'broken-context') Reflect.deleteProperty(context, 'getRemainingTimeInMillis');
const { statusCode } = await handler(
  apiGatewayEvent({ customerId: demo?.customerId, instrumentId: demo?.instrumentId }),
  context,
);
process.stderr.write(`status ${statusCode}\n`);
// At once, as Lambda freezes the process after the answer: the connection pool's timers are not part of it.
process.exit(0);
