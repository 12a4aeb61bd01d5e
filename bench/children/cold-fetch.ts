import type { ColdPhases } from '../protocol.ts';

// The cold-start floor: a fresh process that makes the same Cashfree call with a bare fetch and nothing else.
const [url = ''] = process.argv.slice(2);
const t0 = performance.now();
const response = await fetch(url, { headers: JSON.parse(process.env.BENCH_FETCH_HEADERS ?? '{}') });
await response.text();
const t1 = performance.now();

const phases: ColdPhases = { startMs: t0, importMs: 0, invokeMs: t1 - t0, status: response.status };
process.stderr.write(`${JSON.stringify(phases)}\n`);
process.exit(response.status === 200 ? 0 : 1);
