import { defineConfig } from 'vitest/config';

// One run for every layer: unit tests need nothing, integration tests get real engines from
// test/helpers/global-setup.ts (started once for the run, stopped if this run started them).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
