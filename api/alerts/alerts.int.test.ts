import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient } from '../../lib/clickhouse.js';
import { createKafka } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import { ALERT_STATE } from '../../lib/tables/alert-state.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { diagnoseFor } from '../diagnosis/module.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import { seedRun, type Seeded } from '../test-support/seed.js';
import { alertIssues } from './main.js';
import { AlertNotifier, httpSend, webhooksOf } from './notifier.js';
import { clickHouseAlertStore } from './store.js';
import { startWebhookReceiver, type WebhookReceiver } from './test-support/webhook-receiver.js';

/**
 * The notifier over real ClickHouse data: a seeded run whose diagnosis has critical and high issues
 * (a stuck critical task, a dead agent), alerts kept in `alert_state`, a real HTTP receiver. The
 * API's clock is the test's, so the same data is diagnosed now and hours later (when it is over).
 */
let db: TestDatabase;
let api: Api;
let seeded: Seeded;
let receiver: WebhookReceiver;
let clock: number;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase('alerts');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  const token = `t${uniqueToken()}`;
  clock = Date.now();
  seeded = await seedRun(db.access, token, clock);
  const config = { ...db.config, agents: [seeded.coder, seeded.researcher] };
  const readerClient = createClickHouseClient({
    ...config,
    clickhouse: {
      ...config.clickhouse,
      username: config.api.clickhouseUser,
      password: config.api.clickhousePassword,
    },
  });
  closers.push(() => readerClient.close());
  const admin = createKafka(config, testLogger(), 'it-alerts').admin();
  await admin.connect();
  closers.push(() => admin.disconnect());
  api = buildApi(config, {
    logger: testLogger(),
    reader: clickHouseAccess(readerClient),
    kafka: createKafkaView(admin),
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
    now: () => clock,
  });
  receiver = await startWebhookReceiver();
}, 120_000);

afterAll(async () => {
  await receiver.close();
  for (const close of closers) await close();
  await db.drop();
});

function notifier(): AlertNotifier {
  return new AlertNotifier({
    store: clickHouseAlertStore(api.context.reader, db.access, () => clock),
    issues: async () => alertIssues(await diagnoseFor(api.context, 15), 'high'),
    webhooks: webhooksOf({
      webhookUrls: [receiver.url('/hook')],
      slackWebhookUrls: [receiver.url('/slack')],
    }),
    send: httpSend(5_000, testLogger()),
    logger: testLogger(),
    now: () => clock,
    maxPerMinute: 50,
    system: 'it',
  });
}

const opened = (): string[] =>
  receiver.received
    .filter((r) => r.path === '/hook' && r.body.event === 'alert.opened')
    .map((r) => (r.body.alert as { issue_id: string }).issue_id)
    .sort();
const resolved = (): string[] =>
  receiver.received
    .filter((r) => r.path === '/hook' && r.body.event === 'alert.resolved')
    .map((r) => (r.body.alert as { issue_id: string }).issue_id)
    .sort();

describe('alerts over a diagnosed run', () => {
  it('opens the high and critical issues, keeps them in ClickHouse, survives a restart, resolves them when the run is over', async () => {
    const report = await diagnoseFor(api.context, 15);
    const expected = alertIssues(report, 'high')
      .map((i) => i.id)
      .sort();
    expect(expected.length).toBeGreaterThan(0);

    const first = await notifier().tick();
    expect(first.opened.sort()).toEqual(expected);
    expect(opened()).toEqual(expected);
    expect(receiver.received.filter((r) => r.path === '/slack')).toHaveLength(expected.length);
    const stored = await db.access.query<{ issue_id: string; state: string; delivered: string }>(
      `SELECT issue_id, state, delivered FROM ${ALERT_STATE} FINAL ORDER BY issue_id`,
    );
    expect(stored.map((r) => r.issue_id)).toEqual(expected);
    expect(
      stored.every((r) => r.state === 'open' && Object.keys(JSON.parse(r.delivered) as object).length === 2),
    ).toBe(true);

    // a restarted notifier, a moment later: the same issues, nothing sent again
    clock += 1_000;
    const restarted = notifier();
    expect((await restarted.tick()).sent).toEqual([]);
    expect(opened()).toEqual(expected);

    // hours later the run's tasks have expired and its errors left the window
    clock += 6 * 3_600_000;
    const later = await restarted.tick();
    const still = new Set(alertIssues(await diagnoseFor(api.context, 15), 'high').map((i) => i.id));
    expect(later.resolved.sort()).toEqual(expected.filter((id) => !still.has(id)));
    expect(later.resolved.length).toBeGreaterThan(0);
    expect(resolved()).toEqual(later.resolved);
    const slackResolved = receiver.received.filter(
      (r) => r.path === '/slack' && String(r.body.text).startsWith(':white_check_mark: Resolved'),
    );
    expect(slackResolved).toHaveLength(later.resolved.length);
    const states = await db.access.query<{ issue_id: string; state: string }>(
      `SELECT issue_id, state FROM ${ALERT_STATE} FINAL WHERE state = 'resolved' ORDER BY issue_id`,
    );
    expect(states.map((r) => r.issue_id)).toEqual(later.resolved);
  });
});
