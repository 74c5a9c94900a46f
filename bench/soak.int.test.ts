import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/repo-root.js';
import { testConfig, testLogger } from '../lib/test-support/helpers.js';
import { runSoak } from './soak.js';

/**
 * The soak's short version: a SIGKILLed processor, ClickHouse stopped for a few seconds, and the
 * group scaling 3 → 4 → 2 while inserts are held past the revoke timeout, with a producer running;
 * every view must match what was produced. (The broker restart runs in `npm run soak` only: the
 * registry's KafkaSQL storage takes a while to come back, which would slow every test after it.)
 */
describe('the processors soak, short', () => {
  it('loses and duplicates nothing through kills, a ClickHouse outage and scaling under slow inserts', async () => {
    const result = await runSoak(testConfig(), testLogger(), {
      rate: 150,
      seconds: 40,
      faults: ['kill', 'clickhouse', 'scale'],
      clickhouseOutageSeconds: 5,
      clickhouseService: process.env.TEST_CLICKHOUSE_SERVICE ?? 'clickhouse',
      poisonEvery: 500,
      settleSeconds: 90,
      // the production build, which the integration tier's global setup keeps up to date
      cli: pathToFileURL(join(repoRoot(), 'dist', 'cli', 'main.js')),
    });
    expect(
      { lost: result.lost, duplicated: result.duplicated, ok: result.ok },
      result.checks.join('\n'),
    ).toEqual({
      lost: 0,
      duplicated: 0,
      ok: true,
    });
    expect(result.deadLettered).toBe(result.poison);
  }, 300_000);
});
