import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import type { SkipReason } from './skips.ts';

interface Group {
  skip: SkipReason | undefined;
  files: Map<string, number>;
}

/** The lines the summary adds for these skipped tests: one group per reason, the files and counts under it. */
export function skipSummary(skipped: ReadonlyArray<{ file: string; skip: SkipReason | undefined }>): string[] {
  if (skipped.length === 0) return [];
  const groups = new Map<string, Group>();
  for (const { file, skip } of skipped) {
    const key = skip ? `${skip.reason}\n${skip.enable}` : '';
    const group = groups.get(key) ?? { skip, files: new Map() };
    group.files.set(file, (group.files.get(file) ?? 0) + 1);
    groups.set(key, group);
  }
  const lines = [` Skipped  ${skipped.length === 1 ? '1 test' : `${skipped.length} tests`}, and why:`];
  // Stable across runs, whichever file finished first; the skips without a reason last.
  const ordered = [...groups].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  for (const [, { skip, files }] of ordered) {
    lines.push(
      skip
        ? `   - ${skip.reason}${skip.enable ? `; to run them: ${skip.enable}` : ''}`
        : '   - no reason given (skip with skipWhen from test/setup/skips.ts, which says why and how to run them)',
    );
    const counts = [...files].sort(([a], [b]) => a.localeCompare(b)).map(([file, count]) => `${file} (${count})`);
    lines.push(`       ${counts.join(', ')}`);
  }
  return lines;
}

// A test that called `context.skip(note)` while running: its note is the reason; the command is unknown.
const noteOf = (test: TestCase): SkipReason | undefined => {
  const result = test.result();
  return result.state === 'skipped' && result.note ? { reason: result.note, enable: '' } : undefined;
};

/**
 * Prints, after vitest's own summary, every test the run skipped with its reason and the command that would
 * run it, so a contributor sees what `npm test` did not check without scrolling back. Listed after 'default'
 * in vitest.config.ts's reporters.
 */
export default class SkipSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    // With a name filter every other test counts as skipped, for no reason worth printing.
    const filtered = this.vitest?.config.testNamePattern !== undefined;
    const skipped = testModules.flatMap((module) =>
      [...module.children.allTests('skipped')]
        .filter((test: TestCase) => test.options.mode === 'skip' || noteOf(test) !== undefined)
        .map((test) => ({ file: module.relativeModuleId, skip: test.meta().skipReason ?? noteOf(test) }))
        .filter(({ skip }) => skip !== undefined || !filtered),
    );
    const lines = skipSummary(skipped);
    if (lines.length > 0) this.vitest?.logger.log(`${lines.join('\n')}\n`);
  }
}
