import { createRequire } from 'node:module';

/**
 * `node:http` as the deployed bundle loads it: through `require`, not as an ES module. Imported as an ES
 * module, Node builds a facade that reads every export, lazy ones included, and `http.WebSocket` then loads
 * undici, Node's fetch implementation, which the function never uses: 13 ms or more of every cold start
 * (nodejs/node#59686). The function's bundling aliases `node:http` to this module (infra/function-bundling.ts);
 * esbuild refuses the build if code imports a name this module does not export.
 */
export const { Agent, request, STATUS_CODES, validateHeaderName, validateHeaderValue } = createRequire(import.meta.url)(
  'node:http',
) as typeof import('node:http');
