import type { AgentTime } from '../timing/breakdown.js';
import { IssueKind, type DetectedIssue } from './types.js';

/**
 * Where the agents' task time goes (queued, working, LLM, other; see api/timing), turned into the
 * two findings that call for different fixes: tasks that wait in the queue far longer than the work
 * takes (too few consumers), and work dominated by the model (a faster model, fewer or smaller
 * calls, caching). Only tasks whose answers report `started_at` count: an unknown split never
 * produces an issue.
 */

export interface TimingThresholds {
  /** Tasks with a known split an agent needs before its percentiles are judged. Default 5. */
  minTasks: number;
  /** Median queue time from which waiting is worth reporting. Default 10 s. */
  queueMinMs: number;
  /** Median queue time at least this many times the median working time. Default 3. */
  queueFactor: number;
  /** Share of the working time spent in LLM calls from which the model is said to dominate. Default 0.8. */
  llmShareMin: number;
  /** p95 working time below which the model's share is not worth reporting. Default 2 s. */
  llmMinWorkingMs: number;
}

export const DEFAULT_TIMING_THRESHOLDS: TimingThresholds = {
  minTasks: 5,
  queueMinMs: 10_000,
  queueFactor: 3,
  llmShareMin: 0.8,
  llmMinWorkingMs: 2_000,
};

/** Seconds as a person says them: 40 s, 2 s, 0.4 s. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Math.round(s * 10) / 10} s`;
}

/** An agent whose tasks wait in its queue `queueFactor` times longer than the work on them takes. */
export function detectQueueWait(
  agents: readonly AgentTime[],
  t: TimingThresholds = DEFAULT_TIMING_THRESHOLDS,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const a of agents) {
    if (a.split_known < t.minTasks || a.queued === null || a.working === null) continue;
    const queued = a.queued.p50_ms;
    const working = a.working.p50_ms;
    if (queued < t.queueMinMs || queued < t.queueFactor * Math.max(working, 1)) continue;
    issues.push({
      id: `${IssueKind.QUEUE_WAIT}:${a.agent}`,
      kind: IssueKind.QUEUE_WAIT,
      category: 'resource',
      severity: a.queued.p95_ms >= 6 * t.queueMinMs ? 'high' : 'medium',
      title: `${a.agent}'s tasks wait ${seconds(queued)} in the queue while work takes ${seconds(working)}: add consumers`,
      description:
        `Over ${a.split_known} tasks, ${a.agent}'s tasks waited ${seconds(queued)} (p50; p95 ${seconds(a.queued.p95_ms)}) between being sent and being started, ` +
        `while the work itself took ${seconds(working)} (p50; p95 ${seconds(a.working.p95_ms)}). The queue, not the agent's speed, makes them late.`,
      affected_components: [a.agent],
      related_trace_ids: [],
      evidence: {
        tasks: a.split_known,
        queued_p50_ms: Math.round(queued),
        queued_p95_ms: Math.round(a.queued.p95_ms),
        working_p50_ms: Math.round(working),
        working_p95_ms: Math.round(a.working.p95_ms),
        queue_share: a.queue_share,
        split_unknown: a.split_unknown,
      },
      magnitude: Math.round(queued / 1000),
    });
  }
  return issues;
}

/** An agent whose working time goes mostly to its LLM calls. */
export function detectLlmBound(
  agents: readonly AgentTime[],
  t: TimingThresholds = DEFAULT_TIMING_THRESHOLDS,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const a of agents) {
    if (a.split_known < t.minTasks || a.working === null || a.llm_share === null) continue;
    if (a.llm_share < t.llmShareMin || a.working.p95_ms < t.llmMinWorkingMs) continue;
    const percent = Math.round(a.llm_share * 100);
    issues.push({
      id: `${IssueKind.LLM_BOUND}:${a.agent}`,
      kind: IssueKind.LLM_BOUND,
      category: 'performance',
      severity: 'low',
      title: `the model takes ${percent}% of ${a.agent}'s working time`,
      description:
        `Over ${a.split_known} tasks, ${a.agent} worked ${seconds(a.working.p50_ms)} per task (p50; p95 ${seconds(a.working.p95_ms)}), ` +
        `${percent}% of it in LLM calls (LLM p50 ${seconds(a.llm?.p50_ms ?? 0)}, the rest p50 ${seconds(a.other?.p50_ms ?? 0)}). Speeding up the code around the model would not help much.`,
      affected_components: [a.agent],
      related_trace_ids: [],
      evidence: {
        tasks: a.split_known,
        llm_share: a.llm_share,
        working_p50_ms: Math.round(a.working.p50_ms),
        working_p95_ms: Math.round(a.working.p95_ms),
        llm_p50_ms: Math.round(a.llm?.p50_ms ?? 0),
        other_p50_ms: Math.round(a.other?.p50_ms ?? 0),
      },
      magnitude: percent,
    });
  }
  return issues;
}
