import { isBuiltin } from 'node:module';
import type { BundleReport } from './bundle.ts';
import type { ColdResult } from './cold.ts';
import type { Summary } from './stats.ts';
import type { WarmResult } from './warm.ts';

export interface SubjectResult {
  name: string;
  size: BundleReport;
  cold: ColdResult;
  warm: WarmResult;
}

export interface Budget {
  figure: string;
  limit: string;
  measured: string;
  verdict: 'PASS' | 'MISS' | 'stated';
}

/** The budgets, judged on the project's handler against the official-SDK comparison. */
export function judge(ours: SubjectResult, official: SubjectResult): Budget[] {
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const shareOfOfficial = ours.cold.overheadMs / official.cold.overheadMs;
  return [
    {
      figure: 'warm mean over bare fetch',
      limit: '<= 1.10x',
      measured: `${ours.warm.ratio.toFixed(3)}x (${signed(ours.warm.overheadUs, 1)} us)`,
      verdict: verdict(ours.warm.ratio <= 1.1),
    },
    {
      figure: 'cold start over bare fetch',
      limit: '<= +80 ms',
      measured: `${signed(ours.cold.overheadMs, 1)} ms`,
      verdict: verdict(ours.cold.overheadMs <= 80),
    },
    {
      figure: "cold start over bare fetch vs cashfree-pg's",
      limit: '<= 0.25',
      measured: `${shareOfOfficial.toFixed(3)} (${ours.cold.overheadMs.toFixed(1)} / ${official.cold.overheadMs.toFixed(1)} ms)`,
      verdict: verdict(shareOfOfficial <= 0.25),
    },
    {
      figure: 'function code size',
      limit: 'state it',
      measured: `${kb(ours.size.bytes)} (${kb(ours.size.gzipBytes)} gzip)`,
      verdict: 'stated',
    },
    {
      figure: 'Secrets Manager reads per 1,000 warm calls',
      limit: '0',
      measured: String(ours.warm.secretReadsPer1000),
      verdict: verdict(ours.warm.secretReadsPer1000 === 0),
    },
  ];
}

/** The one table: each handler, the bare-fetch baseline measured alongside it, then the budgets. */
export function renderTable(subjects: SubjectResult[], sdkExternal: BundleReport, budgets: Budget[]): string {
  const rows: string[][] = [
    [
      '',
      'bytes',
      'gzip',
      'cold med ms',
      'cold +ms',
      'cold x',
      'warm mean us',
      'p50 us',
      'p99 us',
      'warm +us',
      'warm x',
      'SM/1k',
    ],
  ];
  for (const { name, size, cold, warm } of subjects) {
    rows.push([
      name,
      int(size.bytes),
      int(size.gzipBytes),
      cold.handlerMs.toFixed(1),
      signed(cold.overheadMs, 1),
      cold.ratio.toFixed(2),
      ...timing(warm.handlerUs),
      signed(warm.overheadUs, 1),
      warm.ratio.toFixed(3),
      String(warm.secretReadsPer1000),
    ]);
    rows.push(['  bare fetch (its pairs/blocks)', '', '', cold.fetchMs.toFixed(1), '', '', ...timing(warm.fetchUs)]);
  }
  rows.push(['cryptogram-service, @aws-sdk/* external', int(sdkExternal.bytes), int(sdkExternal.gzipBytes)]);

  const phases = subjects.map(({ name, cold: { phases } }) => {
    const { handler: h, fetch: f } = phases;
    return (
      `${name}: node start ${h.startMs.toFixed(1)}, import ${h.importMs.toFixed(1)}, first invocation ` +
      `${h.invokeMs.toFixed(1)} ms; its bare fetch: node start ${f.startMs.toFixed(1)}, fetch ${f.invokeMs.toFixed(1)} ms`
    );
  });
  const budgetRows = [
    ['budget', 'limit', 'measured', ''],
    ...budgets.map((b) => [b.figure, b.limit, b.measured, b.verdict]),
  ];
  return `${columns(rows)}\ncold start phases, medians inside the child:\n  ${phases.join('\n  ')}\n\n${columns(budgetRows)}`;
}

export function renderSize(report: BundleReport, top: number): string {
  const externals = report.externals.every((e) => isBuiltin(e))
    ? `Node built-ins only (${report.externals.join(', ')})`
    : report.externals.join(', ');
  const packages = report.packages.slice(0, top).map((p) => [`  ${p.name}`, int(p.bytes)]);
  return `loads from outside the bundle: ${externals}\ntop ${top} inputs by bytes in the output:\n${columns(packages)}`;
}

export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .map((line) => line.trimEnd())
    .join('\n');
}

const timing = (s: Summary | undefined) => (s ? [s.mean, s.p50, s.p99].map((us) => us.toFixed(1)) : ['', '', '']);
const int = (n: number) => n.toLocaleString('en-US');
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const signed = (n: number, digits: number) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
