import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e tests boot lab Pis and run real ffmpeg/nginx: generous, but bounded. A busy machine has
    // run them at half speed (a 67 s case took over 120 s), so the bound is well above twice that.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    // Two cores: lab Pis and encoders compete for them, so test files run one at a time.
    fileParallelism: false,
    // After vitest's own summary: every skipped test group, why, and the command that runs it.
    reporters: ['default', './test/support/skip-summary.ts'],
  },
});
