import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import type { Reporter } from 'vitest/node';

const IGNORED = new Set(['node_modules', 'dist', 'dist-bench', '.state', '.git']);

/** The integration tests that work on a ClickHouse database: those that create one (or a bench's). */
function clickHouseTests(dir = '.'): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const path = dir === '.' ? entry.name : join(dir, entry.name);
    if (entry.isDirectory()) found.push(...clickHouseTests(path));
    else if (
      entry.name.endsWith('.int.test.ts') &&
      /create(Migrated)?TestDatabase\(|runSoak\(/.test(readFileSync(path, 'utf8'))
    )
      found.push(path);
  }
  return found.sort();
}

const currentClickHouse = `http://127.0.0.1:${process.env.CHDB_HTTP_PORT ?? '8124'}`;

const integration = {
  globalSetup: ['lib/test-support/global-setup.ts'],
  exclude: ['node_modules/**', 'dist/**', 'dist-bench/**', '.state/**'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // the suites share one broker and one ClickHouse on a 2-core machine
  fileParallelism: false,
};

/**
 * Writes passed, failed and skipped counts per project to `TEST_SUMMARY_FILE` (scripts/test.sh
 * prints them, with each project's ClickHouse engine).
 */
const projectSummary: Reporter = {
  onTestRunEnd(modules) {
    const file = process.env.TEST_SUMMARY_FILE;
    if (file === undefined) return;
    const counts: Record<string, { passed: number; failed: number; skipped: number }> = {};
    for (const module of modules) {
      const project = (counts[module.project.name] ??= { passed: 0, failed: 0, skipped: 0 });
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') project.passed++;
        else if (state === 'failed') project.failed++;
        else project.skipped++;
      }
    }
    writeFileSync(file, JSON.stringify(counts));
  },
};

/**
 * Three tiers. `unit`: `*.test.ts`, no services, runs anywhere. `integration`: `*.int.test.ts`,
 * against the real Kafka, schema registry and ClickHouse 18.16 server that `scripts/stack.sh up`
 * starts; every run uses unique topic names and a fresh ClickHouse database. `integration-current`:
 * every integration test that creates a ClickHouse database, again, on the current ClickHouse
 * engine of the stack (chdb, ClickHouse 26.x, on CHDB_HTTP_PORT), with the same users and profiles.
 * The groups run one after another.
 */
export default defineConfig({
  test: {
    reporters: ['default', projectSummary],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**', 'dist/**', 'dist-bench/**', '.state/**'],
          testTimeout: 10_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          env: { TEST_CLICKHOUSE_SERVICE: 'clickhouse', TEST_CURRENT_CLICKHOUSE_URL: currentClickHouse },
          sequence: { groupOrder: 1 },
          ...integration,
        },
      },
      {
        test: {
          name: 'integration-current',
          include: clickHouseTests(),
          env: {
            CLICKHOUSE_URL: currentClickHouse,
            TEST_CLICKHOUSE_SERVICE: 'chdb',
            TEST_CURRENT_CLICKHOUSE_URL: currentClickHouse,
          },
          sequence: { groupOrder: 2 },
          ...integration,
        },
      },
    ],
  },
});
