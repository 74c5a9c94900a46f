import { DLQ_TOPIC, ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import type { Config } from './config.js';
import { type Admin, KafkaErrorCodes, isKafkaError, toKafkaTelemetryError } from './kafka.js';

export interface TopicPlan {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: { topic: string; partitions: number }[];
}

/** The topics the project needs: one queue per configured agent, the errors topic and the DLQ. */
export function plannedTopics(config: Config): TopicPlan[] {
  return [...config.agents.map(queueTopic), ERRORS_TOPIC, DLQ_TOPIC].map((topic) => planned(config, topic));
}

/** The errors topic and the DLQ alone: what every processor needs whatever the agents. */
export function sharedTopics(config: Config): TopicPlan[] {
  return [ERRORS_TOPIC, DLQ_TOPIC].map((topic) => planned(config, topic));
}

function planned(config: Config, topic: string): TopicPlan {
  return {
    topic,
    numPartitions: config.topics.partitions,
    replicationFactor: config.topics.replicationFactor,
  };
}

/**
 * Creates the planned topics that do not exist yet. Idempotent: existing topics are left as they are
 * (their partition count is reported, never changed), and a topic created concurrently by someone
 * else counts as existing.
 */
export async function ensureTopics(admin: Admin, plans: readonly TopicPlan[]): Promise<EnsureTopicsResult> {
  let existingNames: Set<string>;
  try {
    existingNames = new Set(await admin.listTopics());
  } catch (error) {
    throw toKafkaTelemetryError(error, 'listing topics');
  }
  const missing = plans.filter((plan) => !existingNames.has(plan.topic));
  const created: string[] = [];
  for (const plan of missing) {
    try {
      await admin.createTopics({ topics: [plan], timeout: 30_000 });
      created.push(plan.topic);
    } catch (error) {
      if (!(isKafkaError(error) && error.code === KafkaErrorCodes.ERR_TOPIC_ALREADY_EXISTS)) {
        throw toKafkaTelemetryError(error, `creating topic ${plan.topic}`);
      }
    }
  }
  const present = plans.filter((plan) => !created.includes(plan.topic)).map((plan) => plan.topic);
  let existing: EnsureTopicsResult['existing'] = [];
  if (present.length > 0) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: present });
      existing = metadata.map((topic) => ({ topic: topic.name, partitions: topic.partitions.length }));
    } catch (error) {
      throw toKafkaTelemetryError(error, 'reading topic metadata');
    }
  }
  return { created, existing };
}
