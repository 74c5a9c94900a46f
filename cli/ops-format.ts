import type { LiveEvent } from '../api/live-feed.js';
import type { AgentView } from '../api/read-models/agents.js';
import type { ErrorGroup } from '../api/read-models/errors.js';
import type { QueueView } from '../api/read-models/queues.js';
import type { ApiError } from '../api/read-models/shapes.js';
import type { TaskView } from '../api/read-models/tasks.js';
import type { TraceView } from '../api/read-models/traces.js';
import { isUnavailable } from '../lib/errors.js';

/**
 * Text for people at a terminal (tables, one line per event) and the exit codes scripts branch on.
 * Pure functions: the commands in commands-ops.ts fetch, these format and decide.
 */
export const ExitCode = {
  /** Healthy, or nothing found that needs attention. */
  OK: 0,
  /** Issues found: unhealthy status, errors, stuck tasks, a failed or unknown trace. */
  ISSUES: 1,
  /** Bad command line. */
  USAGE: 2,
  /** ClickHouse or Kafka could not be reached. */
  UNAVAILABLE: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Ends a command that failed because a dependency could not be reached (exit 3, the cause on
 * stderr); any other failure is thrown on.
 */
export function exitIfUnavailable(error: unknown, err: { write(text: string): unknown }): void {
  if (!isUnavailable(error)) throw error;
  err.write(`agent-telemetry: ${error.message}\n`);
  process.exitCode = ExitCode.UNAVAILABLE;
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(cell).join(',');
  return JSON.stringify(value);
};

/** A plain-text table; cells longer than `maxCell` are cut with an ellipsis. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  maxCell = 60,
): string {
  const text = rows.map((row) =>
    headers.map((_h, i) => {
      const value = cell(row[i]).replace(/\s+/g, ' ');
      return value.length > maxCell ? `${value.slice(0, maxCell - 1)}…` : value;
    }),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...text.map(line)].join('\n');
}

/** Seconds as a short age: 42s, 5m12s, 3h04m, 2d03h. */
export function age(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3_600)).padStart(2, '0')}h`;
}

export interface StatusVerdict {
  healthy: boolean;
  problems: string[];
}

/**
 * The agents worth showing: configured ones, and others with a heartbeat in the last hour, traffic
 * or errors in the window, or pending work (agents of long-finished runs stay out).
 */
export function relevantAgents(
  agents: readonly AgentView[],
  queues: readonly QueueView[],
  expected: readonly string[],
  nowMs: number,
): AgentView[] {
  const waiting = new Set(queues.filter((q) => q.pending_tasks > 0).map((q) => q.agent_name));
  return agents.filter(
    (a) =>
      expected.includes(a.agent_name) ||
      waiting.has(a.agent_name) ||
      a.tasks_received + a.results_sent + a.errors_sent + a.errors_reported > 0 ||
      (a.last_heartbeat !== null && nowMs - Date.parse(a.last_heartbeat) < 3_600_000),
  );
}

/** Unhealthy when an expected agent is silent or dead, or a queue's lag is ERR or a partition STOP/STALL. */
export function statusVerdict(
  queues: readonly QueueView[],
  agents: readonly AgentView[],
  expected: readonly string[],
): StatusVerdict {
  const problems: string[] = [];
  for (const agent of agents) {
    const known = expected.includes(agent.agent_name) || agent.liveness !== 'unknown';
    if (known && (agent.liveness === 'dead' || agent.liveness === 'silent')) {
      problems.push(
        `${agent.agent_name} is ${agent.liveness} (last heartbeat ${agent.last_heartbeat ?? 'never'})`,
      );
    }
  }
  for (const q of queues) {
    if (q.lag_status === 'ERR' || q.lag_partition_status === 'STOP' || q.lag_partition_status === 'STALL') {
      problems.push(
        `${q.agent_name}: consumer lag ${q.lag ?? '?'} (${q.lag_status}, worst partition ${q.lag_partition_status})`,
      );
    }
  }
  return { healthy: problems.length === 0, problems };
}

export function formatStatus(
  queues: readonly QueueView[],
  agents: readonly AgentView[],
  verdict: StatusVerdict,
): string {
  const byAgent = new Map(queues.map((q) => [q.agent_name, q]));
  const names = [...new Set([...agents.map((a) => a.agent_name), ...byAgent.keys()])].sort();
  const rows = names.map((name) => {
    const a = agents.find((v) => v.agent_name === name);
    const q = byAgent.get(name);
    return [
      name,
      a?.liveness ?? 'unknown',
      a?.heartbeat_state,
      a === undefined || a.in_flight === null ? '-' : `${a.in_flight}/${a.max_concurrency ?? '?'}`,
      q?.pending_tasks ?? 0,
      age(q?.oldest_pending_age_seconds ?? null),
      q?.lag ?? '-',
      q === undefined ? '-' : `${q.lag_status}/${q.lag_partition_status}`,
      a?.tasks_received ?? 0,
      a === undefined ? '-' : `${Math.round(a.error_rate * 100)}%`,
      a?.llm.rate_limited ?? 0,
    ];
  });
  const head = verdict.healthy ? 'healthy' : `UNHEALTHY: ${verdict.problems.length} problem(s)`;
  return [
    table(
      [
        'agent',
        'liveness',
        'state',
        'in flight',
        'pending',
        'oldest',
        'lag',
        'lag status',
        'tasks',
        'errors',
        'rate limited',
      ],
      rows,
    ),
    '',
    head,
    ...verdict.problems.map((p) => `  - ${p}`),
  ].join('\n');
}

export function formatErrors(errors: readonly ApiError[], total: number): string {
  if (errors.length === 0) return 'no errors';
  const rows = errors.map((e) => [
    e.timestamp.slice(0, 19).replace('T', ' '),
    e.severity,
    e.agent_name,
    e.error_type,
    e.error_message,
    e.trace_id,
    e.error_id,
  ]);
  return `${table(['time (UTC)', 'severity', 'agent', 'type', 'message', 'trace', 'error id'], rows, 48)}\n\n${errors.length} of ${total} error(s)`;
}

export function formatGroups(groups: readonly ErrorGroup[]): string {
  if (groups.length === 0) return 'no error groups';
  const rows = groups.map((g) => [
    g.count,
    g.trend.direction,
    g.severity,
    g.error_type,
    g.agents,
    g.sample_message,
    g.last_seen.slice(0, 19).replace('T', ' '),
    g.fingerprint,
  ]);
  return table(
    ['count', 'trend', 'severity', 'type', 'agents', 'sample', 'last seen (UTC)', 'fingerprint'],
    rows,
    48,
  );
}

export function formatPending(tasks: readonly TaskView[], stuckAfterSeconds: number): string {
  if (tasks.length === 0) return 'no pending tasks';
  const rows = tasks.map((t) => [
    t.age_seconds >= stuckAfterSeconds ? `${age(t.age_seconds)} STUCK` : age(t.age_seconds),
    t.agent_name,
    t.requester,
    t.priority,
    t.attempt,
    t.deadline,
    t.trace_id,
    t.task_id,
  ]);
  const stuck = tasks.filter((t) => t.age_seconds >= stuckAfterSeconds).length;
  return `${table(['age', 'agent', 'requester', 'priority', 'attempt', 'deadline', 'trace', 'task id'], rows)}\n\n${tasks.length} pending, ${stuck} older than ${age(stuckAfterSeconds)}`;
}

export interface DiagnosisDigest {
  system_status: string;
  health_score: number;
  system_summary: string;
  issues: {
    rank: number;
    severity: string;
    kind: string;
    title: string;
    affected_components: string[];
    suggested_actions: string[];
    related_trace_ids: string[];
  }[];
  suggested_actions: string[];
}

export function formatDiagnosis(d: DiagnosisDigest): string {
  const lines = [`${d.system_status.toUpperCase()} (health ${d.health_score}/100)`, d.system_summary, ''];
  if (d.issues.length > 0) {
    lines.push(
      table(
        ['#', 'severity', 'kind', 'title', 'agents', 'trace'],
        d.issues.map((i) => [
          i.rank,
          i.severity,
          i.kind,
          i.title,
          i.affected_components,
          i.related_trace_ids[0],
        ]),
        70,
      ),
    );
    lines.push('');
  }
  if (d.suggested_actions.length > 0) {
    lines.push('What to do:');
    d.suggested_actions.forEach((a, i) => lines.push(`  ${i + 1}. ${a}`));
  }
  return lines.join('\n').trimEnd();
}

export function formatTrace(trace: TraceView): string {
  const head = `trace ${trace.trace_id}: ${trace.status}, ${trace.message_count} message(s), ${trace.error_count} error(s), ${trace.duration_ms} ms, agents ${trace.agents.join(', ')}`;
  const rows = trace.timeline.map((t) => [
    `+${t.offset_ms}ms`,
    t.kind === 'error' ? 'ERROR' : (t.message?.message_type ?? 'message'),
    t.agent_name,
    t.summary,
  ]);
  return `${head}\n\n${table(['at', 'what', 'agent', 'summary'], rows, 100)}`;
}

/** One line per live record, as `watch` prints it, dated by the time it is stored under. */
export function formatLiveEvent(event: LiveEvent): string {
  if (event.kind === 'error') {
    const e = event.value;
    return `${new Date(event.timeMs).toISOString()} ERROR   ${e.severity} ${e.agent_name}: ${e.error_type}: ${e.error_message.replace(/\s+/g, ' ').slice(0, 160)} trace=${e.trace_id ?? '-'}`;
  }
  const m = event.value;
  const type = m.message_type.toUpperCase().padEnd(7);
  return `${new Date(event.timeMs).toISOString()} ${type} ${m.source_agent} → ${m.target_agent} id=${m.message_id}${m.reason === null || m.reason === '' ? '' : ` reason=${m.reason}`} trace=${m.trace_id}`;
}
