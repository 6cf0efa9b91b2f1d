import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // the JSON file lets .ci/run print a one-line tally at the end
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
