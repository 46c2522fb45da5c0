import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file at a time: the real-server files are heavy (the kill test starts an RGW of its own).
    fileParallelism: false,
  },
});
