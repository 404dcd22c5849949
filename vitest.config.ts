import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    // The CLI tests run the built `outpost` command (issue #17): built here once per run if stale.
    globalSetup: ['tests/cli/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real servers (icinga2, rabbitmq) are heavy on a 2-core machine: one file at a time per worker pair.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
