import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // The failover demo: five processes, two servers, on a loaded 2-core CI machine.
    testTimeout: 300_000,
  },
});
