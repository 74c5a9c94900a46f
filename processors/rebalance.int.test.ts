import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTask } from '../schemas/test-support/fixtures.js';
import { RecordKind } from '../schemas/codec.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import { quoteString } from '../lib/sql.js';
import { startClickHouseProxy, type ClickHouseProxy } from '../lib/test-support/clickhouse-proxy.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  startGroupsAtEnd,
  testConfig,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../lib/test-support/helpers.js';
import {
  committedTotal,
  countRows,
  createTopics,
  deleteGroups,
  deleteTopics,
  runProcessorsInProcess,
  type RunningProcessors,
} from './test-support/harness.js';

const token = uniqueToken();
const agent = `it-${token}-scaled`;
const topic = queueTopic(agent);
const group = `it-scale-${token}`;
const TOTAL = 1_200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A consumer group that scales while ClickHouse is slow: inserts are held (by a proxy in front of
 * ClickHouse) longer than the revoke timeout while processors join and leave the group, with a
 * producer running all along. Every message must end up stored exactly once and committed: none
 * lost to a revoke that gave up, none of the next assignment dropped by a store that finished late.
 */
describe('processors scaling while ClickHouse holds inserts past the revoke timeout', () => {
  let db: TestDatabase;
  let producer: TestProducer;
  let proxy: ClickHouseProxy;
  let config: Config;

  beforeAll(async () => {
    db = await createTestDatabase('it_rebalance');
    proxy = await startClickHouseProxy(testConfig().clickhouse.url);
    config = testConfig({
      CLICKHOUSE_URL: proxy.url,
      CLICKHOUSE_DATABASE: db.name,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-it-${token}-.*`,
      PROCESSOR_HTTP_PORT: '0',
      PROCESSOR_FLUSH_INTERVAL_MS: '100',
      PROCESSOR_BATCH_SIZE: '50',
      PROCESSOR_REVOKE_TIMEOUT_MS: '1000',
    });
    await createTopics(config, [topic], 6);
    await startGroupsAtEnd(config, [group], [ERRORS_TOPIC]);
    producer = await createTestProducer(config);
  });

  afterAll(async () => {
    await producer.close();
    await proxy.close();
    await deleteTopics(config, [topic]);
    await deleteGroups(config, [group]);
    await db.drop();
  });

  it('stores every message exactly once and commits them all, through 1 → 3 → 2 processors', async () => {
    const running: RunningProcessors[] = [await runProcessorsInProcess(config)];
    let produced = 0;
    const producing = (async () => {
      while (produced < TOTAL) {
        const batch = Array.from({ length: 20 }, (_, k) =>
          sampleTask({
            message_id: `${token}-${produced + k}`,
            source_agent: 'it-requester',
            target_agent: agent,
            timestamp: Date.now(),
          }),
        );
        await producer.send(topic, RecordKind.AGENT_MESSAGE, batch, (m) => m.message_id);
        produced += batch.length;
        await sleep(40);
      }
    })();
    try {
      await sleep(800);
      // ClickHouse slows down: every insert waits 3 s, three times the revoke timeout
      proxy.holdInserts(3_000);
      running.push(await runProcessorsInProcess(config));
      await sleep(1_500);
      running.push(await runProcessorsInProcess(config));
      await eventually(async () => Promise.resolve(proxy.held > 0), 10_000, 50);
      await sleep(2_000);
      // one leaves while inserts are still held
      await running.shift()?.stop();
      proxy.holdInserts(0);
      await producing;

      const ids = async (): Promise<{ stored: number; distinct: number }> => {
        const rows = await db.access.query<{ stored: string | number; distinct: string | number }>(
          `SELECT count() AS stored, uniqExact(message_id) AS distinct FROM message_log FINAL
           WHERE topic = ${quoteString(topic)}`,
        );
        return { stored: Number(rows[0]?.stored), distinct: Number(rows[0]?.distinct) };
      };
      expect(
        await eventually(async () => (await ids()).distinct === TOTAL, 60_000),
        JSON.stringify(await ids()),
      ).toBe(true);
      expect(
        await eventually(async () => (await committedTotal(config, group, topic)) === TOTAL, 30_000),
      ).toBe(true);
      expect(await ids()).toEqual({ stored: TOTAL, distinct: TOTAL });
      const missing = await countRows(
        db.access,
        `SELECT count() AS n FROM numbers(${TOTAL})
         WHERE concat(${quoteString(`${token}-`)}, toString(number)) NOT IN
           (SELECT message_id FROM message_log WHERE topic = ${quoteString(topic)})`,
      );
      expect(missing).toBe(0);
      for (const processors of running) expect(processors.fatal).toEqual([]);
    } finally {
      proxy.holdInserts(0);
      await producing.catch(() => undefined);
      for (const processors of running) await processors.stop();
    }
  });
});
