import type { ColdReport, Target } from '../protocol.ts';

// The cold-start floor: a fresh process that makes the same Cashfree call with a bare fetch and nothing else.
const { url, headers } = JSON.parse(process.env.BENCH_TARGET ?? '{}') as Target;
const t0 = performance.now();
const response = await fetch(url, { headers });
await response.text();
const invokeMs = performance.now() - t0;
const rssBytes = process.resourceUsage().maxRSS * 1024;
const report: ColdReport = {
  startMs: t0,
  importMs: 0,
  invokeMs,
  status: response.status,
  initRssBytes: rssBytes,
  peakRssBytes: rssBytes,
};
process.stderr.write(`${JSON.stringify(report)}\n`);
process.exit(0);
