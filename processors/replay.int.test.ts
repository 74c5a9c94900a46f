import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleError, sampleResult, sampleTask } from '../schemas/test-support/fixtures.js';
import { RecordKind } from '../schemas/codec.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { quoteIdentifier } from '../lib/sql.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../lib/test-support/helpers.js';
import { replay } from './replay.js';
import {
  committedTotal,
  createTopics,
  deleteGroups,
  deleteTopics,
  endTotal,
  runProcessorsInProcess,
  viewSnapshot,
} from './test-support/harness.js';

const token = uniqueToken();
const requester = `it-${token}-lead`;
const worker = `it-${token}-crew`;
const agents = [requester, worker];
const topics = agents.map(queueTopic);
const now = Date.now();

describe('replay against the real stack', () => {
  let db: TestDatabase;
  let config: Config;
  let producer: TestProducer;
  const extraDatabases: string[] = [];

  async function waitCaughtUp(groupId: string): Promise<void> {
    for (const topic of [...topics, ERRORS_TOPIC]) {
      const end = await endTotal(config, topic);
      expect(
        await eventually(async () => (await committedTotal(config, groupId, topic)) >= end, 60_000),
        topic,
      ).toBe(true);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('it_replay');
    config = testConfig({
      CLICKHOUSE_DATABASE: db.name,
      PROCESSOR_GROUP_ID: `it-replay-live-${token}`,
      PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-it-${token}-.*`,
      PROCESSOR_HTTP_PORT: '0',
      PROCESSOR_FLUSH_INTERVAL_MS: '100',
    });
    await createTopics(config, topics);
    producer = await createTestProducer(config);
    const tasks = Array.from({ length: 40 }, (_, i) =>
      sampleTask({
        message_id: `${token}-t${i}`,
        source_agent: requester,
        target_agent: worker,
        timestamp: now - 100_000 + i * 1_000,
      }),
    );
    const results = Array.from({ length: 25 }, (_, i) =>
      sampleResult({
        message_id: `${token}-r${i}`,
        source_agent: worker,
        target_agent: requester,
        parent_message_id: `${token}-t${i}`,
        timestamp: now - 50_000 + i * 1_000,
      }),
    );
    const errors = Array.from({ length: 12 }, (_, i) =>
      sampleError({
        error_id: `${token}-e${i}`,
        agent_name: worker,
        fingerprint: null,
        error_type: i % 2 === 0 ? 'TimeoutError' : 'ToolError',
        error_message: `failed after ${i} ms`,
        stack_trace: null,
        timestamp: now - 40_000 + i * 997,
      }),
    );
    await producer.send(queueTopic(worker), RecordKind.AGENT_MESSAGE, tasks, (m) => m.message_id);
    await producer.send(queueTopic(requester), RecordKind.AGENT_MESSAGE, results, (m) => m.message_id);
    await producer.send(ERRORS_TOPIC, RecordKind.DETAILED_ERROR, errors);
    await producer.sendRaw(queueTopic(worker), [Buffer.from('not avro at all')]);

    const live = await runProcessorsInProcess(config);
    try {
      await waitCaughtUp(config.processors.groupId);
    } finally {
      await live.stop();
    }
  });

  afterAll(async () => {
    await producer.close();
    await deleteTopics(config, topics);
    await deleteGroups(config, [config.processors.groupId]);
    for (const name of extraDatabases)
      await db.server.command(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
    await db.drop();
  });

  it('rebuilds every view from the earliest offsets into a fresh database, equal to the live views', async () => {
    const target = `${db.name}_rebuilt`;
    extraDatabases.push(target);
    const progress: [number, number][] = [];
    const result = await replay({
      config,
      logger: testLogger(),
      targetDatabase: target,
      switchover: false,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.database).toBe(target);
    expect(result.backupDatabase).toBeUndefined();
    expect(progress.at(-1)?.[0]).toBe(progress.at(-1)?.[1]);

    const targetClient = createClickHouseClient({
      ...config,
      clickhouse: { ...config.clickhouse, database: target },
    });
    try {
      const rebuilt = await viewSnapshot(clickHouseAccess(targetClient), agents, now);
      const liveViews = await viewSnapshot(db.access, agents, now);
      expect(rebuilt).toEqual(liveViews);
      expect((liveViews as { tasks: unknown[][] }).tasks[1]).toHaveLength(40);
    } finally {
      await targetClient.close();
    }
  });

  it('refuses to switch while the processors run, then switches once they stopped', async () => {
    const before = await viewSnapshot(db.access, agents, now);
    const running = await runProcessorsInProcess(config);
    try {
      await expect(
        replay({ config, logger: testLogger(), targetDatabase: `${db.name}_refused`, switchover: true }),
      ).rejects.toThrow(/still have 1 member/);
    } finally {
      await running.stop();
    }

    const result = await replay({
      config,
      logger: testLogger(),
      targetDatabase: `${db.name}_switch`,
      switchover: true,
    });
    expect(result.backupDatabase).toMatch(new RegExp(`^${db.name}_before_replay_\\d{14}$`));
    if (result.backupDatabase !== undefined) extraDatabases.push(result.backupDatabase);
    expect(await viewSnapshot(db.access, agents, now)).toEqual(before);

    // the materialized views were recreated over the switched tables: new data still flows into them
    await producer.send(ERRORS_TOPIC, RecordKind.DETAILED_ERROR, [
      sampleError({
        error_id: `${token}-after`,
        agent_name: worker,
        fingerprint: `fp-${token}`,
        timestamp: now,
      }),
    ]);
    const again = await runProcessorsInProcess(config);
    try {
      expect(
        await eventually(async () => {
          // a UInt64: quoted in JSON by ClickHouse before 25.8, a number since
          const rows = await db.access.query<{ n: string | number }>(
            `SELECT uniqExactMerge(error_count) AS n FROM error_groups WHERE fingerprint = 'fp-${token}' GROUP BY fingerprint`,
          );
          return Number(rows[0]?.n) === 1;
        }),
      ).toBe(true);
    } finally {
      await again.stop();
    }
  });
});
