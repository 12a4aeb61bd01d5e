import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Infra tests bundle the function with esbuild and synthesize the app; that takes seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
