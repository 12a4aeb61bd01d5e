import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';
import { skipSummary } from './skip-summary.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the fixture with the project's own vitest.config.ts (its reporters) and returns what a contributor sees. */
async function runFixture(): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const vitest = await createVitest(
    { root: ROOT, config: 'vitest.config.ts', include: ['test/setup/fixtures/skips.fixture.ts'], watch: false },
    {},
    { stdout, stderr: new PassThrough() },
  );
  try {
    await vitest.start();
  } finally {
    await vitest.close();
  }
  return stripVTControlCharacters(Buffer.concat(chunks).toString('utf8'));
}

describe("the test run's summary", () => {
  it('ends with each skipped test’s reason and the command that runs it, after vitest’s own counts', async () => {
    const output = await runFixture();
    const summary = output.slice(output.indexOf(' Skipped  '));
    expect(summary).toBe(
      [
        ' Skipped  4 tests, and why:',
        '   - no thing at /nowhere; to run them: apt-get install thing',
        '       test/setup/fixtures/skips.fixture.ts (2)',
        '   - the stand-in is down',
        '       test/setup/fixtures/skips.fixture.ts (1)',
        '   - no reason given (skip with skipWhen from test/setup/skips.ts, which says why and how to run them)',
        '       test/setup/fixtures/skips.fixture.ts (1)',
        '',
        '',
      ].join('\n'),
    );
    expect(output.indexOf('Tests  1 passed | 4 skipped (5)')).toBeGreaterThan(-1);
    expect(output.indexOf('Tests  1 passed')).toBeLessThan(output.indexOf(' Skipped  '));
  });
});

describe('the skip summary', () => {
  it('groups by reason in a stable order, files sorted, the skips without a reason last', () => {
    const chromium = { reason: 'no Chromium', enable: 'apt-get install chromium' };
    const docs = { reason: "Cashfree's documents are missing", enable: 'npm run fetch:cashfree-docs' };
    const lines = skipSummary([
      { file: 'test/x.test.ts', skip: undefined },
      { file: 'test/browser/b.test.ts', skip: chromium },
      { file: 'test/contract/z.test.ts', skip: docs },
      { file: 'test/contract/a.test.ts', skip: docs },
      { file: 'test/contract/a.test.ts', skip: docs },
    ]);
    expect(lines).toEqual([
      ' Skipped  5 tests, and why:',
      "   - Cashfree's documents are missing; to run them: npm run fetch:cashfree-docs",
      '       test/contract/a.test.ts (2), test/contract/z.test.ts (1)',
      '   - no Chromium; to run them: apt-get install chromium',
      '       test/browser/b.test.ts (1)',
      '   - no reason given (skip with skipWhen from test/setup/skips.ts, which says why and how to run them)',
      '       test/x.test.ts (1)',
    ]);
  });

  it('adds nothing when nothing was skipped', () => {
    expect(skipSummary([])).toEqual([]);
  });
});
