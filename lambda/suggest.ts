/** Edit distance between two words: insertions, deletions and substitutions each cost one. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * ` (did you mean x?)` for the closest known word when it is a plausible typo of `typed`, else an empty
 * string. Case is ignored, so `ReservedConcurrency` still finds `reservedConcurrency`.
 */
export function didYouMean(typed: string, known: readonly string[]): string {
  const lower = typed.toLowerCase();
  let best: { word: string; distance: number } | undefined;
  for (const word of known) {
    const distance = editDistance(lower, word.toLowerCase());
    if (best === undefined || distance < best.distance) best = { word, distance };
  }
  // A third of the word: catches dropped, doubled and swapped letters without suggesting unrelated keys.
  if (best === undefined || best.distance > Math.max(2, Math.floor(typed.length / 3))) return '';
  return ` (did you mean ${best.word}?)`;
}
