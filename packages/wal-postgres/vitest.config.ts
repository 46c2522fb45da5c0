import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/summary-setup.ts'],
    // Crash-point sweeps and child processes: slow on a loaded 2-core CI machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
