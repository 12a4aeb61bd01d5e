import * as v from 'valibot';
import { isObject, notOneOf, strict, wholeNumber } from './schema.ts';

const STRATEGIES = ['all-at-once', 'canary', 'linear'] as const;
const RELEASE_SHAPE = "{ strategy: 'all-at-once' } or { strategy, percent, intervalMinutes }";
const strategy = <S extends (typeof STRATEGIES)[number]>(name: S) => v.literal(name, notOneOf(STRATEGIES));
// Linear needs at least two steps; a canary of 100% would be all-at-once under another name.
const stepped = <S extends 'canary' | 'linear'>(name: S, maxPercent: number) =>
  strict(
    { strategy: strategy(name), percent: wholeNumber(1, maxPercent), intervalMinutes: wholeNumber(1, 60) },
    RELEASE_SHAPE,
  );
const RELEASES = {
  'all-at-once': strict({ strategy: strategy('all-at-once') }, RELEASE_SHAPE),
  canary: stepped('canary', 99),
  linear: stepped('linear', 50),
};
/** Chosen by `strategy`; an unknown one is checked as a canary, so that its percent and interval are checked too. */
export const RELEASE = v.lazy(
  (input) => RELEASES[STRATEGIES.find((name) => isObject(input) && input.strategy === name) ?? 'canary'],
);

/** How a new function version takes traffic. CodeDeploy shifts it and rolls back on a failed check or alarm. */
export type ReleaseSettings = v.InferOutput<typeof RELEASE>;

/** How long two versions share the alias during a release: from the first shift to the last. */
export function shiftMinutes(release: ReleaseSettings): number {
  if (release.strategy === 'all-at-once') return 0;
  if (release.strategy === 'canary') return release.intervalMinutes;
  return (Math.ceil(100 / release.percent) - 1) * release.intervalMinutes;
}
