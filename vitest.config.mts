import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CPU test-vector suites replay ~200k single-instruction tests.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
