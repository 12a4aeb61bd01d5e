import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';

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
        ' Skipped  3 tests, and why:',
        '   - no thing at /nowhere; to run them: apt-get install thing',
        '       test/setup/fixtures/skips.fixture.ts (2)',
        '   - no reason given (skip with skipWhen from test/setup/skips.ts, which says why and how to run them)',
        '       test/setup/fixtures/skips.fixture.ts (1)',
        '',
        '',
      ].join('\n'),
    );
    expect(output.indexOf('Tests  1 passed | 3 skipped (4)')).toBeGreaterThan(-1);
    expect(output.indexOf('Tests  1 passed')).toBeLessThan(output.indexOf(' Skipped  '));
  });
});
