import { agentOfQueueTopic } from '../../schemas/topics.js';
import { distinct } from './detect-errors.js';
import {
  baselineMinutes,
  type AgentActivityFact,
  IssueKind,
  limitFor,
  type AgentLatencyFact,
  type DeadLetterFact,
  type DetectedIssue,
  type DetectorThresholds,
  type DiagnosisWindow,
  type IssueSeverity,
  type LlmLimit,
  type LlmUsageFact,
  type StuckTaskFact,
  type TimeoutFact,
} from './types.js';

/** Detectors over work and resources: stuck tasks, timeouts, slow agents, LLM limits, dead letters. */

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Pending tasks past their priority's threshold, one issue per agent. */
export function detectStuckTasks(facts: readonly StuckTaskFact[], window: DiagnosisWindow): DetectedIssue[] {
  const byAgent = new Map<string, StuckTaskFact[]>();
  for (const f of facts) if (f.count > 0) byAgent.set(f.agent, [...(byAgent.get(f.agent) ?? []), f]);
  return [...byAgent.entries()].map(([agent, list]) => {
    const count = list.reduce((sum, f) => sum + f.count, 0);
    const oldest = Math.min(...list.map((f) => f.oldest_submitted_ms));
    const ageMin = round((window.toMs - oldest) / 60_000, 1);
    const urgent = list.some((f) => f.priority === 'critical' || f.priority === 'high');
    const abandoned = list.reduce((sum, f) => sum + f.abandoned, 0);
    // how far past its threshold the oldest task is
    const overdue = Math.max(
      ...list.map((f) => (window.toMs - f.oldest_submitted_ms) / 1000 / f.threshold_s),
    );
    const severity: IssueSeverity =
      urgent && (overdue >= 3 || count >= 10)
        ? 'critical'
        : urgent || overdue >= 3 || abandoned > 0
          ? 'high'
          : 'medium';
    return {
      id: `${IssueKind.STUCK_TASKS}:${agent}`,
      kind: IssueKind.STUCK_TASKS,
      category: 'performance' as const,
      severity,
      title: `${count} stuck task${count === 1 ? '' : 's'} in ${agent}, oldest pending ${ageMin} min`,
      description: `${agent} has ${count} task(s) pending beyond their priority's threshold (${list
        .map((f) => `${f.count} ${f.priority} > ${f.threshold_s} s`)
        .join(
          ', ',
        )}): no RESULT, ERROR or CANCEL answered them${abandoned > 0 ? `, and their requester already timed out waiting for ${abandoned} of them` : ''}.`,
      affected_components: [agent],
      related_trace_ids: distinct(list.flatMap((f) => f.trace_ids)),
      evidence: {
        stuck_tasks: count,
        abandoned,
        oldest_submitted_ms: oldest,
        oldest_age_min: ageMin,
        by_priority: list.map((f) => `${f.priority}=${f.count}`),
        task_ids: distinct(
          list.flatMap((f) => f.task_ids),
          20,
        ),
      },
      magnitude: count,
    };
  });
}

/** Timeouts reported as errors, LLM calls that timed out and tasks that expired, per agent. */
export function detectTimeouts(
  facts: readonly TimeoutFact[],
  latency: readonly AgentLatencyFact[],
  t: DetectorThresholds,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const f of facts) {
    const total = f.timeout_errors + f.llm_timeouts + f.expired_tasks;
    if (total < t.timeoutMinCount) continue;
    const tasks = latency.find((l) => l.agent === f.agent);
    const handled = (tasks?.completed ?? 0) + (tasks?.failed ?? 0);
    const share = handled === 0 ? 1 : Math.min(1, total / handled);
    const severity: IssueSeverity = total >= t.timeoutMinCount * 3 || share >= 0.25 ? 'high' : 'medium';
    const parts = [
      f.timeout_errors > 0 ? `${f.timeout_errors} timeout errors` : '',
      f.llm_timeouts > 0 ? `${f.llm_timeouts} LLM calls timed out` : '',
      f.expired_tasks > 0 ? `${f.expired_tasks} tasks expired` : '',
    ].filter((p) => p !== '');
    issues.push({
      id: `${IssueKind.TIMEOUTS}:${f.agent}`,
      kind: IssueKind.TIMEOUTS,
      category: 'timeout',
      severity,
      title: `Timeouts in ${f.agent}: ${parts.join(', ')}`,
      description: `${f.agent} is running out of time: ${parts.join(', ')} in the window${handled > 0 ? `, against ${handled} tasks handled` : ''}.`,
      affected_components: [f.agent],
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        timeout_errors: f.timeout_errors,
        llm_timeouts: f.llm_timeouts,
        expired_tasks: f.expired_tasks,
        tasks_handled: handled,
        timeout_share: round(share),
        error_ids: f.error_ids.slice(0, 10),
      },
      magnitude: total,
    });
  }
  return issues;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Minimum tasks for a percentile to mean something. */
const MIN_TASKS = 3;

/**
 * An agent whose p95 task latency is `slowFactor` times the median p95 of the other agents, or of
 * its own baseline, and at least `slowMinMs`.
 */
export function detectSlowAgents(facts: readonly AgentLatencyFact[], t: DetectorThresholds): DetectedIssue[] {
  const measured = facts.filter((f) => f.completed + f.failed >= MIN_TASKS);
  const issues: DetectedIssue[] = [];
  for (const f of measured) {
    if (f.p95_ms < t.slowMinMs) continue;
    const peers = measured.filter((o) => o.agent !== f.agent).map((o) => o.p95_ms);
    const peerP95 = peers.length > 0 ? median(peers) : 0;
    const ownBaseline = f.baseline_tasks >= MIN_TASKS ? f.baseline_p95_ms : 0;
    const vsPeers = peerP95 > 0 ? f.p95_ms / peerP95 : 0;
    const vsBaseline = ownBaseline > 0 ? f.p95_ms / ownBaseline : 0;
    const factor = Math.max(vsPeers, vsBaseline);
    if (factor < t.slowFactor) continue;
    const against =
      vsPeers >= vsBaseline
        ? `the other agents' median p95 of ${Math.round(peerP95)} ms`
        : `its baseline p95 of ${Math.round(ownBaseline)} ms`;
    issues.push({
      id: `${IssueKind.SLOW_AGENT}:${f.agent}`,
      kind: IssueKind.SLOW_AGENT,
      category: 'performance',
      severity: factor >= t.slowFactor * 2 ? 'high' : 'medium',
      title: `${f.agent} is slow: p95 ${Math.round(f.p95_ms)} ms, ${round(factor, 1)}x normal`,
      description: `${f.agent}'s p95 task latency is ${Math.round(f.p95_ms)} ms (p50 ${Math.round(f.p50_ms)} ms) over ${f.completed + f.failed} tasks, ${round(factor, 1)}x ${against}.`,
      affected_components: [f.agent],
      related_trace_ids: [],
      evidence: {
        p50_ms: Math.round(f.p50_ms),
        p95_ms: Math.round(f.p95_ms),
        p99_ms: Math.round(f.p99_ms),
        tasks: f.completed + f.failed,
        peer_median_p95_ms: Math.round(peerP95),
        baseline_p95_ms: Math.round(ownBaseline),
        factor: round(factor, 1),
      },
      magnitude: Math.round(f.p95_ms / 1000),
    });
  }
  return issues;
}

/**
 * Early sign of a slow agent, before it completed enough tasks to measure: its oldest pending task
 * has waited `slowFactor` times the other agents' median p95 (and its own p95, when measured) and
 * at least `slowMinMs`, while the agent is alive (a recent heartbeat), delegates nothing (a
 * delegator waits on others) and has no stuck task (that is its own issue). Low severity: a hung
 * handler looks the same until its requester gives up.
 */
export function detectAgingTasks(
  activity: readonly AgentActivityFact[],
  latency: readonly AgentLatencyFact[],
  stuck: readonly StuckTaskFact[],
  window: DiagnosisWindow,
  t: DetectorThresholds,
): DetectedIssue[] {
  const measured = latency.filter((f) => f.completed + f.failed >= MIN_TASKS);
  const aliveSince = window.toMs - t.heartbeatTimeoutS * 1000;
  const issues: DetectedIssue[] = [];
  for (const a of activity) {
    const oldest = a.oldest_pending_ms ?? 0;
    if (a.pending_tasks === 0 || oldest <= 0 || (a.tasks_sent_window ?? 0) > 0) continue;
    if (a.last_heartbeat_ms < aliveSince || stuck.some((s) => s.agent === a.agent && s.count > 0)) continue;
    const peers = measured.filter((o) => o.agent !== a.agent).map((o) => o.p95_ms);
    if (peers.length === 0) continue;
    const peerP95 = median(peers);
    const own = measured.find((o) => o.agent === a.agent)?.p95_ms ?? 0;
    const threshold = Math.max(t.slowFactor * peerP95, t.slowFactor * own, t.slowMinMs);
    const age = window.toMs - oldest;
    if (age < threshold) continue;
    issues.push({
      id: `${IssueKind.SLOW_AGENT}:${a.agent}`,
      kind: IssueKind.SLOW_AGENT,
      category: 'performance',
      severity: 'low',
      title: `${a.agent} may be slow: a task pending ${round(age / 1000, 1)} s, ${round(age / Math.max(1, peerP95), 1)}x the other agents' p95`,
      description: `${a.agent} is alive and delegates nothing, yet its oldest of ${a.pending_tasks} pending task(s) has waited ${Math.round(age)} ms where the other agents answer within ${Math.round(peerP95)} ms (p95).`,
      affected_components: [a.agent],
      related_trace_ids: [],
      evidence: {
        oldest_pending_age_ms: Math.round(age),
        pending_tasks: a.pending_tasks,
        peer_median_p95_ms: Math.round(peerP95),
        own_p95_ms: Math.round(own),
      },
      magnitude: a.pending_tasks,
    });
  }
  return issues;
}

/** Per model: calls refused for rate limits, or observed peak TPM/RPM near the configured limit. */
export function detectLlmRateLimits(
  facts: readonly LlmUsageFact[],
  limits: readonly LlmLimit[],
  t: DetectorThresholds,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const f of facts) {
    const limit = limitFor(limits, f.provider, f.model);
    const tpmUse = limit !== undefined && limit.tpm_max > 0 ? f.peak_tpm / limit.tpm_max : 0;
    const rpmUse = limit !== undefined && limit.rpm_max > 0 ? f.peak_rpm / limit.rpm_max : 0;
    const use = Math.max(tpmUse, rpmUse);
    if (f.rate_limited === 0 && use < t.llmUtilizationWarn) continue;
    const severity: IssueSeverity = f.rate_limited >= 5 || use >= 1 ? 'high' : 'medium';
    const what =
      f.rate_limited > 0
        ? `${f.rate_limited} calls rate limited`
        : `peak at ${Math.round(use * 100)} % of the limit`;
    issues.push({
      id: `${IssueKind.LLM_RATE_LIMIT}:${f.provider}/${f.model}`,
      kind: IssueKind.LLM_RATE_LIMIT,
      category: 'rate_limit',
      severity,
      title: `LLM rate limit on ${f.model} (${f.provider}): ${what}`,
      description:
        `${f.agents.join(', ')} ${f.rate_limited > 0 ? `hit the rate limit of ${f.model} ${f.rate_limited} times` : `used ${f.model} close to its limit`}; ` +
        `busiest minute ${f.peak_tpm} tokens and ${f.peak_rpm} requests` +
        (limit === undefined
          ? ' (no limit configured in LLM_LIMITS).'
          : ` against ${limit.tpm_max} TPM / ${limit.rpm_max} RPM configured.`),
      affected_components: [...f.agents],
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        provider: f.provider,
        model: f.model,
        rate_limited: f.rate_limited,
        calls: f.calls,
        peak_tpm: f.peak_tpm,
        peak_rpm: f.peak_rpm,
        tpm_max: limit?.tpm_max ?? null,
        rpm_max: limit?.rpm_max ?? null,
        tpm_utilization: limit === undefined ? null : round(tpmUse),
        rpm_utilization: limit === undefined ? null : round(rpmUse),
        last_rate_limited_ms: f.last_rate_limited_ms,
      },
      magnitude: f.rate_limited + Math.round(use * 10),
    });
  }
  return issues;
}

/** Dead letters in the window, per origin topic: poison that agents or producers keep sending. */
export function detectDlqGrowth(facts: readonly DeadLetterFact[], window: DiagnosisWindow): DetectedIssue[] {
  const byTopic = new Map<string, DeadLetterFact[]>();
  for (const f of facts) if (f.window_count > 0) byTopic.set(f.topic, [...(byTopic.get(f.topic) ?? []), f]);
  return [...byTopic.entries()].map(([topic, list]) => {
    const count = list.reduce((sum, f) => sum + f.window_count, 0);
    const baseline = list.reduce((sum, f) => sum + f.baseline_count, 0);
    const rate = count / window.minutes;
    const baselineRate = baseline / Math.max(1, baselineMinutes(window));
    const growing = baselineRate === 0 || rate >= 2 * baselineRate;
    const agent = agentOfQueueTopic(topic);
    return {
      id: `${IssueKind.DLQ_GROWTH}:${topic}`,
      kind: IssueKind.DLQ_GROWTH,
      category: 'error' as const,
      severity: growing && count >= 10 ? 'high' : 'medium',
      title: `${count} undecodable message${count === 1 ? '' : 's'} from ${topic} dead-lettered`,
      description: `Messages on ${topic} could not be decoded (${list.map((f) => `${f.error_code} ×${f.window_count}`).join(', ')}) and went to agent-telemetry-dlq${growing ? ', more than before the window' : ''}.`,
      affected_components: agent === undefined ? [topic] : [agent],
      related_trace_ids: [],
      evidence: {
        topic,
        dead_letters: count,
        baseline_dead_letters: baseline,
        error_codes: list.map((f) => f.error_code),
        last_ms: Math.max(...list.map((f) => f.last_ms)),
        sample_offsets: list.flatMap((f) => f.sample_offsets).slice(0, 10),
      },
      magnitude: count,
    };
  });
}
