import { agentOfQueueTopic } from '../../schemas/topics.js';
import { evaluateLag, type LagStatus, worstLagStatus } from './burrow.js';
import { distinct } from './detect-errors.js';
import {
  IssueKind,
  type AgentActivityFact,
  type ConsumerGroupFact,
  type DetectedIssue,
  type DetectorThresholds,
  type DiagnosisWindow,
  type IssueSeverity,
  type LagSeriesFact,
} from './types.js';

/** Detectors over liveness: dead and silent agents, consumer groups without members, lag trends. */

/**
 * How long an agent with work waiting may be silent before it is down, from its own beats: half an
 * interval longer than the longest gap it showed in the window (a late beat it already had), and
 * at least 1.5 intervals and 6 s. A regular 5 s beat is missed after 7.5 s; an agent whose beats
 * were once 7 s apart gets 9.5 s, and one that does not beat while it works (a blocking handler)
 * gets its longest task; `DIAGNOSIS_HEARTBEAT_TIMEOUT_S` still applies to all. The limit adapts to
 * the agent's arrival history instead of one fixed timeout (the idea of the phi accrual detectors
 * of Akka and Cassandra, reduced to the longest gap seen). 0 when the interval is unknown.
 */
export function ownSilenceLimitMs(intervalMs: number, longestGapMs = 0): number {
  if (intervalMs <= 0) return 0;
  return Math.max(1.5 * intervalMs, 6_000, longestGapMs + intervalMs / 2);
}

/**
 * An agent whose last heartbeat is older than `heartbeatTimeoutS` is dead when it still had work
 * (pending tasks or tasks sent to it in the window) or stopped within the baseline; an agent that
 * went quiet long ago with nothing addressed to it is retired, not dead. An agent that never sent a
 * heartbeat but is sent tasks and answers none is silent.
 */
export function detectDeadAgents(
  facts: readonly AgentActivityFact[],
  window: DiagnosisWindow,
  t: DetectorThresholds,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  const deadline = window.toMs - t.heartbeatTimeoutS * 1000;
  // the freshest message of any agent (a beat, a task, an answer): ingest delays every agent's
  // messages alike, so measuring against it does not take a lagging pipeline for dead agents
  const freshest = Math.max(0, ...facts.map((f) => Math.max(f.last_heartbeat_ms, f.last_sent_ms)));
  for (const f of facts) {
    const hasWork = f.pending_tasks > 0 || f.tasks_received_window > 0;
    const interval = f.heartbeat_interval_ms ?? 0;
    const silenceLimit = ownSilenceLimitMs(interval, f.heartbeat_longest_gap_ms);
    // an agent with work waiting that sent nothing (no beat, no other message) for longer than its
    // silence limit is down before the configured timeout. The silence runs to the freshest message
    // of any agent, or to the time by which its queue was known stored when the processors had
    // caught up; never past now, so a sender whose clock runs ahead makes nobody look silent
    const lastSign = Math.max(f.last_heartbeat_ms, f.last_sent_ms);
    const reference = Math.min(window.toMs, Math.max(freshest, f.queue_stored_through_ms ?? 0));
    const missedOwnBeats = f.pending_tasks > 0 && silenceLimit > 0 && lastSign < reference - silenceLimit;
    if (f.last_heartbeat_ms > 0 && (f.last_heartbeat_ms < deadline || missedOwnBeats)) {
      const recent = f.last_heartbeat_ms >= window.baselineFromMs;
      if (!hasWork && !recent) continue;
      const stoppedOnPurpose = f.last_state === 'stopping' || f.last_state === 'draining';
      const severity: IssueSeverity = hasWork ? 'critical' : stoppedOnPurpose ? 'low' : 'high';
      issues.push({
        id: `${IssueKind.DEAD_AGENT}:${f.agent}`,
        kind: IssueKind.DEAD_AGENT,
        category: 'connectivity',
        severity,
        title: `Agent ${f.agent} is down: no heartbeat for ${Math.round((window.toMs - f.last_heartbeat_ms) / 1000)} s`,
        description:
          `${f.agent} last sent a heartbeat at ${new Date(f.last_heartbeat_ms).toISOString()} (state "${f.last_state}")` +
          (hasWork
            ? `, while ${f.pending_tasks} task(s) wait for it and ${f.tasks_received_window} were sent to it in the window.`
            : stoppedOnPurpose
              ? '; it announced that it was stopping.'
              : '.'),
        affected_components: [f.agent],
        related_trace_ids: [],
        evidence: {
          last_heartbeat_ms: f.last_heartbeat_ms,
          last_state: f.last_state,
          heartbeat_timeout_s: t.heartbeatTimeoutS,
          heartbeat_interval_ms: interval,
          own_silence_limit_ms: silenceLimit,
          pending_tasks: f.pending_tasks,
          tasks_received_window: f.tasks_received_window,
          messages_sent_window: f.sent_window,
          last_sent_ms: f.last_sent_ms,
        },
        magnitude: f.pending_tasks + f.tasks_received_window,
      });
    } else if (
      f.last_heartbeat_ms === 0 &&
      f.tasks_received_window > 0 &&
      f.sent_window === 0 &&
      f.pending_tasks > 0
    ) {
      issues.push({
        id: `${IssueKind.SILENT_AGENT}:${f.agent}`,
        kind: IssueKind.SILENT_AGENT,
        category: 'connectivity',
        severity: 'high',
        title: `Agent ${f.agent} is silent: ${f.tasks_received_window} tasks sent to it, no answer and no heartbeat`,
        description: `${f.agent} has never sent a heartbeat and sent nothing in the window, while ${f.pending_tasks} task(s) wait for it: it is not running, or it consumes a different queue.`,
        affected_components: [f.agent],
        related_trace_ids: [],
        evidence: {
          tasks_received_window: f.tasks_received_window,
          pending_tasks: f.pending_tasks,
          messages_sent_window: 0,
        },
        magnitude: f.pending_tasks,
      });
    }
  }
  return issues;
}

/**
 * The agent's consumer group has no members while messages wait on its queue. A group that once
 * consumed (committed offsets), or an agent that once sent heartbeats, LOST its consumer: critical,
 * the work stops. A group that never committed, of an agent never seen alive, NEVER HAD a consumer:
 * tasks are addressed to an agent that is not deployed (or a misspelt name), a configuration issue
 * as large as the traffic sent to it.
 */
export function detectEmptyGroups(
  groups: readonly ConsumerGroupFact[],
  activity: readonly AgentActivityFact[] = [],
): DetectedIssue[] {
  return groups
    .filter((g) => g.members === 0 && g.lag > 0)
    .map((g): DetectedIssue => {
      const seen = activity.find((a) => a.agent === g.agent);
      const lost = g.ever_committed !== false || (seen !== undefined && seen.last_heartbeat_ms > 0);
      const evidence = {
        group_id: g.group_id,
        topic: g.topic,
        group_state: g.state,
        members: 0,
        lag: g.lag,
        ever_consumed: lost,
      };
      if (lost)
        return {
          id: `${IssueKind.CONSUMER_GROUP_EMPTY}:${g.agent}`,
          kind: IssueKind.CONSUMER_GROUP_EMPTY,
          category: 'connectivity',
          severity: 'critical',
          title: `${g.agent} lost its consumer: group ${g.group_id} has no members, ${g.lag} messages waiting`,
          description: `Consumer group ${g.group_id} (state ${g.state}) consumed ${g.topic} before and has no members now, so nothing reads it; ${g.lag} messages wait for ${g.agent}.`,
          affected_components: [g.agent],
          related_trace_ids: [],
          evidence,
          magnitude: g.lag,
        };
      return {
        id: `${IssueKind.NO_CONSUMER}:${g.agent}`,
        kind: IssueKind.NO_CONSUMER,
        category: 'configuration',
        severity: 'medium',
        title: `${g.agent} never had a consumer: ${g.lag} messages on ${g.topic} that nothing reads`,
        description: `Nothing has ever consumed ${g.topic} with group ${g.group_id} and ${g.agent} never sent a heartbeat: messages are sent to an agent that is not deployed, or under another name.`,
        affected_components: [g.agent],
        related_trace_ids: [],
        evidence,
        magnitude: g.lag,
      };
    });
}

const LAG_SEVERITY: Readonly<Partial<Record<LagStatus, IssueSeverity>>> = {
  WARN: 'medium',
  REWIND: 'medium',
  STALL: 'high',
  STOP: 'high',
};

/**
 * Burrow's rules per partition over the window's lag samples; one issue per agent group whose worst
 * partition is not OK. Only agents' own groups (`agent-<name>` on `agent-queue-<name>`) are judged.
 */
export function detectLag(series: readonly LagSeriesFact[]): DetectedIssue[] {
  const byGroup = new Map<
    string,
    { agent: string; topic: string; statuses: LagStatus[]; lag: number; growth: number }
  >();
  for (const s of series) {
    const agent = agentOfQueueTopic(s.topic);
    if (agent === undefined || s.group_id !== `agent-${agent}`) continue;
    const evaluation = evaluateLag(s.points);
    const entry = byGroup.get(s.group_id) ?? { agent, topic: s.topic, statuses: [], lag: 0, growth: 0 };
    entry.statuses.push(evaluation.status);
    entry.lag += evaluation.lag;
    entry.growth += evaluation.growth;
    byGroup.set(s.group_id, entry);
  }
  const issues: DetectedIssue[] = [];
  for (const [groupId, entry] of byGroup) {
    const status = worstLagStatus(entry.statuses);
    const severity = LAG_SEVERITY[status];
    if (severity === undefined) continue;
    const partitions = entry.statuses.filter((s) => s === status).length;
    issues.push({
      id: `${IssueKind.CONSUMER_LAG}:${entry.agent}`,
      kind: IssueKind.CONSUMER_LAG,
      category: 'performance',
      severity,
      title: `${entry.agent} is falling behind its queue: lag ${entry.lag} (${status})`,
      description: `Consumer group ${groupId} on ${entry.topic} is ${status} on ${partitions} partition(s) by Burrow's rules; lag changed by ${entry.growth} over the window.`,
      affected_components: [entry.agent],
      related_trace_ids: [],
      evidence: {
        group_id: groupId,
        topic: entry.topic,
        status,
        lag: entry.lag,
        lag_growth: entry.growth,
        partitions_in_status: partitions,
        statuses: distinct(entry.statuses),
      },
      magnitude: entry.lag,
    });
  }
  return issues;
}
