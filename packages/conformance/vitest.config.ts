import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    // The matrix files are most of the run's time: two at a time, so that once the other packages'
    // tests are done both cores work on them (vitest's default leaves one core idle here).
    maxWorkers: 2,
  },
});
