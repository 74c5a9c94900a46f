import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit`: `*.test.ts`, no services, runs anywhere. `integration`: `*.int.test.ts`, against
 * the real Kafka, schema registry and ClickHouse that `scripts/stack.sh up` starts; every run uses
 * unique topic names and a fresh ClickHouse database.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**', 'dist/**', '.state/**'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          globalSetup: ['lib/test-global-setup.ts'],
          exclude: ['node_modules/**', 'dist/**', '.state/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // the suites share one broker and one ClickHouse on a 2-core machine
          fileParallelism: false,
        },
      },
    ],
  },
});
