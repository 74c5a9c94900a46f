import { distinct } from './detect-errors.js';
import { IssueKind, type DetectedIssue, type DiagnosisWindow, type IssueSeverity } from './types.js';
import type { AgentTrendFact, GraphThresholds, LlmTrendFact } from './types-graph.js';

/**
 * Self-relative regressions: each agent (and each agent × model) in the recent interval against
 * its OWN baseline, the rest of the window. Other agents are never the yardstick, so a fast agent
 * that became slow is found even when it is still faster than the others.
 */

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Seconds of baseline an agent has: from the later of the window's start and its first baseline sample. */
function baselineSeconds(window: DiagnosisWindow, recentFromMs: number, firstMs: number): number {
  const from = Math.max(window.fromMs, firstMs > 0 ? firstMs : window.fromMs);
  return Math.max(1, (recentFromMs - from) / 1000);
}

interface Context {
  window: DiagnosisWindow;
  recentFromMs: number;
  t: GraphThresholds;
}

function latencyIssue(f: AgentTrendFact, c: Context): DetectedIssue | undefined {
  const recent = f.recent_completed + f.recent_failed;
  const baseline = f.baseline_completed + f.baseline_failed;
  if (recent < c.t.minRecentSamples || baseline < c.t.minBaselineSamples || f.baseline_p95_ms <= 0) return;
  const factor = f.recent_p95_ms / f.baseline_p95_ms;
  if (factor < c.t.latencyFactor || f.recent_p95_ms - f.baseline_p95_ms < c.t.latencyMinDeltaMs) return;
  return {
    id: `${IssueKind.LATENCY_REGRESSION}:${f.agent}`,
    kind: IssueKind.LATENCY_REGRESSION,
    category: 'performance',
    severity: factor >= 10 ? 'high' : 'medium',
    title: `${f.agent} became ${round(factor, 1)}x slower than its own baseline (p95 ${Math.round(f.baseline_p95_ms)} → ${Math.round(f.recent_p95_ms)} ms)`,
    description: `Over the last ${c.t.recentS} s the p95 time from task to answer of ${f.agent} is ${Math.round(f.recent_p95_ms)} ms (${recent} answers), against ${Math.round(f.baseline_p95_ms)} ms over the ${baseline} answers before it in the window.`,
    affected_components: [f.agent],
    related_trace_ids: distinct(f.trace_ids),
    evidence: {
      recent_p95_ms: Math.round(f.recent_p95_ms),
      baseline_p95_ms: Math.round(f.baseline_p95_ms),
      factor: round(factor, 1),
      recent_answers: recent,
      baseline_answers: baseline,
      recent_s: c.t.recentS,
    },
    magnitude: recent,
  };
}

function errorRateIssue(f: AgentTrendFact, c: Context): DetectedIssue | undefined {
  const recent = f.recent_completed + f.recent_failed;
  const baseline = f.baseline_completed + f.baseline_failed;
  if (recent < c.t.minRecentSamples || baseline < c.t.minBaselineSamples) return;
  if (f.recent_failed < c.t.minRecentSamples) return;
  const rate = f.recent_failed / recent;
  const before = f.baseline_failed / baseline;
  if (rate < before * c.t.errorRateFactor || rate < before + c.t.errorRateMinDelta) return;
  return {
    id: `${IssueKind.ERROR_RATE_REGRESSION}:${f.agent}`,
    kind: IssueKind.ERROR_RATE_REGRESSION,
    category: 'error',
    severity: rate >= 0.5 ? 'high' : 'medium',
    title: `${f.agent} fails ${Math.round(rate * 100)}% of its tasks, against ${Math.round(before * 100)}% before`,
    description: `${f.agent} answered ${f.recent_failed} of its last ${recent} tasks with ERROR over the last ${c.t.recentS} s; in the ${baseline} answers before it in the window the error rate was ${round(before * 100, 1)}%.`,
    affected_components: [f.agent],
    related_trace_ids: distinct(f.trace_ids),
    evidence: {
      recent_error_rate: round(rate, 3),
      baseline_error_rate: round(before, 3),
      recent_failed: f.recent_failed,
      recent_answers: recent,
      baseline_answers: baseline,
    },
    magnitude: f.recent_failed,
  };
}

function throughputIssue(f: AgentTrendFact, c: Context): DetectedIssue | undefined {
  const baseline = f.baseline_completed + f.baseline_failed;
  if (baseline < c.t.minBaselineSamples) return;
  const perS = baseline / baselineSeconds(c.window, c.recentFromMs, f.baseline_from_ms);
  const recentS = (c.window.toMs - c.recentFromMs) / 1000;
  const expected = perS * recentS;
  const recent = f.recent_completed + f.recent_failed;
  // too little traffic to tell a drop from chance, or the work stopped coming (not the agent's doing)
  if (expected < c.t.minRecentSamples * c.t.throughputFactor) return;
  if (recent * c.t.throughputFactor > expected || f.recent_received * 2 < expected) return;
  const severity: IssueSeverity = recent === 0 ? 'high' : 'medium';
  return {
    id: `${IssueKind.THROUGHPUT_DROP}:${f.agent}`,
    kind: IssueKind.THROUGHPUT_DROP,
    category: 'performance',
    severity,
    title: `${f.agent} answers ${round(recent / recentS, 2)}/s, down from ${round(perS, 2)}/s, while tasks keep arriving`,
    description: `Over the last ${Math.round(recentS)} s ${f.agent} answered ${recent} task(s) and was sent ${f.recent_received}; at its own earlier pace it would have answered about ${Math.round(expected)}.`,
    affected_components: [f.agent],
    related_trace_ids: distinct(f.trace_ids),
    evidence: {
      recent_answers: recent,
      expected_answers: Math.round(expected),
      recent_tasks_received: f.recent_received,
      baseline_per_s: round(perS, 3),
      recent_per_s: round(recent / recentS, 3),
    },
    magnitude: Math.round(expected - recent),
  };
}

/** Latency p95, error rate and throughput of each agent, recent against its own baseline. */
export function detectAgentRegressions(
  facts: readonly AgentTrendFact[],
  window: DiagnosisWindow,
  recentFromMs: number,
  t: GraphThresholds,
): DetectedIssue[] {
  const c: Context = { window, recentFromMs, t };
  return facts.flatMap((f) =>
    [latencyIssue(f, c), errorRateIssue(f, c), throughputIssue(f, c)].filter(
      (i): i is DetectedIssue => i !== undefined,
    ),
  );
}

/** Token or cost rate of each agent × model, recent against its own baseline. */
export function detectLlmCostRegressions(
  facts: readonly LlmTrendFact[],
  window: DiagnosisWindow,
  recentFromMs: number,
  t: GraphThresholds,
): DetectedIssue[] {
  const recentS = Math.max(1, (window.toMs - recentFromMs) / 1000);
  const issues: DetectedIssue[] = [];
  for (const f of facts) {
    if (f.recent_calls < t.minRecentSamples || f.baseline_calls < t.minBaselineSamples) continue;
    const baseS = baselineSeconds(window, recentFromMs, f.baseline_from_ms);
    const ratio = (recent: number, base: number): number =>
      base > 0 ? recent / recentS / (base / baseS) : recent > 0 ? Infinity : 0;
    const tokens = ratio(f.recent_tokens, f.baseline_tokens);
    const cost = ratio(f.recent_cost_usd, f.baseline_cost_usd);
    const factor = Math.max(tokens, f.baseline_cost_usd > 0 ? cost : 0);
    if (factor < t.costFactor) continue;
    const perCall = (n: number, calls: number): number => (calls > 0 ? n / calls : 0);
    issues.push({
      id: `${IssueKind.LLM_COST_REGRESSION}:${f.agent}:${f.model}`,
      kind: IssueKind.LLM_COST_REGRESSION,
      category: 'cost',
      severity: factor >= 10 ? 'high' : 'medium',
      title: `${f.agent} spends ${Number.isFinite(factor) ? round(factor, 1) : 'far'}x its usual ${tokens >= cost ? 'tokens' : 'cost'} per minute on ${f.model}`,
      description:
        `Over the last ${Math.round(recentS)} s ${f.agent} used ${f.recent_tokens} tokens ($${round(f.recent_cost_usd, 4)}) in ${f.recent_calls} call(s) to ${f.model}; ` +
        `at its own earlier rate that would be ${Math.round((f.baseline_tokens / baseS) * recentS)} tokens. ` +
        `Tokens per call went from ${Math.round(perCall(f.baseline_tokens, f.baseline_calls))} to ${Math.round(perCall(f.recent_tokens, f.recent_calls))}.`,
      affected_components: [f.agent],
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        model: f.model,
        recent_tokens_per_min: Math.round((f.recent_tokens / recentS) * 60),
        baseline_tokens_per_min: Math.round((f.baseline_tokens / baseS) * 60),
        recent_cost_per_min_usd: round((f.recent_cost_usd / recentS) * 60, 4),
        baseline_cost_per_min_usd: round((f.baseline_cost_usd / baseS) * 60, 4),
        recent_tokens_per_call: Math.round(perCall(f.recent_tokens, f.recent_calls)),
        baseline_tokens_per_call: Math.round(perCall(f.baseline_tokens, f.baseline_calls)),
        factor: Number.isFinite(factor) ? round(factor, 1) : null,
      },
      magnitude: f.recent_tokens,
    });
  }
  return issues;
}
