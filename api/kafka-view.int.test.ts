import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Admin, type Consumer } from '../lib/kafka.js';
import {
  createTestProducer,
  eventually,
  testConfig,
  testLogger,
  uniqueToken,
} from '../lib/test-support/helpers.js';
import { ensureTopics } from '../lib/topics.js';
import { queueTopic } from '../schemas/topics.js';
import { fetchStoredQueues } from './diagnosis/facts-agents.js';
import type { AgentActivityFact } from './diagnosis/types.js';
import { createKafkaView } from './kafka-view.js';

/** Live lag from the Kafka admin API: end offsets, the agent group's commits and its members. */
const config = testConfig();
const agent = `kv${uniqueToken()}`;
const topic = queueTopic(agent);
const groupId = `agent-${agent}`;
let admin: Admin;
let consumer: Consumer;

beforeAll(async () => {
  admin = createKafka(config, testLogger(), 'it-kv').admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const producer = await createTestProducer(config);
  await producer.sendRaw(
    topic,
    [1, 2, 3, 4, 5].map((n) => Buffer.from([n])),
  );
  await producer.close();
});

afterAll(async () => {
  await consumer.disconnect().catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
});

describe('KafkaView', () => {
  it("reports the agent group's lag, committed offsets and members, and nothing for an unknown topic", async () => {
    const view = createKafkaView(admin, { cacheMs: 0 });
    const before = await view.groupLag(groupId, topic);
    expect(before).toMatchObject({
      lag: 5,
      members: 0,
      partitions: [{ partition: 0, end_offset: 5, committed_offset: -1, lag: 5 }],
    });

    consumer = createKafka(config, testLogger(), 'it-kv-agent').consumer({
      kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    let seen = 0;
    await consumer.run({
      eachMessage: () => {
        seen++;
        return Promise.resolve();
      },
    });
    expect(await eventually(() => Promise.resolve(seen === 5), 30_000)).toBe(true);
    await consumer.commitOffsets([{ topic, partition: 0, offset: '2' }]);
    const during = await view.groupLag(groupId, topic);
    expect(during).toMatchObject({
      lag: 3,
      members: 1,
      group_state: 'Stable',
      partitions: [{ end_offset: 5, committed_offset: 2, lag: 3 }],
    });

    expect(await view.groupLag(groupId, `${topic}-absent`)).toBeUndefined();
    await view.check();
  });

  it('tells when a group had stored the whole queue of an agent whose beats are judged', async () => {
    const view = createKafkaView(admin, { cacheMs: 0 });
    const judged: AgentActivityFact = {
      agent,
      last_heartbeat_ms: 1,
      last_state: 'busy',
      sent_window: 1,
      tasks_received_window: 1,
      pending_tasks: 1,
      last_sent_ms: 1,
      heartbeat_interval_ms: 5_000,
    };
    // the group above committed 2 of 5: not all stored
    expect(await fetchStoredQueues(view, groupId, [judged])).toEqual(new Map());
    await consumer.commitOffsets([{ topic, partition: 0, offset: '5' }]);
    const asked = Date.now();
    const stored = await fetchStoredQueues(view, groupId, [
      judged,
      { ...judged, agent: 'idle', pending_tasks: 0 },
    ]);
    expect([...stored.keys()]).toEqual([agent]);
    expect(stored.get(agent)).toBeGreaterThanOrEqual(asked - 250);
    expect(stored.get(agent)).toBeLessThanOrEqual(Date.now() - 250);
  });
});
