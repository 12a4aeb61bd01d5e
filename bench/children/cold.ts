import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import type { ProxyHandler } from '../../local/api-server.ts';
import { apiGatewayEvent, lambdaContext } from '../../local/lambda-event.ts';
import type { ColdReport, Target } from '../protocol.ts';

// One cold start, as Lambda does it: load a bundle (its init included), then answer one invocation; or, for
// `sdk`, load the Secrets Manager client's bundle and make one client. The bench times the process from spawn
// to exit; the report on stderr says how the time splits. With BENCH_PROFILE set, the import alone runs under
// the CPU profiler, which writes its profile there.

const [kind = 'handler', bundle = ''] = process.argv.slice(2);
const profileFile = process.env.BENCH_PROFILE;
const profiler = new Session();
if (profileFile) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  // The default 1 ms interval would see an init of some tens of milliseconds in too few samples.
  await profiler.post('Profiler.setSamplingInterval', { interval: 50 });
  await profiler.post('Profiler.start');
}
const t0 = performance.now();
const module = await import(pathToFileURL(bundle).href);
if (kind === 'sdk') new module.SecretsManagerClient({});
const t1 = performance.now();
const initRssBytes = process.resourceUsage().maxRSS * 1024;
if (profileFile) writeFileSync(profileFile, JSON.stringify((await profiler.post('Profiler.stop')).profile));

let status = 200;
if (kind === 'handler') {
  const { customerId, instrumentId } = JSON.parse(process.env.BENCH_TARGET ?? '{}') as Target;
  const result = await (module.handler as ProxyHandler)(apiGatewayEvent({ customerId, instrumentId }), lambdaContext());
  status = result.statusCode;
}
const report: ColdReport = {
  startMs: t0,
  importMs: t1 - t0,
  invokeMs: performance.now() - t1,
  status,
  initRssBytes,
  // maxRSS is in kibibytes.
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stderr.write(`${JSON.stringify(report)}\n`);
// At once: Lambda freezes the process after the answer, so whatever timers remain are not part of it.
process.exit(0);
