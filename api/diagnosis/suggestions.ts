import type { ErrorCategory } from '../../schemas/records.js';
import { GRAPH_SUGGESTIONS } from './suggestions-graph.js';
import type { IssueKind, DetectedIssue } from './types.js';

/**
 * Suggested actions, looked up by what was found: the issue kind for diagnosis, the stored error
 * category (the same closed list as DetailedError.category) for grouped errors. `{agent}` is
 * replaced by the first affected component.
 */
export interface Suggestion {
  action: string;
  rationale: string;
}

const ISSUE_SUGGESTIONS: Readonly<Record<IssueKind, readonly Suggestion[]>> = {
  dead_agent: [
    {
      action:
        'Restart {agent} and check why it stopped (its logs, OOM kills, crash loops: kubectl describe pod / logs --previous)',
      rationale: 'No heartbeat arrived within the timeout while work is waiting for it.',
    },
    {
      action: 'Check that {agent} reaches Kafka (bootstrap servers, credentials, network policy)',
      rationale: 'An agent that cannot reach the broker stops heartbeating as well.',
    },
  ],
  silent_agent: [
    {
      action:
        'Start {agent}, or check that it consumes agent-queue-{agent} with consumer group agent-{agent}',
      rationale: 'Tasks are addressed to it but it never answered or sent a heartbeat.',
    },
  ],
  consumer_group_empty: [
    {
      action: 'Start a consumer for {agent} (scale its Deployment up) so that its group gets members again',
      rationale: 'Messages wait on the queue and no member of the group is assigned its partitions.',
    },
    {
      action: 'Check the agent logs for rebalance or session-timeout errors (max.poll.interval.ms exceeded)',
      rationale: 'A consumer that blocks too long in its handler is removed from its group.',
    },
  ],
  consumer_lag: [
    {
      action: 'Scale {agent} out (more replicas, up to the partition count) or raise its concurrency',
      rationale: 'It consumes slower than messages arrive.',
    },
    {
      action: 'Look for slow or blocked handlers in {agent} (LLM latency, tool calls without timeouts)',
      rationale: 'Lag that grows while offsets still move usually means slow processing.',
    },
  ],
  llm_rate_limit: [
    {
      action:
        'Throttle calls to this model: a client-side token bucket below the provider TPM/RPM, with backoff honouring Retry-After',
      rationale: 'The provider refuses calls above its limits; retrying at once makes it worse.',
    },
    {
      action:
        'Ask the provider for a higher quota, spread load over another model or deployment, or cache repeated prompts',
      rationale: 'Observed usage reaches the configured limit.',
    },
  ],
  timeouts: [
    {
      action:
        'Check the latency of what {agent} waits on (LLM provider, tools, downstream agents) and raise timeouts only where the work is legitimately long',
      rationale: 'Calls and tasks run past their deadlines.',
    },
    {
      action:
        'Give tasks a TTL and deadline that match the work, and make {agent} cancel work whose deadline passed',
      rationale: 'Expired tasks waste capacity and hide the original failure.',
    },
  ],
  queue_wait: [
    {
      action:
        'Add consumers for {agent}: more replicas (up to the partition count of agent-queue-{agent}, add partitions beyond it) or a higher concurrency per replica',
      rationale:
        'Its tasks spend far longer waiting to be started than being worked on: capacity, not speed, is short.',
    },
    {
      action:
        'Check whether the requesters send {agent} bursts it cannot absorb; spread them or raise the priority of urgent tasks',
      rationale: 'Queue time grows with bursts even when the average load fits.',
    },
  ],
  llm_bound: [
    {
      action:
        'Make the model part of {agent} faster: a smaller or faster model for this step, shorter prompts and outputs, fewer calls per task, or caching of repeated prompts',
      rationale:
        'Most of its working time is spent waiting on LLM calls; the code around them is a small part.',
    },
  ],
  slow_agent: [
    {
      action: 'Profile {agent}: compare its LLM call latency and token counts with the other agents',
      rationale: 'Its task latency is far above its peers or its own baseline.',
    },
    {
      action:
        'Raise {agent} concurrency or replicas if it is CPU- or queue-bound; use a faster model for simple steps',
      rationale: 'Slow agents hold up every trace that passes through them.',
    },
  ],
  retry_storm: [
    {
      action: 'Cap retries in {agent} (max_retries) and back off exponentially with jitter',
      rationale: 'The same work is attempted again and again without succeeding.',
    },
    {
      action:
        'Stop retrying errors that are not retryable (validation, config, poison input): send them to a dead-letter queue',
      rationale: 'Retries only help with transient failures.',
    },
  ],
  cascading_failure: [
    {
      action: 'Fix the first failing agent, {agent}, first: the errors downstream follow from it',
      rationale: 'Within each trace, its error precedes the others.',
    },
    {
      action:
        'Make downstream agents handle an upstream ERROR explicitly (fail fast with a clear reason, or degrade) instead of failing on missing input',
      rationale: 'A circuit breaker between agents stops one failure from spreading.',
    },
  ],
  stuck_tasks: [
    {
      action:
        'Inspect the oldest pending tasks of {agent} (GET /api/v1/queues/{agent}/pending) and their traces',
      rationale: 'No RESULT, ERROR or CANCEL answered them within the threshold for their priority.',
    },
    {
      action:
        'Make {agent} always answer a task with a RESULT or ERROR (also on exceptions), and give tasks a TTL',
      rationale: 'A task without an answer blocks its requester forever.',
    },
  ],
  dlq_growth: [
    {
      action:
        'Inspect the dead letters of this topic (x-dlq-error-code, x-dlq-origin-* headers) and fix the producer that writes them',
      rationale: 'Messages that are not valid Avro in the Confluent wire format are not seen by any agent.',
    },
    {
      action:
        'Check that producers use the registry subject dev.agenttelemetry.AgentMessage with a compatible schema',
      rationale: 'Unknown schema ids and wrong record types are the usual causes.',
    },
  ],
  critical_errors: [
    {
      action:
        'Read the critical errors of {agent} (GET /api/v1/errors?severity=critical&agent_name={agent}) and their stack traces',
      rationale: 'Critical errors stop work in progress.',
    },
  ],
  error_spike: [
    {
      action: 'Open the top error group of {agent} (GET /api/v1/claude/errors) and the traces listed here',
      rationale: 'Errors rose well above the baseline; the dominant category says where to look.',
    },
    {
      action: 'Correlate the spike start with deploys or configuration changes of {agent}',
      rationale: 'Sudden spikes usually follow a change.',
    },
  ],
  new_error_group: [
    {
      action:
        'Look at the first occurrence of this error (its trace and input) and at what changed just before',
      rationale: 'An error that never occurred before points to a new code path or a new input.',
    },
  ],
  ...GRAPH_SUGGESTIONS,
};

const CATEGORY_SUGGESTIONS: Readonly<Record<ErrorCategory, readonly Suggestion[]>> = {
  llm_error: [
    {
      action:
        'Check the provider status, the API key and the model name; retry transient failures with backoff',
      rationale: 'The LLM call itself failed.',
    },
    {
      action: 'Respect the provider rate limits (TPM/RPM) with a client-side limiter honouring Retry-After',
      rationale: 'Rate limits are the most common LLM failure under load.',
    },
  ],
  agent_error: [
    {
      action: 'Read the stack trace and the input of the failing operation; add a test with that input',
      rationale: 'The agent code raised an unhandled error.',
    },
  ],
  tool_error: [
    {
      action:
        'Check the tool parameters in the error and the tool service health; validate parameters before calling',
      rationale: 'A tool call failed.',
    },
  ],
  handoff_error: [
    {
      action: 'Check that the target agent exists, is running and consumes its queue (agent-queue-<agent>)',
      rationale: 'A message could not be handed to the next agent.',
    },
    {
      action: 'Check message size and schema compatibility of the handoff payload',
      rationale: 'Oversized or incompatible messages fail to produce.',
    },
  ],
  validation_error: [
    {
      action:
        'Compare the input with the expected schema; fix the producer or the prompt that yields malformed output',
      rationale: 'Input or model output did not validate; retrying will not fix it.',
    },
  ],
  timeout_error: [
    {
      action:
        'Find what is slow (LLM, tool, downstream agent) before raising the timeout; add deadlines and cancellation',
      rationale: 'The operation exceeded its time budget.',
    },
  ],
  resource_error: [
    {
      action: 'Check memory and CPU limits, connection pools and quotas of the agent; scale or raise limits',
      rationale: 'The agent ran out of a resource.',
    },
  ],
  network_error: [
    {
      action: 'Check DNS, connectivity and TLS to the remote endpoint; retry with backoff',
      rationale: 'The connection failed or was reset.',
    },
  ],
  config_error: [
    {
      action:
        'Check the agent environment and configuration (keys, endpoints, model names) against the documentation',
      rationale: 'Configuration errors do not go away on retry.',
    },
  ],
  unknown: [
    {
      action:
        'Read the stack trace and the error message, and classify the error in the agent so it gets a category',
      rationale: 'The error has no category.',
    },
  ],
};

/** HTTP statuses that change the advice whatever the category says. */
const STATUS_SUGGESTIONS: Readonly<Record<number, Suggestion>> = {
  401: {
    action: 'Check the credentials (API key, token) of the failing call',
    rationale: 'The remote service refused the credentials (HTTP 401).',
  },
  403: {
    action: 'Check the permissions of the credentials used',
    rationale: 'The remote service refused access (HTTP 403).',
  },
  429: {
    action: 'Slow down: honour Retry-After and keep a client-side limit below the provider quota',
    rationale: 'The remote service is rate limiting (HTTP 429).',
  },
};

const fill = (text: string, agent: string): string => text.replaceAll('{agent}', agent);

/** What to do about an issue of `kind` about `agent`. */
export function suggestionsForKind(kind: IssueKind, agent = 'the agent'): Suggestion[] {
  return ISSUE_SUGGESTIONS[kind].map((s) => ({ action: fill(s.action, agent), rationale: s.rationale }));
}

export function suggestionsForIssue(issue: DetectedIssue): Suggestion[] {
  return suggestionsForKind(issue.kind, issue.affected_components[0]);
}

/** Suggestions for a group of errors: by HTTP status first when it is decisive, then by category. */
export function suggestionsForErrors(category: string, httpStatus = 0): Suggestion[] {
  const byCategory =
    (CATEGORY_SUGGESTIONS as Readonly<Record<string, readonly Suggestion[]>>)[category] ??
    CATEGORY_SUGGESTIONS.unknown;
  const byStatus = STATUS_SUGGESTIONS[httpStatus];
  return byStatus === undefined ? [...byCategory] : [byStatus, ...byCategory];
}
