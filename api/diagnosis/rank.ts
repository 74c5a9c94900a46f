import { detectDeadAgents, detectEmptyGroups, detectLag } from './detect-agents.js';
import {
  detectCascades,
  detectCriticalErrors,
  detectErrorSpikes,
  detectNewErrorGroups,
  detectRetryStorms,
} from './detect-errors.js';
import {
  detectAgingTasks,
  detectDlqGrowth,
  detectLlmRateLimits,
  detectSlowAgents,
  detectStuckTasks,
  detectTimeouts,
} from './detect-performance.js';
import {
  detectDeadlines,
  detectDelegationLoops,
  detectDuplicateAnswers,
  detectOrphanAnswers,
} from './detect-graph.js';
import { detectAgentRegressions, detectLlmCostRegressions } from './detect-regressions.js';
import { detectLlmBound, detectQueueWait } from './detect-timing.js';
import {
  IssueKind,
  type DetectedIssue,
  type DetectorThresholds,
  type DiagnosisFacts,
  type IssueSeverity,
  type LlmLimit,
} from './types.js';
import { DEFAULT_GRAPH_THRESHOLDS, type GraphThresholds } from './types-graph.js';

/** `first`, then the issues of `second` whose id none of `first` has. */
function withoutSameId(first: readonly DetectedIssue[], second: readonly DetectedIssue[]): DetectedIssue[] {
  const ids = new Set(first.map((i) => i.id));
  return [...first, ...second.filter((i) => !ids.has(i.id))];
}

/** Runs every detector over the facts. */
export function detectAll(
  facts: DiagnosisFacts,
  thresholds: DetectorThresholds,
  limits: readonly LlmLimit[],
  graph: GraphThresholds = DEFAULT_GRAPH_THRESHOLDS,
): DetectedIssue[] {
  const { window } = facts;
  const recentFrom = facts.graph.recentFromMs;
  return [
    ...detectDeadAgents(facts.activity, facts.window, thresholds),
    ...detectEmptyGroups(facts.groups, facts.activity),
    ...detectLag(facts.lag),
    ...detectLlmRateLimits(facts.llm, limits, thresholds),
    ...detectTimeouts(facts.timeouts, facts.latency, thresholds),
    ...withoutSameId(
      detectSlowAgents(facts.latency, thresholds),
      detectAgingTasks(facts.activity, facts.latency, facts.stuckTasks, window, thresholds),
    ),
    ...detectRetryStorms(facts.retries, thresholds),
    ...detectCascades(facts.traceErrors, thresholds),
    ...detectStuckTasks(facts.stuckTasks, facts.window),
    ...detectDlqGrowth(facts.deadLetters, facts.window),
    ...detectCriticalErrors(facts.criticalErrors),
    ...detectErrorSpikes(facts.agentErrors, facts.window, thresholds),
    ...detectNewErrorGroups(facts.errorGroups, facts.window),
    ...detectDelegationLoops(facts.graph.delegations, graph),
    ...detectOrphanAnswers(facts.graph.orphanAnswers, graph),
    ...detectDuplicateAnswers(facts.graph.duplicateAnswers, graph),
    ...detectDeadlines(facts.graph.deadlines, window, graph),
    ...detectAgentRegressions(facts.graph.agentTrends, window, recentFrom, graph),
    ...detectLlmCostRegressions(facts.graph.llmTrends, window, recentFrom, graph),
    ...detectQueueWait(facts.timing),
    ...detectLlmBound(facts.timing),
  ];
}

const SEVERITY_WEIGHT: Readonly<Record<IssueSeverity, number>> = {
  critical: 10_000,
  high: 7_000,
  medium: 4_000,
  low: 1_500,
  info: 500,
};

/**
 * How directly a kind names a cause rather than a symptom; ties within a severity go to the more
 * specific kind. A dead agent explains its stuck tasks, lag and errors; a rate limit explains
 * retries and timeouts downstream; an error spike explains nothing by itself.
 */
const SPECIFICITY: Readonly<Record<IssueKind, number>> = {
  delegation_loop: 2_100,
  dead_agent: 2_000,
  orphan_answers: 1_950,
  consumer_group_empty: 1_900,
  duplicate_answers: 1_850,
  silent_agent: 1_800,
  llm_rate_limit: 1_700,
  delegation_too_deep: 1_650,
  timeouts: 1_600,
  latency_regression: 1_550,
  slow_agent: 1_500,
  queue_wait: 1_520,
  llm_bound: 300,
  error_rate_regression: 1_450,
  retry_storm: 1_400,
  llm_cost_regression: 1_350,
  cascading_failure: 1_300,
  expired_tasks: 1_250,
  missed_deadlines: 1_240,
  stuck_tasks: 1_200,
  throughput_drop: 1_150,
  consumer_lag: 1_100,
  dlq_growth: 1_000,
  critical_errors: 800,
  error_spike: 600,
  no_consumer: 700,
  new_error_group: 400,
};

/** Kinds that name a cause; the symptom kinds of the same agent rank right after them. */
export const CAUSES: ReadonlySet<IssueKind> = new Set([
  IssueKind.DEAD_AGENT,
  IssueKind.CONSUMER_GROUP_EMPTY,
  IssueKind.SILENT_AGENT,
  IssueKind.LLM_RATE_LIMIT,
  IssueKind.TIMEOUTS,
  IssueKind.SLOW_AGENT,
  IssueKind.QUEUE_WAIT,
  IssueKind.RETRY_STORM,
  IssueKind.DLQ_GROWTH,
  IssueKind.DELEGATION_LOOP,
  IssueKind.DELEGATION_TOO_DEEP,
  IssueKind.ORPHAN_ANSWERS,
  IssueKind.DUPLICATE_ANSWERS,
  IssueKind.LATENCY_REGRESSION,
  IssueKind.ERROR_RATE_REGRESSION,
  IssueKind.LLM_COST_REGRESSION,
  IssueKind.NO_CONSUMER,
]);

export interface RankedIssue extends DetectedIssue {
  /** The ranking score (higher first). */
  score: number;
  /** The id of the issue that explains this one (same agent, a cause kind), if any. */
  explained_by: string | null;
}

const baseScore = (issue: DetectedIssue): number =>
  SEVERITY_WEIGHT[issue.severity] +
  SPECIFICITY[issue.kind] +
  Math.min(99, Math.round(10 * Math.log10(1 + issue.magnitude)));

/**
 * Orders issues, top issue first: by severity, then specificity, then magnitude. A symptom whose
 * first affected agent also has a cause issue, or a less specific cause of that agent, is placed
 * right after that cause (whatever its own severity), so that the list reads cause → consequences.
 */
export function rankIssues(issues: readonly DetectedIssue[]): RankedIssue[] {
  const scored = issues.map((issue) => ({ issue, score: baseScore(issue) }));
  const causeOf = new Map<string, { id: string; kind: IssueKind; score: number }>();
  for (const { issue, score } of scored) {
    if (!CAUSES.has(issue.kind)) continue;
    for (const agent of issue.affected_components) {
      const current = causeOf.get(agent);
      if (current === undefined || current.score < score)
        causeOf.set(agent, { id: issue.id, kind: issue.kind, score });
    }
  }
  const ranked = scored.map(({ issue, score }): RankedIssue => {
    const agent = issue.affected_components[0];
    const candidate = agent === undefined ? undefined : causeOf.get(agent);
    // a symptom follows the agent's cause; a weaker cause of the same agent (an empty consumer group
    // of a dead agent, the retry storm of a rate-limited one) follows the stronger one
    const follows =
      candidate !== undefined &&
      candidate.id !== issue.id &&
      (!CAUSES.has(issue.kind) || SPECIFICITY[candidate.kind] > SPECIFICITY[issue.kind]);
    const cause = follows ? candidate : undefined;
    // a fraction below the cause keeps the consequences in their own order behind it
    const effective = cause === undefined ? score : cause.score - 1 + score / 1_000_000;
    return { ...issue, score: effective, explained_by: cause?.id ?? null };
  });
  return ranked.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

export const SystemStatus = { CRITICAL: 'critical', DEGRADED: 'degraded', HEALTHY: 'healthy' } as const;
export type SystemStatus = (typeof SystemStatus)[keyof typeof SystemStatus];

const PENALTY: Readonly<Record<IssueSeverity, number>> = {
  critical: 30,
  high: 15,
  medium: 6,
  low: 1,
  info: 0,
};

/** Share of an agent's traffic counted as lost by the worst issue about it. */
const IMPACT: Readonly<Record<IssueSeverity, number>> = {
  critical: 1,
  high: 0.6,
  medium: 0.3,
  low: 0.1,
  info: 0,
};

/**
 * How much of the traffic is healthy, 0-100. Each agent weighs by its traffic in the window
 * (`traffic`: messages sent plus tasks received) and loses the impact of the worst issue about it
 * (the first affected agent); the score is also capped by the worst issue anywhere (a critical
 * issue caps it at 70, high at 85, medium at 94), so a fault on a quiet agent still shows while a
 * handful of small queues never drags the score to 0. Without traffic, only the cap applies.
 */
export function healthScore(
  issues: readonly DetectedIssue[],
  traffic: ReadonlyMap<string, number> = new Map(),
): number {
  const cap = 100 - Math.max(0, ...issues.map((i) => PENALTY[i.severity]));
  const total = [...traffic.values()].reduce((sum, n) => sum + n, 0);
  if (total <= 0) return cap;
  const worst = new Map<string, number>();
  for (const issue of issues) {
    const agent = issue.affected_components[0];
    if (agent === undefined) continue;
    worst.set(agent, Math.max(worst.get(agent) ?? 0, IMPACT[issue.severity]));
  }
  let lost = 0;
  for (const [agent, impact] of worst) lost += ((traffic.get(agent) ?? 0) / total) * impact;
  return Math.max(0, Math.min(cap, Math.round(100 * (1 - lost))));
}

/** `critical` with any critical issue, `degraded` with any high or medium issue, else `healthy`. */
export function systemStatus(issues: readonly DetectedIssue[]): SystemStatus {
  if (issues.some((i) => i.severity === 'critical')) return SystemStatus.CRITICAL;
  if (issues.some((i) => i.severity === 'high' || i.severity === 'medium')) return SystemStatus.DEGRADED;
  return SystemStatus.HEALTHY;
}
