import { pathToFileURL } from 'node:url';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';

/**
 * A fresh process, as a Lambda execution environment is: imports the handler module at argv[2] (a built bundle
 * or lambda/handler.ts itself), answers one invocation for the customer and instrument ids that follow, and
 * prints `status <code>, undici <loaded or not>` on stderr; the function's own log line goes to stdout. With
 * `broken-context` the context lacks getRemainingTimeInMillis, an error the function does not expect, so its
 * log line carries a stack. It imports nothing else that could load undici, Node's fetch implementation.
 */
const [module = '', customerId, instrumentId, variant] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(module).href);
const context = lambdaContext(10_000);
if (variant === 'broken-context') Reflect.deleteProperty(context, 'getRemainingTimeInMillis');
const { statusCode } = await handler(apiGatewayEvent({ customerId, instrumentId }), context);
// Node's own list of the internal modules it has loaded (undocumented, but what `node -p process.moduleLoadList` shows).
const internals = (Reflect.get(process, 'moduleLoadList') ?? []) as string[];
const undici = internals.some((name) => name.includes('undici')) ? 'loaded' : 'not loaded';
process.stderr.write(`status ${statusCode}, undici ${undici}\n`);
// At once, as Lambda freezes the process after the answer: the connection pool's timers are not part of it.
process.exit(0);
