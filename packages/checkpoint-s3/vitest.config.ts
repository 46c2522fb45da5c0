import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file at a time: the real-server files share one RGW, which one of them kills and restarts.
    fileParallelism: false,
  },
});
