import { ERRORS_TOPIC, QUEUE_TOPIC_PATTERN } from '../schemas/topics.js';
import type { Admin } from '../lib/kafka.js';

/**
 * Where the consumers under test start. Their groups are new, so they would read every topic they
 * subscribe to from the beginning: the bench topics, but also the shared errors topic and every other
 * agent queue, which keep what earlier runs and tests left there and grow with each run. Both groups
 * are therefore started at the end that those other topics had just before the run produced
 * anything; the bench topics, where the groups commit nothing beforehand, are read from the start.
 */

export type { TopicEnds } from '../lib/test-support.js';
import type { TopicEnds } from '../lib/test-support.js';

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
