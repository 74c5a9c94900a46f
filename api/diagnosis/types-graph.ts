/**
 * Facts of the message graph (who delegates to whom, which answer belongs to which task) and of each
 * agent's recent behaviour against its own baseline. Like every fact, plain data: the detectors in
 * `detect-graph.ts` and `detect-regressions.ts` are pure functions of them.
 */

/** One TASK message of a delegation trace. */
export interface DelegationTask {
  message_id: string;
  source: string;
  target: string;
  sent_ms: number;
  /** The start of the payload (JSON text as sent); the goal is read from it. */
  payload: string;
  reason: string;
}

/** The TASK messages of one trace (or of one job when the producer sets no trace id), in the window. */
export interface DelegationTraceFact {
  trace_id: string;
  job_id: string;
  tasks: readonly DelegationTask[];
}

/** RESULT/ERROR messages sent by one agent whose task was not seen (after the grace period). */
export interface OrphanAnswerFact {
  /** The agent that sent the answers. */
  agent: string;
  /** The agents (queues) they were sent to. */
  targets: readonly string[];
  orphans: number;
  /** All answers the agent sent in the window, orphan or not. */
  answers: number;
  parent_ids: readonly string[];
  trace_ids: readonly string[];
  first_ms: number;
  last_ms: number;
}

/** Tasks one agent answered more than once, with distinct message ids, in the window. */
export interface DuplicateAnswerFact {
  agent: string;
  /** Tasks answered more than once. */
  tasks: number;
  /** Answers beyond the first of each such task. */
  extra_answers: number;
  /** The most answers one task got. */
  max_answers: number;
  /** Tasks the agent answered in the window. */
  answered: number;
  task_ids: readonly string[];
  trace_ids: readonly string[];
  requesters: readonly string[];
}

/** Tasks addressed to one agent that ran out of time in the window. */
export interface DeadlineFact {
  agent: string;
  /** Unanswered tasks whose TTL ran out (answered after it, or never). */
  expired: number;
  /** Tasks answered after their deadline. */
  late: number;
  /** Unanswered tasks past their deadline. */
  overdue: number;
  /** Tasks with a TTL or deadline that fell in the window. */
  with_limit: number;
  task_ids: readonly string[];
  trace_ids: readonly string[];
  requesters: readonly string[];
  /** The earliest expiry or deadline among them. */
  first_ms: number;
}

/**
 * One agent's answers in the recent interval `[recentFromMs, toMs)` and in the rest of the window
 * before it (its own baseline).
 */
export interface AgentTrendFact {
  agent: string;
  recent_completed: number;
  recent_failed: number;
  recent_p95_ms: number;
  /** Tasks addressed to the agent in the recent interval. */
  recent_received: number;
  baseline_completed: number;
  baseline_failed: number;
  baseline_p95_ms: number;
  baseline_received: number;
  /** The first answer of the baseline (0 if none): the baseline's rate is taken from there. */
  baseline_from_ms: number;
  trace_ids: readonly string[];
}

/** One agent × model's LLM usage recently and in the rest of the window. */
export interface LlmTrendFact {
  agent: string;
  model: string;
  recent_calls: number;
  recent_tokens: number;
  recent_cost_usd: number;
  baseline_calls: number;
  baseline_tokens: number;
  baseline_cost_usd: number;
  /** The first call of the baseline (0 if none). */
  baseline_from_ms: number;
  trace_ids: readonly string[];
}

/** The message-graph and self-relative facts of a diagnosis. */
export interface GraphFacts {
  /** Start of the recent interval compared with the agent's own baseline. */
  recentFromMs: number;
  delegations: readonly DelegationTraceFact[];
  orphanAnswers: readonly OrphanAnswerFact[];
  duplicateAnswers: readonly DuplicateAnswerFact[];
  deadlines: readonly DeadlineFact[];
  agentTrends: readonly AgentTrendFact[];
  llmTrends: readonly LlmTrendFact[];
}

export const emptyGraphFacts = (recentFromMs = 0): GraphFacts => ({
  recentFromMs,
  delegations: [],
  orphanAnswers: [],
  duplicateAnswers: [],
  deadlines: [],
  agentTrends: [],
  llmTrends: [],
});

/** Settings of the message-graph and regression detectors (defaults in `DEFAULT_GRAPH_THRESHOLDS`). */
export interface GraphThresholds {
  /** A delegation chain longer than this many hops within one trace is reported. */
  maxDelegationDepth: number;
  /** Seconds an answer may precede its task (different partitions, ingest lag) before it is an orphan. */
  orphanGraceS: number;
  orphanMinCount: number;
  /** Answers beyond the first, over all of an agent's tasks, before duplicates are reported. */
  duplicateMinExtra: number;
  /** Expired or late tasks of an agent before they are reported. */
  deadlineMinCount: number;
  /** Seconds of the recent interval compared with the rest of the window. */
  recentS: number;
  /** Recent p95 / baseline p95 from which latency has regressed. */
  latencyFactor: number;
  /** The p95 must also have grown by this many milliseconds. */
  latencyMinDeltaMs: number;
  /** Recent error rate / baseline error rate from which errors have regressed. */
  errorRateFactor: number;
  /** ...and by at least this many percentage points. */
  errorRateMinDelta: number;
  /** Baseline throughput / recent throughput from which throughput has dropped (work still arriving). */
  throughputFactor: number;
  /** Recent token or cost rate / baseline rate from which LLM spend has regressed. */
  costFactor: number;
  /** Answers (or LLM calls) needed in the recent interval, and in the baseline, to compare them. */
  minRecentSamples: number;
  minBaselineSamples: number;
}

export const DEFAULT_GRAPH_THRESHOLDS: GraphThresholds = {
  maxDelegationDepth: 8,
  orphanGraceS: 5,
  orphanMinCount: 3,
  duplicateMinExtra: 2,
  deadlineMinCount: 2,
  recentS: 15,
  latencyFactor: 3,
  latencyMinDeltaMs: 500,
  errorRateFactor: 2,
  errorRateMinDelta: 0.2,
  throughputFactor: 2,
  costFactor: 3,
  minRecentSamples: 5,
  minBaselineSamples: 10,
};
