import {
  baselineMinutes,
  IssueKind,
  type AgentErrorFact,
  type CriticalErrorFact,
  type DetectedIssue,
  type DetectorThresholds,
  type DiagnosisWindow,
  type ErrorGroupFact,
  type IssueSeverity,
  type RetryFact,
  type TraceErrorFact,
} from './types.js';

/** Detectors over error facts: spikes, new groups, critical errors, cascades and retry storms. */

/** At most `max` distinct non-empty values, in first-seen order. */
export function distinct(values: readonly string[], max = 10): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (value !== '' && !out.includes(value)) out.push(value);
    if (out.length === max) break;
  }
  return out;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/**
 * An agent's error rate in the window against its rate in the preceding baseline. A spike needs at
 * least `spikeMinErrors` errors and `spikeFactor` times the baseline rate; an agent with no errors in
 * the baseline spikes as soon as it reaches the minimum.
 */
export function detectErrorSpikes(
  facts: readonly AgentErrorFact[],
  window: DiagnosisWindow,
  t: DetectorThresholds,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const f of facts) {
    if (f.window_errors < t.spikeMinErrors) continue;
    const rate = f.window_errors / window.minutes;
    const baselineRate = f.baseline_errors / Math.max(1, baselineMinutes(window));
    const factor = baselineRate === 0 ? Infinity : rate / baselineRate;
    if (factor < t.spikeFactor) continue;
    const severity: IssueSeverity =
      factor >= t.spikeFactor * 3 && f.window_errors >= t.spikeMinErrors * 4 ? 'high' : 'medium';
    const categories = Object.entries(f.by_category).sort((a, b) => b[1] - a[1]);
    const top = categories[0]?.[0] ?? 'unknown';
    issues.push({
      id: `${IssueKind.ERROR_SPIKE}:${f.agent}`,
      kind: IssueKind.ERROR_SPIKE,
      category: 'error',
      severity,
      title: `Error spike in ${f.agent}: ${f.window_errors} errors in ${window.minutes} min`,
      description:
        baselineRate === 0
          ? `${f.agent} reported ${f.window_errors} errors (mostly ${top}) with none in the preceding ${baselineMinutes(window)} minutes.`
          : `${f.agent} reported ${round(rate)} errors/min, ${round(factor, 1)}x its baseline of ${round(baselineRate)} errors/min (mostly ${top}).`,
      affected_components: [f.agent],
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        window_errors: f.window_errors,
        baseline_errors: f.baseline_errors,
        errors_per_min: round(rate),
        baseline_errors_per_min: round(baselineRate),
        factor: Number.isFinite(factor) ? round(factor, 1) : null,
        top_category: top,
        categories: categories.map(([category, n]) => `${category}=${n}`),
        first_ms: f.first_ms,
        last_ms: f.last_ms,
      },
      magnitude: f.window_errors,
    });
  }
  return issues;
}

const SEVERITY_OF_ERROR: Readonly<Record<string, IssueSeverity>> = {
  critical: 'high',
  error: 'medium',
  warning: 'low',
  info: 'info',
};

/** Error groups whose first error falls inside the window: something that never failed before. */
export function detectNewErrorGroups(
  groups: readonly ErrorGroupFact[],
  window: DiagnosisWindow,
): DetectedIssue[] {
  return groups
    .filter((g) => g.first_seen_ms >= window.fromMs && g.window_count > 0)
    .map((g) => ({
      id: `${IssueKind.NEW_ERROR_GROUP}:${g.fingerprint}`,
      kind: IssueKind.NEW_ERROR_GROUP,
      category: 'error' as const,
      severity: SEVERITY_OF_ERROR[g.top_severity] ?? 'medium',
      title: `New error in ${g.agents.join(', ')}: ${g.error_type} (${g.category})`,
      description: `${g.error_type} first appeared at ${new Date(g.first_seen_ms).toISOString()} and occurred ${g.window_count} times since: "${g.sample_message.slice(0, 200)}"`,
      affected_components: [...g.agents],
      related_trace_ids: distinct([g.sample_trace_id]),
      evidence: {
        fingerprint: g.fingerprint,
        error_type: g.error_type,
        error_category: g.category,
        count: g.window_count,
        first_seen_ms: g.first_seen_ms,
        last_seen_ms: g.last_seen_ms,
        sample_error_id: g.sample_error_id,
      },
      magnitude: g.window_count,
    }));
}

/** Any critical error in the window is an issue of its own. */
export function detectCriticalErrors(facts: readonly CriticalErrorFact[]): DetectedIssue[] {
  return facts
    .filter((f) => f.count > 0)
    .map((f) => ({
      id: `${IssueKind.CRITICAL_ERRORS}:${f.agent}`,
      kind: IssueKind.CRITICAL_ERRORS,
      category: 'error' as const,
      severity: 'critical' as const,
      title: `${f.count} critical error${f.count === 1 ? '' : 's'} in ${f.agent}`,
      description: `${f.agent} reported critical errors (${f.error_types.join(', ')}); latest: "${f.sample_message.slice(0, 200)}"`,
      affected_components: [f.agent],
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        count: f.count,
        error_types: f.error_types,
        error_ids: f.error_ids.slice(0, 10),
        first_ms: f.first_ms,
        last_ms: f.last_ms,
      },
      magnitude: f.count,
    }));
}

/**
 * Traces whose errors span at least `cascadeMinAgents` agents, grouped by the agent that failed
 * first in each trace (the likely origin). One issue per origin agent.
 */
export function detectCascades(traces: readonly TraceErrorFact[], t: DetectorThresholds): DetectedIssue[] {
  const byOrigin = new Map<string, TraceErrorFact[]>();
  for (const trace of traces) {
    const origin = trace.agents[0];
    if (origin === undefined || new Set(trace.agents).size < t.cascadeMinAgents) continue;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), trace]);
  }
  return [...byOrigin.entries()].map(([origin, list]) => {
    const agents = distinct(
      list.flatMap((trace) => trace.agents),
      20,
    );
    const errors = list.reduce((sum, trace) => sum + trace.errors, 0);
    const widest = Math.max(...list.map((trace) => new Set(trace.agents).size));
    const severity: IssueSeverity = list.length >= 3 || widest >= 4 ? 'critical' : 'high';
    return {
      id: `${IssueKind.CASCADE}:${origin}`,
      kind: IssueKind.CASCADE,
      category: 'error' as const,
      severity,
      title: `Cascading failure starting in ${origin} (${list.length} trace${list.length === 1 ? '' : 's'}, ${agents.length} agents)`,
      description: `Errors in ${origin} were followed by errors in ${agents.filter((a) => a !== origin).join(', ')} within the same traces: a failure propagating along the chain of agents.`,
      affected_components: agents,
      related_trace_ids: distinct(list.map((trace) => trace.trace_id)),
      evidence: {
        origin_agent: origin,
        traces: list.length,
        errors,
        max_agents_per_trace: widest,
        chain: list[0]?.agents ?? [],
        first_ms: Math.min(...list.map((trace) => trace.first_ms)),
        last_ms: Math.max(...list.map((trace) => trace.last_ms)),
      },
      magnitude: errors,
    };
  });
}

/**
 * Many attempts of the same work. One issue per hammered agent: tasks re-sent to it within one trace
 * count against it (with the agent that re-sent them as second affected component), as do its own
 * repeated errors of one task or fingerprint. The re-sending agent's own retried errors are folded
 * into the storm it causes rather than reported twice.
 */
export function detectRetryStorms(facts: readonly RetryFact[], t: DetectorThresholds): DetectedIssue[] {
  const byAgent = new Map<string, RetryFact[]>();
  for (const f of facts) {
    if (f.attempts < t.retryStormMinAttempts) continue;
    byAgent.set(f.agent, [...(byAgent.get(f.agent) ?? []), f]);
  }
  const requesters = new Map<string, string>();
  for (const [agent, list] of byAgent) {
    for (const f of list)
      if (f.key_kind === 'trace' && f.requester !== '' && f.requester !== agent)
        requesters.set(f.requester, agent);
  }
  for (const [requester, target] of requesters) {
    const own = byAgent.get(requester);
    if (own === undefined || own.some((f) => f.key_kind === 'trace')) continue;
    byAgent.set(target, [...(byAgent.get(target) ?? []), ...own]);
    byAgent.delete(requester);
  }
  return [...byAgent.entries()].map(([agent, list]) => {
    const sorted = [...list].sort((a, b) => b.attempts - a.attempts);
    const attempts = sorted.reduce((sum, f) => sum + f.attempts, 0);
    const worst = sorted[0];
    const retriers = distinct(sorted.filter((f) => f.key_kind === 'trace').map((f) => f.requester));
    const affected = distinct([agent, ...retriers, ...sorted.map((f) => f.agent)], 20);
    const by = retriers.length > 0 ? ` (re-sent by ${retriers.join(', ')})` : '';
    return {
      id: `${IssueKind.RETRY_STORM}:${agent}`,
      kind: IssueKind.RETRY_STORM,
      category: 'resource' as const,
      severity:
        (worst?.attempts ?? 0) >= t.retryStormMinAttempts * 3 || attempts >= t.retryStormMinAttempts * 6
          ? ('high' as const)
          : ('medium' as const),
      title: `Retry storm on ${agent}: ${attempts} attempts${by}`,
      description: `The same work was attempted again and again (up to ${worst?.attempts ?? 0} attempts of one ${worst?.key_kind ?? 'task'}) on ${agent}${by}, multiplying load on a failing path without succeeding.`,
      affected_components: affected,
      related_trace_ids: distinct(sorted.flatMap((f) => f.trace_ids)),
      evidence: {
        attempts,
        max_attempts: worst?.attempts ?? 0,
        max_retry_count: Math.max(...sorted.map((f) => f.max_retry_count)),
        retried_by: retriers,
        keys: sorted.slice(0, 10).map((f) => `${f.agent}/${f.key_kind}:${f.key}=${f.attempts}`),
        first_ms: Math.min(...sorted.map((f) => f.first_ms)),
        last_ms: Math.max(...sorted.map((f) => f.last_ms)),
      },
      magnitude: attempts,
    };
  });
}
