/**
 * Topic names: the contract between agents, processors and the API. One queue topic per agent,
 * `agent-queue-<agent>` with the agent's name lower-cased and spaces turned into `-`.
 */
export const QUEUE_TOPIC_PREFIX = 'agent-queue-';
export const ERRORS_TOPIC = 'agent-telemetry-errors';
export const DLQ_TOPIC = 'agent-telemetry-dlq';

/** Matches every agent queue topic; processors subscribe with it so new agents need no restart. */
export const QUEUE_TOPIC_PATTERN = /^agent-queue-.*/;

/** Normalizes an agent name: trimmed, lower-case, runs of whitespace turned into `-`. */
export function normalizeAgentName(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '-');
}

export function queueTopic(agent: string): string {
  return `${QUEUE_TOPIC_PREFIX}${normalizeAgentName(agent)}`;
}

/** The agent a queue topic belongs to, or `undefined` for other topics. */
export function agentOfQueueTopic(topic: string): string | undefined {
  return topic.startsWith(QUEUE_TOPIC_PREFIX) && topic.length > QUEUE_TOPIC_PREFIX.length
    ? topic.slice(QUEUE_TOPIC_PREFIX.length)
    : undefined;
}

/**
 * Headers added to every dead letter. The original key, value and headers are kept as they were, so
 * the message can be inspected or re-published after a fix (the API's dead-letter replay reads them).
 */
export const DlqHeader = {
  ORIGIN_TOPIC: 'x-dlq-origin-topic',
  ORIGIN_PARTITION: 'x-dlq-origin-partition',
  ORIGIN_OFFSET: 'x-dlq-origin-offset',
  ORIGIN_TIMESTAMP: 'x-dlq-origin-timestamp',
  ERROR_CODE: 'x-dlq-error-code',
  ERROR_REASON: 'x-dlq-error-reason',
  SCHEMA_ID: 'x-dlq-schema-id',
  OBSERVED_AT: 'x-dlq-observed-at',
} as const;
