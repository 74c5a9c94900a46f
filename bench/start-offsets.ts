import { Kafka as KafkaJsClient, logLevel } from 'kafkajs';
import { ERRORS_TOPIC, QUEUE_TOPIC_PATTERN } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import type { Admin } from '../lib/kafka.js';

/**
 * Where the consumers under test start. Their groups are new, so they would read every topic they
 * subscribe to from the beginning: the bench topics, but also the shared errors topic and every other
 * agent queue, which keep what earlier runs and tests left there and grow with each run. Both groups
 * are therefore started at the end that those other topics had just before the run produced
 * anything; the bench topics, where the groups commit nothing beforehand, are read from the start.
 */

export type TopicEnds = Map<string, { partition: number; offset: string }[]>;

/** End offsets of the errors topic and of every agent queue that is not one of `benchTopics`. */
export async function otherTopicEnds(admin: Admin, benchTopics: readonly string[]): Promise<TopicEnds> {
  const topics = (await admin.listTopics()).filter(
    (topic) => !benchTopics.includes(topic) && (topic === ERRORS_TOPIC || QUEUE_TOPIC_PATTERN.test(topic)),
  );
  const ends: TopicEnds = new Map();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends.set(
      topic,
      offsets.map(({ partition, high }) => ({ partition, offset: high })),
    );
  }
  return ends;
}

/**
 * Commits `ends` for each group before it first joins. The confluent admin has no way to set a
 * group's offsets, so this uses the `kafkajs` admin, which does.
 */
export async function startGroupsAt(
  config: Config,
  groupIds: readonly string[],
  ends: TopicEnds,
): Promise<void> {
  const admin = new KafkaJsClient({
    clientId: `${config.kafka.clientId}-bench-offsets`,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    // a topic deleted meanwhile (another run cleaning up) is skipped, never recreated by a lookup
    const existing = new Set(await admin.listTopics());
    for (const groupId of groupIds) {
      for (const [topic, partitions] of ends) {
        if (existing.has(topic)) await admin.setOffsets({ groupId, topic, partitions });
      }
    }
  } finally {
    await admin.disconnect();
  }
}
