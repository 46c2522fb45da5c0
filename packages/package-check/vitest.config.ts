import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // npm install from the tarballs (with three native builds) runs in one beforeAll.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
