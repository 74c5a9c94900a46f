/**
 * The facts the detectors read and the issues they produce. Facts are plain data fetched by
 * `facts-*.ts` from ClickHouse and Kafka; detectors are pure functions of facts, thresholds and the
 * window, so each can be tested with fixture facts and no services.
 */

import { ALERT_SEVERITIES } from '../../lib/config.js';
import type { DiagnosisConfig } from '../../lib/config/diagnosis.js';
import type { AgentTime } from '../timing/breakdown.js';
import type { GraphFacts } from './types-graph.js';

/** The diagnosis window `[fromMs, toMs)` and the baseline that precedes it `[baselineFromMs, fromMs)`. */
export interface DiagnosisWindow {
  fromMs: number;
  toMs: number;
  minutes: number;
  baselineFromMs: number;
}

export function windowOf(nowMs: number, minutes: number, baselineWindows: number): DiagnosisWindow {
  const fromMs = nowMs - minutes * 60_000;
  return { fromMs, toMs: nowMs, minutes, baselineFromMs: fromMs - baselineWindows * minutes * 60_000 };
}

export const baselineMinutes = (w: DiagnosisWindow): number => (w.fromMs - w.baselineFromMs) / 60_000;

/** Errors of one agent in the window and in the baseline. */
export interface AgentErrorFact {
  agent: string;
  window_errors: number;
  baseline_errors: number;
  /** Window errors per category. */
  by_category: Readonly<Record<string, number>>;
  trace_ids: readonly string[];
  first_ms: number;
  last_ms: number;
}

/** An error group (fingerprint) with errors in the window. */
export interface ErrorGroupFact {
  fingerprint: string;
  error_type: string;
  category: string;
  /** The worst severity ever seen in the group. */
  top_severity: string;
  agents: readonly string[];
  window_count: number;
  total_count: number;
  first_seen_ms: number;
  last_seen_ms: number;
  sample_error_id: string;
  sample_message: string;
  sample_trace_id: string;
}

/** Critical errors of one agent in the window. */
export interface CriticalErrorFact {
  agent: string;
  count: number;
  error_types: readonly string[];
  error_ids: readonly string[];
  trace_ids: readonly string[];
  first_ms: number;
  last_ms: number;
  sample_message: string;
}

/** A trace whose errors in the window span several agents, in order of their first error. */
export interface TraceErrorFact {
  trace_id: string;
  agents: readonly string[];
  errors: number;
  first_ms: number;
  last_ms: number;
}

/**
 * Repeated work of one agent: errors of one task, retried errors of one fingerprint, or a task
 * re-sent (attempt > 1) within one trace.
 */
export interface RetryFact {
  agent: string;
  key_kind: 'task' | 'fingerprint' | 'trace';
  key: string;
  /** For re-sent tasks: the agent that re-sent them ('' otherwise). */
  requester: string;
  attempts: number;
  max_retry_count: number;
  trace_ids: readonly string[];
  first_ms: number;
  last_ms: number;
}

/** Pending tasks of one agent and priority older than that priority's threshold. */
export interface StuckTaskFact {
  agent: string;
  priority: string;
  count: number;
  threshold_s: number;
  oldest_submitted_ms: number;
  /** Of `count`, tasks whose requester already reported a timeout waiting for them. */
  abandoned: number;
  task_ids: readonly string[];
  trace_ids: readonly string[];
}

/** What is known of an agent's liveness and traffic. */
export interface AgentActivityFact {
  agent: string;
  /** 0 when the agent never sent a heartbeat. */
  last_heartbeat_ms: number;
  last_state: string;
  /** Messages the agent sent in the window (any type). */
  sent_window: number;
  /** Tasks addressed to the agent in the window. */
  tasks_received_window: number;
  /** Tasks addressed to the agent that are pending now. */
  pending_tasks: number;
  /** Latest message the agent sent, 0 if none is known. */
  last_sent_ms: number;
  /** TASK messages the agent sent in the window (it delegates). */
  tasks_sent_window?: number;
  /** When its oldest pending task was submitted (0 or absent: none pending). */
  oldest_pending_ms?: number;
  /** The agent's usual gap between heartbeats (0 or absent: unknown, fewer than 2 beats). */
  heartbeat_interval_ms?: number;
  /** The longest gap between two of its heartbeats in the window (0 or absent: unknown). */
  heartbeat_longest_gap_ms?: number;
  /**
   * A time by which everything the agent sent to its own queue (its HEARTBEATs) was stored: the
   * processors had committed the whole queue when asked (0 or absent: not known, or they had not).
   */
  queue_stored_through_ms?: number;
}

/** The agent's consumer group as the Kafka admin API sees it now. */
export interface ConsumerGroupFact {
  agent: string;
  group_id: string;
  topic: string;
  /** The group's state (`stable`, `empty`, `dead`…); `unknown` when Kafka has no such group. */
  state: string;
  members: number;
  lag: number;
  /** Whether the group ever committed an offset on the topic (unknown counts as yes). */
  ever_committed?: boolean;
}

export interface LagPoint {
  at_ms: number;
  end_offset: number;
  committed_offset: number;
  lag: number;
}

/** Lag samples of one group × topic × partition in the window, oldest first. */
export interface LagSeriesFact {
  group_id: string;
  topic: string;
  partition: number;
  points: readonly LagPoint[];
}

/** Task latency of one agent: window and baseline percentiles over completed or failed tasks. */
export interface AgentLatencyFact {
  agent: string;
  completed: number;
  failed: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  baseline_tasks: number;
  baseline_p95_ms: number;
}

/**
 * Timeouts the agent itself ran into in the window (waiting on its model, tools or deadlines). A
 * requester's timeout waiting for another agent's task counts against that task (see
 * `StuckTaskFact.abandoned`), not here.
 */
export interface TimeoutFact {
  agent: string;
  /** DetailedErrors with category `timeout_error` that are not about a task the agent sent. */
  timeout_errors: number;
  /** LLM calls with status `timeout`. */
  llm_timeouts: number;
  /** Tasks addressed to the agent whose TTL ran out in the window. */
  expired_tasks: number;
  trace_ids: readonly string[];
  error_ids: readonly string[];
}

/** Observed LLM usage of one provider × model in the window. */
export interface LlmUsageFact {
  provider: string;
  model: string;
  calls: number;
  tokens: number;
  /** The busiest minute of the window. */
  peak_tpm: number;
  peak_rpm: number;
  /** Calls answered `rate_limited`, plus errors classified as rate limits (HTTP 429, rate-limit types). */
  rate_limited: number;
  /** Agents that were rate limited on this model (or, when none was, that used it). */
  agents: readonly string[];
  trace_ids: readonly string[];
  last_rate_limited_ms: number;
}

/** Dead letters of one origin topic and error code. */
export interface DeadLetterFact {
  topic: string;
  error_code: string;
  window_count: number;
  baseline_count: number;
  last_ms: number;
  sample_offsets: readonly string[];
}

/** Everything the detectors look at. */
export interface DiagnosisFacts {
  window: DiagnosisWindow;
  agentErrors: readonly AgentErrorFact[];
  errorGroups: readonly ErrorGroupFact[];
  criticalErrors: readonly CriticalErrorFact[];
  traceErrors: readonly TraceErrorFact[];
  retries: readonly RetryFact[];
  stuckTasks: readonly StuckTaskFact[];
  activity: readonly AgentActivityFact[];
  groups: readonly ConsumerGroupFact[];
  lag: readonly LagSeriesFact[];
  latency: readonly AgentLatencyFact[];
  timeouts: readonly TimeoutFact[];
  llm: readonly LlmUsageFact[];
  deadLetters: readonly DeadLetterFact[];
  /** The message graph and each agent's recent behaviour against its own baseline. */
  graph: GraphFacts;
  /** Where each worker agent's task time went in the window (queued, working, LLM, other). */
  timing: readonly AgentTime[];
}

export const IssueKind = {
  DEAD_AGENT: 'dead_agent',
  SILENT_AGENT: 'silent_agent',
  CONSUMER_GROUP_EMPTY: 'consumer_group_empty',
  CONSUMER_LAG: 'consumer_lag',
  LLM_RATE_LIMIT: 'llm_rate_limit',
  TIMEOUTS: 'timeouts',
  SLOW_AGENT: 'slow_agent',
  RETRY_STORM: 'retry_storm',
  CASCADE: 'cascading_failure',
  STUCK_TASKS: 'stuck_tasks',
  DLQ_GROWTH: 'dlq_growth',
  CRITICAL_ERRORS: 'critical_errors',
  ERROR_SPIKE: 'error_spike',
  NEW_ERROR_GROUP: 'new_error_group',
  NO_CONSUMER: 'no_consumer',
  DELEGATION_LOOP: 'delegation_loop',
  DELEGATION_TOO_DEEP: 'delegation_too_deep',
  ORPHAN_ANSWERS: 'orphan_answers',
  DUPLICATE_ANSWERS: 'duplicate_answers',
  EXPIRED_TASKS: 'expired_tasks',
  MISSED_DEADLINES: 'missed_deadlines',
  LATENCY_REGRESSION: 'latency_regression',
  ERROR_RATE_REGRESSION: 'error_rate_regression',
  THROUGHPUT_DROP: 'throughput_drop',
  LLM_COST_REGRESSION: 'llm_cost_regression',
  QUEUE_WAIT: 'queue_wait',
  LLM_BOUND: 'llm_bound',
} as const;
export type IssueKind = (typeof IssueKind)[keyof typeof IssueKind];

/** The contract's issue categories. */
export const IssueCategory = [
  'error',
  'performance',
  'rate_limit',
  'resource',
  'configuration',
  'connectivity',
  'timeout',
  'cost',
] as const;
export type IssueCategory = (typeof IssueCategory)[number];

/** Highest first; the configuration's list (`ALERT_MIN_SEVERITY` names one), as lib/ may not import api/. */
export const IssueSeverity = ALERT_SEVERITIES;
export type IssueSeverity = (typeof IssueSeverity)[number];

export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];

/** An issue as a detector finds it, before ranking and suggestions. */
export interface DetectedIssue {
  /** Stable for the same cause: `<kind>:<subject>`. */
  id: string;
  kind: IssueKind;
  category: IssueCategory;
  severity: IssueSeverity;
  title: string;
  description: string;
  /** The agent the issue is about comes first. */
  affected_components: readonly string[];
  related_trace_ids: readonly string[];
  /** Counts, ids and times that show the issue (times as epoch ms in `*_ms` keys). */
  evidence: Readonly<Record<string, EvidenceValue>>;
  /** Size of the problem (errors, tasks, calls…), breaking ties within a severity. */
  magnitude: number;
}

/**
 * Detector settings: the diagnosis slice of the configuration (`DIAGNOSIS_*`, `LLM_LIMIT_WARN_RATIO`;
 * meanings and defaults in lib/config/diagnosis.ts) without the baseline length, which sizes the
 * window instead.
 */
export type DetectorThresholds = Omit<DiagnosisConfig['diagnosis'], 'baselineWindows'>;

/** Per-priority seconds after which a pending task counts as stuck (`DIAGNOSIS_STUCK_AFTER_S`). */
export type StuckThresholds = DetectorThresholds['stuckAfterS'];

/** Configured limits of one model (`LLM_LIMITS`); provider `''` matches any provider. */
export type LlmLimit = DiagnosisConfig['llmLimits'][number];

export function limitFor(limits: readonly LlmLimit[], provider: string, model: string): LlmLimit | undefined {
  return (
    limits.find((l) => l.model === model && l.provider === provider) ??
    limits.find((l) => l.model === model && l.provider === '')
  );
}
