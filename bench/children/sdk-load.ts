import { pathToFileURL } from 'node:url';
import type { ColdPhases } from '../protocol.ts';

// What loading the AWS SDK's Secrets Manager client costs a fresh process: the bundle of that client alone,
// imported, and one client made, as the function's init does.
const [bundle = ''] = process.argv.slice(2);
const t0 = performance.now();
const sdk = (await import(pathToFileURL(bundle).href)) as { SecretsManagerClient: new (config: object) => unknown };
new sdk.SecretsManagerClient({});
const t1 = performance.now();

const phases: ColdPhases = { startMs: t0, importMs: t1 - t0, invokeMs: 0, status: 200 };
process.stderr.write(`${JSON.stringify(phases)}\n`);
process.exit(0);
