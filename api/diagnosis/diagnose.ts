import { collectFacts, type FactSources } from './facts.js';
import {
  fetchRecentErrors,
  fetchSlowTraces,
  fetchTotals,
  type RecentError,
  type SlowTrace,
} from './facts-context.js';
import {
  detectAll,
  healthScore,
  rankIssues,
  systemStatus,
  type RankedIssue,
  type SystemStatus,
} from './rank.js';
import { suggestionsForIssue } from './suggestions.js';
import {
  limitFor,
  windowOf,
  type DetectorThresholds,
  type DiagnosisFacts,
  type EvidenceValue,
  type IssueSeverity,
  type LlmLimit,
} from './types.js';
import { DEFAULT_GRAPH_THRESHOLDS, type GraphThresholds } from './types-graph.js';

/** Settings of the diagnosis (from `Config.diagnosis`). */
export interface DiagnosisSettings {
  thresholds: DetectorThresholds;
  llmLimits: readonly LlmLimit[];
  /** Length of the baseline, in windows, before the window. */
  baselineWindows: number;
  /** Agents that are expected to run (AGENT_NAMES). */
  agents: readonly string[];
  /** Message-graph and self-relative regression settings (default `DEFAULT_GRAPH_THRESHOLDS`). */
  graph?: GraphThresholds;
  /** The processors' consumer group (PROCESSOR_GROUP_ID): when it has stored an agent's whole queue. */
  processorsGroupId?: string;
}

export interface SuggestedAction {
  priority: number;
  action: string;
  rationale: string;
  related_issue_id: string;
}

/** An issue as the contract shows it, plus `kind`, `rank`, `evidence` and `explained_by`. */
export interface IssueItem {
  id: string;
  kind: string;
  rank: number;
  category: string;
  severity: IssueSeverity;
  title: string;
  description: string;
  affected_components: string[];
  suggested_actions: SuggestedAction[];
  related_trace_ids: string[];
  evidence: Record<string, EvidenceValue>;
  explained_by: string | null;
  metadata: {
    kind: string;
    score: number;
    explained_by: string | null;
    evidence: Record<string, EvidenceValue>;
  };
  detected_at: string;
}

export interface IssueCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
  total: number;
}

export interface DiagnosisReport {
  metadata: {
    generated_at: string;
    time_window_minutes: number;
    window_start: string;
    window_end: string;
    baseline_start: string;
    system_status: SystemStatus;
    health_score: number;
    data_gaps: string[];
  };
  issues: { items: IssueItem[]; counts: IssueCounts };
  performance: {
    agents: {
      agent: string;
      tasks_completed: number;
      tasks_failed: number;
      p50_ms: number;
      p95_ms: number;
      p99_ms: number;
    }[];
    tasks_submitted: number;
    messages: number;
  };
  errors: { recent: RecentError[]; error_rate: number; total: number };
  rate_limits: {
    any_rate_limited: boolean;
    models: {
      provider: string;
      model: string;
      calls: number;
      tokens: number;
      tpm: number;
      rpm: number;
      tpm_max: number | null;
      rpm_max: number | null;
      rate_limited_calls: number;
      agents: string[];
    }[];
  };
  slow_traces: SlowTrace[];
  suggested_actions: SuggestedAction[];
  debugging_context: {
    top_issue_id: string | null;
    related_trace_ids: string[];
    affected_agents: string[];
    next_steps: string[];
  };
  system_summary: string;
  health_score: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Evidence as shown: epoch-millisecond instants (`*_ms` keys) become ISO-8601 `*_at` keys. */
export function presentEvidence(
  evidence: Readonly<Record<string, EvidenceValue>>,
): Record<string, EvidenceValue> {
  const out: Record<string, EvidenceValue> = {};
  for (const [key, value] of Object.entries(evidence)) {
    if (key.endsWith('_ms') && typeof value === 'number' && value >= 1e12)
      out[key.replace(/_ms$/, '_at')] = iso(value);
    else out[key] = value;
  }
  return out;
}

export function countIssues(issues: readonly { severity: IssueSeverity }[]): IssueCounts {
  const counts: IssueCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0, total: issues.length };
  for (const issue of issues) counts[issue.severity] += 1;
  return counts;
}

function toItem(issue: RankedIssue, rank: number, detectedAt: string): IssueItem {
  const evidence = presentEvidence(issue.evidence);
  return {
    id: issue.id,
    kind: issue.kind,
    rank,
    category: issue.category,
    severity: issue.severity,
    title: issue.title,
    description: issue.description,
    affected_components: [...issue.affected_components],
    suggested_actions: suggestionsForIssue(issue).map((s, i) => ({
      priority: i + 1,
      ...s,
      related_issue_id: issue.id,
    })),
    related_trace_ids: [...issue.related_trace_ids],
    evidence,
    explained_by: issue.explained_by,
    metadata: {
      kind: issue.kind,
      score: Math.round(issue.score),
      explained_by: issue.explained_by,
      evidence,
    },
    detected_at: detectedAt,
  };
}

/** The contract's issues for a set of facts: detection, ranking and suggestions, no I/O. */
export function assessFacts(facts: DiagnosisFacts, settings: DiagnosisSettings, generatedAt: string) {
  const ranked = rankIssues(detectAll(facts, settings.thresholds, settings.llmLimits, settings.graph));
  const items = ranked.map((issue, i) => toItem(issue, i + 1, generatedAt));
  const traffic = new Map(facts.activity.map((a) => [a.agent, a.sent_window + a.tasks_received_window]));
  return {
    items,
    status: systemStatus(ranked),
    score: healthScore(ranked, traffic),
    counts: countIssues(ranked),
  };
}

/** Actions of the issues in rank order (the first action of each issue before the second ones). */
function rankedActions(items: readonly IssueItem[], max = 10): SuggestedAction[] {
  const out: SuggestedAction[] = [];
  const depth = Math.max(0, ...items.map((i) => i.suggested_actions.length));
  for (let level = 0; level < depth && out.length < max; level++) {
    for (const item of items) {
      const action = item.suggested_actions[level];
      if (action !== undefined && out.length < max && !out.some((a) => a.action === action.action)) {
        out.push({ ...action, priority: out.length + 1 });
      }
    }
  }
  return out;
}

function summarize(
  status: SystemStatus,
  score: number,
  counts: IssueCounts,
  items: readonly IssueItem[],
  minutes: number,
  errors: number,
): string {
  const top = items[0];
  const parts = [
    `System ${status} (health ${score}/100) over the last ${minutes} min`,
    counts.total === 0
      ? 'no issues detected'
      : `${counts.total} issue${counts.total === 1 ? '' : 's'} (${counts.critical} critical, ${counts.high} high, ${counts.medium} medium)`,
    `${errors} error${errors === 1 ? '' : 's'}`,
  ];
  return `${parts.join('; ')}.${top === undefined ? '' : ` Top issue: ${top.title}.`}`;
}

/** Runs a diagnosis of the last `minutes` minutes ending at `nowMs`. */
export async function diagnose(
  sources: FactSources,
  settings: DiagnosisSettings,
  request: { minutes: number; nowMs: number },
): Promise<DiagnosisReport> {
  const window = windowOf(request.nowMs, request.minutes, settings.baselineWindows);
  const graphSettings = settings.graph ?? DEFAULT_GRAPH_THRESHOLDS;
  const [{ facts, gaps }, recent, totals, slowTraces] = await Promise.all([
    collectFacts(sources, window, {
      stuckAfterS: settings.thresholds.stuckAfterS,
      configuredAgents: settings.agents,
      graphThresholds: graphSettings,
      processorsGroupId: settings.processorsGroupId,
    }),
    fetchRecentErrors(sources.reader, window),
    fetchTotals(sources.reader, window),
    fetchSlowTraces(sources.reader, window),
  ]);
  const generatedAt = iso(request.nowMs);
  const { items, status, score, counts } = assessFacts(facts, settings, generatedAt);
  const errorRate = Number((totals.errors / request.minutes).toFixed(3));
  const traces = [...new Set(items.flatMap((i) => i.related_trace_ids))].slice(0, 20);
  const affected = [...new Set(items.flatMap((i) => i.affected_components))];
  const models = facts.llm.map((f) => {
    const limit = limitFor(settings.llmLimits, f.provider, f.model);
    return {
      provider: f.provider,
      model: f.model,
      calls: f.calls,
      tokens: f.tokens,
      tpm: f.peak_tpm,
      rpm: f.peak_rpm,
      tpm_max: limit?.tpm_max ?? null,
      rpm_max: limit?.rpm_max ?? null,
      rate_limited_calls: f.rate_limited,
      agents: [...f.agents],
    };
  });
  return {
    metadata: {
      generated_at: generatedAt,
      time_window_minutes: request.minutes,
      window_start: iso(window.fromMs),
      window_end: iso(window.toMs),
      baseline_start: iso(window.baselineFromMs),
      system_status: status,
      health_score: score,
      data_gaps: gaps,
    },
    issues: { items, counts },
    performance: {
      agents: facts.latency.map((l) => ({
        agent: l.agent,
        tasks_completed: l.completed,
        tasks_failed: l.failed,
        p50_ms: Math.round(l.p50_ms),
        p95_ms: Math.round(l.p95_ms),
        p99_ms: Math.round(l.p99_ms),
      })),
      tasks_submitted: totals.tasks,
      messages: totals.messages,
    },
    errors: { recent, error_rate: errorRate, total: totals.errors },
    rate_limits: { any_rate_limited: facts.llm.some((f) => f.rate_limited > 0), models },
    slow_traces: slowTraces,
    suggested_actions: rankedActions(items),
    debugging_context: {
      top_issue_id: items[0]?.id ?? null,
      related_trace_ids: traces,
      affected_agents: affected,
      next_steps: nextSteps(items),
    },
    system_summary: summarize(status, score, counts, items, request.minutes, totals.errors),
    health_score: score,
  };
}

/** Where to look next, as API calls a coding assistant can make. */
function nextSteps(items: readonly IssueItem[]): string[] {
  const steps: string[] = [];
  for (const item of items.slice(0, 3)) {
    const agent = item.affected_components[0];
    const trace = item.related_trace_ids[0];
    if (trace !== undefined) steps.push(`GET /api/v1/traces/${trace}/timeline  (${item.id})`);
    if (agent !== undefined && item.kind === 'stuck_tasks') steps.push(`GET /api/v1/queues/${agent}/pending`);
    else if (agent !== undefined) steps.push(`GET /api/v1/errors?agent_name=${agent}&limit=20`);
  }
  steps.push('GET /api/v1/claude/errors?limit=10');
  return [...new Set(steps)];
}
