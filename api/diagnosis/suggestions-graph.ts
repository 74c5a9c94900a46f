import type { IssueKind } from './types.js';

/** What to do about the message-graph and self-relative issues; `{agent}` is the first affected agent. */
type GraphKind =
  | 'no_consumer'
  | 'delegation_loop'
  | 'delegation_too_deep'
  | 'orphan_answers'
  | 'duplicate_answers'
  | 'expired_tasks'
  | 'missed_deadlines'
  | 'latency_regression'
  | 'error_rate_regression'
  | 'throughput_drop'
  | 'llm_cost_regression';

export const GRAPH_SUGGESTIONS: Readonly<
  Record<GraphKind & IssueKind, readonly { action: string; rationale: string }[]>
> = {
  no_consumer: [
    {
      action:
        'Deploy {agent} (consumer group agent-{agent} on agent-queue-{agent}), or fix the sender if the name is wrong',
      rationale:
        'Messages go to a queue nothing has ever read: the agent is not deployed or has another name.',
    },
  ],
  delegation_loop: [
    {
      action:
        'Give the agents on the cycle a rule to do the work themselves, or to delegate a goal only to an agent that has not handled it in this trace (pass the visited agents along)',
      rationale: 'The same goal goes round the cycle: no agent on it takes responsibility for it.',
    },
    {
      action:
        'Cap delegation: a hop counter or a depth limit in the task, rejected with an ERROR when passed',
      rationale: 'A bound turns an endless loop into one failed task that is easy to find.',
    },
  ],
  delegation_too_deep: [
    {
      action: 'Check why each hop hands the work on; cap the delegation depth in the tasks',
      rationale: 'Long chains multiply latency, cost and the ways a trace can fail.',
    },
  ],
  orphan_answers: [
    {
      action:
        'Check where {agent} sends its answers: the reply queue (target_agent) and parent_message_id must name the task it handled',
      rationale:
        'Answers that name no task seen are misrouted, replayed or answer a task sent outside the telemetry.',
    },
    {
      action: 'Check that the requesters write their tasks to agent-queue-<agent> topics the processors read',
      rationale: 'A task written to another topic makes its answers look orphaned.',
    },
  ],
  duplicate_answers: [
    {
      action:
        'Make {agent} answer each task once: remember answered task ids (idempotency key = the task message_id) before sending',
      rationale: 'The same task gets several answers with distinct ids; requesters may act on each.',
    },
    {
      action:
        'Check for handlers re-run after a rebalance or redelivery, and for answers sent both on success and on a timeout/finally path',
      rationale: 'At-least-once delivery redelivers tasks; the handler must tolerate it.',
    },
  ],
  expired_tasks: [
    {
      action:
        'Find why {agent} does not answer within the TTL (its backlog, its latency, whether it runs at all)',
      rationale: 'Expired tasks are answered too late or never; their requesters wait in vain.',
    },
    {
      action: 'Raise the TTL only if the work really needs longer; otherwise scale {agent} out',
      rationale: 'A TTL shorter than the normal handling time makes every task expire.',
    },
  ],
  missed_deadlines: [
    {
      action:
        'Make {agent} check a task deadline before starting and answer ERROR at once when it cannot meet it',
      rationale: 'Work finished after the deadline is wasted; the requester has already given up.',
    },
    {
      action: "Look at {agent}'s latency and backlog: deadlines are missed when it falls behind",
      rationale: 'Late answers usually follow a slower handler or a growing queue.',
    },
  ],
  latency_regression: [
    {
      action:
        "Compare {agent}'s recent traces with older ones: which model call, tool or downstream agent got slower, and what was deployed just before",
      rationale: 'The agent is much slower than its own recent past, whatever the other agents do.',
    },
  ],
  error_rate_regression: [
    {
      action:
        "Read {agent}'s latest ERROR answers and error groups; roll back what changed just before the rise",
      rationale: 'The share of failed tasks jumped against the agent’s own baseline.',
    },
  ],
  throughput_drop: [
    {
      action:
        "Check {agent}'s consumers (members of agent-{agent}, concurrency, blocked handlers) and its dependencies",
      rationale: 'Tasks keep arriving while the agent answers far fewer than it used to.',
    },
  ],
  llm_cost_regression: [
    {
      action:
        "Look at {agent}'s recent prompts: prompt size, context growth, retries or loops that multiply calls; cap tokens per task",
      rationale: 'Token or cost rate per minute rose well above the agent’s own baseline for this model.',
    },
    {
      action: 'Set a budget alert per agent and model (tokens or USD per minute)',
      rationale: 'Cost regressions are cheapest to catch as they start.',
    },
  ],
};
