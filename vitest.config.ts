import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Infra tests bundle the function with esbuild and synthesize the app; that takes seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // After vitest's own summary: every skipped test's reason and the command that would run it.
    reporters: ['default', './test/setup/skip-summary.ts'],
    // Keeps CDK's "Bundling asset …" line (one per synthesized function) out of the output; nothing else.
    setupFiles: ['./test/setup/quiet-bundling.ts'],
  },
});
