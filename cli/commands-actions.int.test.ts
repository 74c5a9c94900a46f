import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import { createKafka } from '../lib/kafka.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { migrate } from '../lib/migrations.js';
import { createCodec } from '../lib/registry.js';
import {
  createTestDatabase,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import { queueTopic } from '../schemas/topics.js';
import { createActionsBackend } from '../api/actions/backend.js';
import { createKafkaView } from '../api/kafka-view.js';
import { LiveHub } from '../api/live-feed.js';
import { createApiMetrics } from '../api/metrics.js';
import { buildApi } from '../api/server.js';
import { seedRun, type Seeded } from '../api/test-support/seed.js';

/**
 * `agent-telemetry act` as a script uses it: the built binary against a running API (actions on,
 * and one with actions off), its answers and exit codes (0 done or duplicate, 1 refused, 2 usage,
 * 3 unreachable or actions off).
 */
const TOKEN = `cli-actions-token-${uniqueToken()}`;
let db: TestDatabase;
let seeded: Seeded;
let lifecycle: Lifecycle;
let onUrl: string;
let offUrl: string;

function act(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return new Promise((resolve) => {
    execFile(
      'node',
      ['dist/cli/main.js', 'act', ...args],
      { env: { ...env, API_AUTH_TOKEN: TOKEN, LOG_LEVEL: 'error' }, timeout: 60_000 },
      (error, out, err) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err });
      },
    );
  });
}

beforeAll(async () => {
  db = await createTestDatabase('cliact');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  seeded = await seedRun(db.access, `t${uniqueToken()}`, Date.now());
  const logger = testLogger();
  lifecycle = new Lifecycle({ logger, deadlineMs: 10_000 });
  const on = testConfig({
    CLICKHOUSE_DATABASE: db.name,
    API_ACTIONS: 'on',
    API_AUTH_TOKEN: TOKEN,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
  });
  const readerClient = createClickHouseClient({
    ...on,
    clickhouse: { ...on.clickhouse, username: on.api.clickhouseUser, password: on.api.clickhousePassword },
  });
  lifecycle.add('reader', () => readerClient.close());
  const reader = clickHouseAccess(readerClient);
  const admin = createKafka(on, logger, 'it-cli-actions').admin();
  await admin.connect();
  lifecycle.add('admin', () => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: queueTopic(seeded.coder), numPartitions: 3 }] });
  const deps = { logger, reader, kafka: createKafkaView(admin), feed: new LiveHub(), checks: [] };
  const actions = createActionsBackend({ config: on, logger, lifecycle, reader, codec: createCodec(on) });
  const apiOn = buildApi(on, { ...deps, metrics: createApiMetrics({ processMetrics: false }), actions });
  const apiOff = buildApi(
    {
      ...on,
      api: { ...on.api, actions: { ...on.api.actions, enabled: false, refusal: 'actions are off: test' } },
    },
    { ...deps, metrics: createApiMetrics({ processMetrics: false }) },
  );
  onUrl = `http://127.0.0.1:${await apiOn.start()}`;
  offUrl = `http://127.0.0.1:${await apiOff.start()}`;
  lifecycle.add('api-on', () => apiOn.stop());
  lifecycle.add('api-off', () => apiOff.stop());
}, 120_000);

afterAll(async () => {
  await lifecycle.shutdown('done');
  await db.drop();
});

describe('agent-telemetry act', () => {
  it('cancels a pending task (exit 0), answers a repeat as a duplicate (exit 0)', async () => {
    const first = await act(['cancel', seeded.ids.t2, '--api', onUrl, '--actor', 'tester', '--json']);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ action: 'cancel_task', outcome: 'done', produced: 1 });
    const again = await act(['cancel', seeded.ids.t2, '--api', onUrl]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(new RegExp(`^cancel_task ${seeded.ids.t2}: duplicate`));
  });

  it('exits 1 when refused, 2 on a bad argument, 3 when actions are off or the API is not there', async () => {
    const refused = await act(['retry', seeded.ids.t1, '--api', onUrl]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/refused .*completed/);
    const bad = await act(['cancel', 'bad id', '--api', onUrl]);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/task_id/);
    const off = await act(['cancel', seeded.ids.t2, '--api', offUrl]);
    expect(off.code).toBe(3);
    expect(off.out).toMatch(/actions are off/);
    const away = await act(['cancel', seeded.ids.t2, '--api', 'http://127.0.0.1:9']);
    expect(away.code).toBe(3);
    expect(away.err).toMatch(/did not answer/);
  });

  it('prints the audit log with who acted through the CLI', async () => {
    const log = await act(['log', '--api', onUrl]);
    expect(log.code).toBe(0);
    expect(log.out).toMatch(new RegExp(`tester via cli {2}cancel_task ${seeded.ids.t2} {2}done`));
  });
});
