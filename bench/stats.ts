export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.toSorted((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { count: sorted.length, mean: sum / sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The median of the round-by-round differences `a[i] - b[i]`: what pairing buys over a difference of medians. */
export const pairedMedian = (a: readonly number[], b: readonly number[]): number =>
  median(a.map((value, i) => value - (b[i] ?? Number.NaN)));

/**
 * Runs every variant once per round, one after the other, for `rounds` rounds after one unrecorded round that
 * fills the file cache; the order reverses every round, so drift weighs on every variant alike. Returns each
 * variant's results in round order, so results of one round can be paired.
 */
export async function inRounds<T>(variants: Record<string, () => Promise<T>>, rounds: number) {
  const names = Object.keys(variants);
  const results = Object.fromEntries(names.map((name) => [name, [] as T[]]));
  for (let round = -1; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : names.toReversed()) {
      const result = await variants[name]?.();
      if (round >= 0 && result !== undefined) results[name]?.push(result);
    }
  }
  return results;
}
