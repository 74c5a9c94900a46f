import { detectDeadAgents, detectEmptyGroups, detectLag } from './detect-agents.js';
import {
  detectCascades,
  detectCriticalErrors,
  detectErrorSpikes,
  detectNewErrorGroups,
  detectRetryStorms,
} from './detect-errors.js';
import {
  detectDlqGrowth,
  detectLlmRateLimits,
  detectSlowAgents,
  detectStuckTasks,
  detectTimeouts,
} from './detect-performance.js';
import {
  IssueKind,
  type DetectedIssue,
  type DetectorThresholds,
  type DiagnosisFacts,
  type IssueSeverity,
  type LlmLimit,
} from './types.js';

/** Runs every detector over the facts. */
export function detectAll(
  facts: DiagnosisFacts,
  thresholds: DetectorThresholds,
  limits: readonly LlmLimit[],
): DetectedIssue[] {
  return [
    ...detectDeadAgents(facts.activity, facts.window, thresholds),
    ...detectEmptyGroups(facts.groups),
    ...detectLag(facts.lag),
    ...detectLlmRateLimits(facts.llm, limits, thresholds),
    ...detectTimeouts(facts.timeouts, facts.latency, thresholds),
    ...detectSlowAgents(facts.latency, thresholds),
    ...detectRetryStorms(facts.retries, thresholds),
    ...detectCascades(facts.traceErrors, thresholds),
    ...detectStuckTasks(facts.stuckTasks, facts.window),
    ...detectDlqGrowth(facts.deadLetters, facts.window),
    ...detectCriticalErrors(facts.criticalErrors),
    ...detectErrorSpikes(facts.agentErrors, facts.window, thresholds),
    ...detectNewErrorGroups(facts.errorGroups, facts.window),
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
  dead_agent: 2_000,
  consumer_group_empty: 1_900,
  silent_agent: 1_800,
  llm_rate_limit: 1_700,
  timeouts: 1_600,
  slow_agent: 1_500,
  retry_storm: 1_400,
  cascading_failure: 1_300,
  stuck_tasks: 1_200,
  consumer_lag: 1_100,
  dlq_growth: 1_000,
  critical_errors: 800,
  error_spike: 600,
  new_error_group: 400,
};

/** Kinds that name a cause; the symptom kinds of the same agent rank right after them. */
const CAUSES: ReadonlySet<IssueKind> = new Set([
  IssueKind.DEAD_AGENT,
  IssueKind.CONSUMER_GROUP_EMPTY,
  IssueKind.SILENT_AGENT,
  IssueKind.LLM_RATE_LIMIT,
  IssueKind.TIMEOUTS,
  IssueKind.SLOW_AGENT,
  IssueKind.RETRY_STORM,
  IssueKind.DLQ_GROWTH,
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

/** 100 minus a penalty per issue by severity, never below 0. */
export function healthScore(issues: readonly DetectedIssue[]): number {
  return Math.max(0, 100 - issues.reduce((sum, issue) => sum + PENALTY[issue.severity], 0));
}

/** `critical` with any critical issue, `degraded` with any high or medium issue, else `healthy`. */
export function systemStatus(issues: readonly DetectedIssue[]): SystemStatus {
  if (issues.some((i) => i.severity === 'critical')) return SystemStatus.CRITICAL;
  if (issues.some((i) => i.severity === 'high' || i.severity === 'medium')) return SystemStatus.DEGRADED;
  return SystemStatus.HEALTHY;
}
