export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

export function summarize(values: Float64Array): Summary {
  const sorted = values.slice().sort();
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { count: sorted.length, mean: sum / sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}
