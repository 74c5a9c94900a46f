import { afterAll, describe, expect, it } from 'vitest';
import { DLQ_TOPIC, ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { createKafka } from './kafka.js';
import { testConfig, testLogger, uniqueToken } from './test-support/helpers.js';
import { ensureTopics, plannedTopics } from './topics.js';

describe('ensureTopics against the real broker', () => {
  const token = uniqueToken();
  const config = testConfig({ AGENT_NAMES: `planner-${token},Data Analyst ${token}`, TOPIC_PARTITIONS: '2' });
  const admin = createKafka(config, testLogger(), 'it-admin').admin();
  const agentTopics = config.agents.map(queueTopic);

  afterAll(async () => {
    await admin.deleteTopics({ topics: agentTopics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates queue topics for new agents with the configured partitions, then leaves them alone', async () => {
    await admin.connect();
    expect(agentTopics).toEqual([`agent-queue-planner-${token}`, `agent-queue-data-analyst-${token}`]);
    const planned = plannedTopics(config);
    expect(planned.map((p) => p.topic)).toEqual([...agentTopics, ERRORS_TOPIC, DLQ_TOPIC]);
    // the shared topics are left to `agent-telemetry topics`; this run creates only its own
    const own = planned.filter((p) => agentTopics.includes(p.topic));
    const first = await ensureTopics(admin, own);
    expect(first.created).toEqual(agentTopics);
    const second = await ensureTopics(admin, own);
    expect(second.created).toEqual([]);
    const existing = new Map(second.existing.map((t) => [t.topic, t.partitions]));
    for (const topic of agentTopics) expect(existing.get(topic)).toBe(2);
  });
});
