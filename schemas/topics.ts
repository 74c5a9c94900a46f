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
