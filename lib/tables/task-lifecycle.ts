import type { ClickHouseReader, ClickHouseWriter } from '../clickhouse.js';
import { quoteString } from '../sql.js';

/**
 * `task_events` → `task_lifecycle` → `task_state` (migration 0002): the pending-task view. Writers
 * insert events; readers query the view's aggregate with the agent filter applied inside it, so the
 * primary key (agent, task_id) prunes the scan.
 */
export const TASK_EVENTS = 'task_events';
/** `task_lifecycle`: one row-set per (agent, task_id), folded from `task_events` (AggregatingMergeTree); the view `task_state` reads it. */
export const TASK_LIFECYCLE = 'task_lifecycle';
/** The materialized view that folds `task_events` into `task_lifecycle`. */
export const TASK_LIFECYCLE_MV = 'task_lifecycle_mv';
/** `task_state`: a view of one row per task and agent with its state, expiry evaluated at the server's clock. */
export const TASK_STATE = 'task_state';

/** Ranks stored in `resolved_key % 4`. */
export const ResolutionRank = { completed: 1, failed: 2, cancelled: 3 } as const;
export type Resolution = keyof typeof ResolutionRank;

export const PRIORITY_RANK = { low: 1, normal: 2, high: 3, critical: 4 } as const;

/** A task's own fields: what its TASK message gives, and what `task_lifecycle` keeps the max of. */
interface TaskFields {
  /**
   * The agent the row is filed under: a TASK's target agent; a resolution is filed under both agents of the
   * answering message.
   */
  agent: string;
  /** The task's message id (for a resolution, the answer's `parent_message_id`). */
  task_id: string;
  /** 1 on the row of the TASK message itself, 0 on a resolution row. */
  has_task: 0 | 1;
  /** The agent that sent the task (its `source_agent`); '' on resolution rows. */
  requester: string;
  /** The agent the task was sent to (its `target_agent`, the same as `agent`); '' on resolution rows. */
  target: string;
  /** Priority rank: 1 low, 2 normal, 3 high, 4 critical; 0 on resolution rows. */
  priority: number;
  /** The task's 1-based attempt number; 0 on resolution rows. */
  attempt: number;
  /** Retries the requester will make after this attempt fails; 0 on resolution rows. */
  max_retries: number;
  /** When the task was sent (its `sent_at_ms` in `message_log`, epoch ms); 0 on resolution rows. */
  submitted_at_ms: number;
  /**
   * `submitted_at_ms` + `ttl_seconds` × 1000 (epoch ms); 0 when the task never expires, and on resolution
   * rows.
   */
  expires_at_ms: number;
  /** The time the requester needs the answer by (epoch ms); 0 when none, and on resolution rows. */
  deadline_ms: number;
  /** The task's W3C trace id; '' on resolution rows. */
  trace_id: string;
  /** The end-to-end job the task belongs to; '' when none, and on resolution rows. */
  job_id: string;
}

const TASK_FIELDS = [
  'agent',
  'task_id',
  'has_task',
  'requester',
  'target',
  'priority',
  'attempt',
  'max_retries',
  'submitted_at_ms',
  'expires_at_ms',
  'deadline_ms',
  'trace_id',
  'job_id',
] as const satisfies readonly (keyof TaskFields)[];

export interface TaskEventRow extends TaskFields {
  /** resolved_at_ms * 4 + rank, or 0 for the task row. */
  resolved_key: number;
  /** The message id of the RESULT, ERROR or CANCEL that resolves the task; '' on the task row. */
  resolved_by: string;
  /** When the processors read the message (epoch ms). */
  observed_at_ms: number;
}

export const TASK_EVENT_COLUMNS = [
  ...TASK_FIELDS,
  'resolved_key',
  'resolved_by',
  'observed_at_ms',
] as const satisfies readonly (keyof TaskEventRow)[];

/**
 * A `task_lifecycle` row-set as `finalizeAggregation` (one stored row) or the -Merge functions (GROUP
 * BY agent, task_id) read it: max of every task field, the least `resolved_key` above 0 as
 * `resolution_key` (0: unresolved) and its `resolved_by`.
 */
export interface TaskLifecycleRow extends TaskFields {
  /**
   * minIfMerge: the earliest `resolved_key` above 0, resolved_at_ms × 4 + rank (`% 4`: 1 completed, 2
   * failed, 3 cancelled); 0 while unresolved.
   */
  resolution_key: number;
  /** argMinIfMerge: the message id of the answer that `resolution_key` comes from; '' while unresolved. */
  resolved_by: string;
}

export const TASK_LIFECYCLE_COLUMNS = [
  ...TASK_FIELDS,
  'resolution_key',
  'resolved_by',
] as const satisfies readonly (keyof TaskLifecycleRow)[];

/**
 * The event that resolves a task for one agent: a RESULT, ERROR or CANCEL seen at `resolvedAtMs`.
 * `resolved_key` orders resolutions by time, then by rank (a later or stronger one wins).
 */
export function resolutionEvent(options: {
  agent: string;
  taskId: string;
  resolvedAtMs: number;
  resolution: Resolution;
  resolvedBy: string;
  observedAtMs: number;
}): TaskEventRow {
  return {
    agent: options.agent,
    task_id: options.taskId,
    has_task: 0,
    requester: '',
    target: '',
    priority: 0,
    attempt: 0,
    max_retries: 0,
    submitted_at_ms: 0,
    expires_at_ms: 0,
    deadline_ms: 0,
    trace_id: '',
    job_id: '',
    resolved_key: options.resolvedAtMs * 4 + ResolutionRank[options.resolution],
    resolved_by: options.resolvedBy,
    observed_at_ms: options.observedAtMs,
  };
}

export function insertTaskEvents(writer: ClickHouseWriter, rows: readonly TaskEventRow[]): Promise<void> {
  return writer.insert(TASK_EVENTS, rows);
}

export const TaskStateValue = ['pending', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type TaskStateValue = (typeof TaskStateValue)[number];

export interface TaskStateRow {
  task_id: string;
  agent: string;
  requester: string;
  priority: 'low' | 'normal' | 'high' | 'critical';
  attempt: number;
  max_retries: number;
  submitted_at_ms: number;
  expires_at_ms: number;
  deadline_ms: number;
  trace_id: string;
  job_id: string;
  state: TaskStateValue;
  resolved_at_ms: number;
  latency_ms: number;
  resolved_by: string;
}

/** The columns of `task_state` a TaskStateRow holds: all but `target_agent`, which repeats `agent`. */
export const TASK_STATE_COLUMNS = [
  'task_id',
  'agent',
  'requester',
  'priority',
  'attempt',
  'max_retries',
  'submitted_at_ms',
  'expires_at_ms',
  'deadline_ms',
  'trace_id',
  'job_id',
  'state',
  'resolved_at_ms',
  'latency_ms',
  'resolved_by',
] as const satisfies readonly (keyof TaskStateRow)[];

/** 64-bit integers arrive as JSON strings from ClickHouse's JSON formats. */
type Wire<T, K extends keyof T> = Omit<T, K> & { [P in K]: string | number };
type TaskStateWire = Wire<
  TaskStateRow,
  'submitted_at_ms' | 'expires_at_ms' | 'deadline_ms' | 'resolved_at_ms' | 'latency_ms'
>;

export interface TaskQuery {
  agent?: string;
  /** Any of these agents (with `agent`, both must hold). */
  agents?: readonly string[];
  states?: readonly TaskStateValue[];
  taskIds?: readonly string[];
  /** Only tasks of at least this priority rank (PRIORITY_RANK). */
  minPriorityRank?: number;
  /** Only tasks submitted at or before this instant (epoch ms). */
  submittedBeforeMs?: number;
  traceId?: string;
  /** At most this many tasks per agent (the oldest first), before `limit`. */
  limitPerAgent?: number;
  /** Evaluate expiry at this instant (epoch ms); defaults to the server's clock. */
  nowMs?: number;
  limit?: number;
}

/**
 * Every pending task among those the conditions on key columns (`where`) leave, at the instant
 * `now` (SQL), with the columns of `queryTasks`.
 *
 * Without merging every task's states: a stored row is a partial aggregate of its key, and the row
 * that carries the task (has_task) carries every field of it. A task can be pending only if such a
 * row has no resolution and is not past its expiry: those rows' task ids are found first, reading
 * three narrow state columns of every row. Only the keys of those ids are then merged (GROUP BY),
 * so a resolution in another row of the key, not yet merged with it, counts. Exact whatever the
 * merges have done, and it groups the few open tasks instead of every task ever seen. (Excluding
 * the keys with a resolution row by `NOT IN` instead, and reading the open rows' fields with
 * `finalizeAggregation`, cost more: the pending overview of 850,000 tasks took 475 to 517 against
 * 323 to 377 ms of ClickHouse CPU, ClickHouse 18.16, three runs of eight each.)
 */
export function openTaskRows(where: readonly string[], now: string): string {
  const scope = where.map((condition) => `${condition} AND `).join('');
  const open = `finalizeAggregation(has_task) = 1 AND finalizeAggregation(resolution_key) = 0
    AND NOT (finalizeAggregation(expires_at_ms) > 0 AND finalizeAggregation(expires_at_ms) <= ${now})`;
  // the inner aliases differ from the columns: an alias named like a column would shadow it
  return `
    SELECT task_id, agent, f_requester AS requester, ['low', 'normal', 'high', 'critical'][f_priority] AS priority,
           f_priority AS priority_rank, f_attempt AS attempt, f_max_retries AS max_retries,
           f_submitted AS submitted_at_ms, f_expires AS expires_at_ms, f_deadline AS deadline_ms,
           f_trace AS trace_id, f_job AS job_id, 'pending' AS state, toUInt64(0) AS resolved_at_ms,
           toInt64(-1) AS latency_ms, '' AS resolved_by
    FROM (
      SELECT agent, task_id, maxMerge(requester) AS f_requester, maxMerge(priority) AS f_priority,
             maxMerge(attempt) AS f_attempt, maxMerge(max_retries) AS f_max_retries,
             maxMerge(submitted_at_ms) AS f_submitted, maxMerge(expires_at_ms) AS f_expires,
             maxMerge(deadline_ms) AS f_deadline, maxMerge(trace_id) AS f_trace, maxMerge(job_id) AS f_job
      FROM ${TASK_LIFECYCLE}
      PREWHERE ${scope} task_id IN (SELECT task_id FROM ${TASK_LIFECYCLE} PREWHERE ${scope} ${open})
      GROUP BY agent, task_id
      HAVING maxMerge(has_task) = 1 AND minIfMerge(resolution_key) = 0
        AND NOT (f_expires > 0 AND f_expires <= ${now}))`;
}

/**
 * Tasks with their current state, oldest first. The agent and id filters are applied before the
 * aggregation (they are key columns), the state filter after it. Ids are also a PREWHERE: the key
 * range of one task spans a granule (1,024 row-sets, migration 0012) in every part, and the
 * aggregate columns are then read only where the id is (half the CPU of a lookup by id on 1M tasks
 * under ingest).
 */
export async function queryTasks(reader: ClickHouseReader, query: TaskQuery = {}): Promise<TaskStateRow[]> {
  const where: string[] = [];
  if (query.agent !== undefined) where.push(`agent = ${quoteString(query.agent)}`);
  if (query.agents !== undefined) {
    if (query.agents.length === 0) return [];
    where.push(`agent IN (${query.agents.map(quoteString).join(', ')})`);
  }
  let byId: string | undefined;
  if (query.taskIds !== undefined) {
    if (query.taskIds.length === 0) return [];
    byId = `task_id IN (${query.taskIds.map(quoteString).join(', ')})`;
    where.push(byId);
  }
  const now =
    query.nowMs === undefined
      ? 'toUInt64(toUnixTimestamp(now())) * 1000'
      : `toUInt64(${Math.trunc(query.nowMs)})`;
  // conditions on a task's fields, the same for a pending row and a merged task
  const fields: string[] = [];
  if (query.minPriorityRank !== undefined)
    fields.push(`priority_rank >= ${Math.trunc(query.minPriorityRank)}`);
  if (query.submittedBeforeMs !== undefined) {
    fields.push(`submitted_at_ms <= ${Math.max(0, Math.trunc(query.submittedBeforeMs))}`);
  }
  if (query.traceId !== undefined) fields.push(`trace_id = ${quoteString(query.traceId)}`);
  const order = `ORDER BY submitted_at_ms, task_id
    ${query.limitPerAgent === undefined ? '' : `LIMIT ${Math.max(0, Math.trunc(query.limitPerAgent))} BY agent`}
    ${query.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.trunc(query.limit))}`}`;
  // pending tasks are found among the open rows (openTaskRows), without merging every task
  if (query.taskIds === undefined && query.states?.length === 1 && query.states[0] === 'pending') {
    return toTaskStates(
      await reader.query<TaskStateWire>(`
        SELECT ${TASK_STATE_COLUMNS.join(', ')}
        FROM (${openTaskRows(where, now)})
        ${fields.length > 0 ? `WHERE ${fields.join(' AND ')}` : ''}
        ${order}`),
    );
  }
  const after = [
    ...(query.states !== undefined && query.states.length > 0
      ? [`state IN (${query.states.map(quoteString).join(', ')})`]
      : []),
    ...fields,
  ];
  const filters = after.map((condition) => `AND ${condition}`).join(' ');
  const state = `multiIf(resolution_key % 4 = 1, 'completed', resolution_key % 4 = 2, 'failed',
                   resolution_key % 4 = 3, 'cancelled',
                   expires_at_ms > 0 AND expires_at_ms <= ${now}, 'expired', 'pending')`;
  const sql = `
    SELECT task_id, agent, requester, ['low', 'normal', 'high', 'critical'][priority_rank] AS priority, attempt,
           max_retries, submitted_at_ms, expires_at_ms, deadline_ms, trace_id, job_id,
           ${state} AS state,
           if(resolution_key > 0, intDiv(resolution_key, 4), if(state = 'expired', expires_at_ms, 0)) AS resolved_at_ms,
           if(resolved_at_ms > 0, toInt64(resolved_at_ms) - toInt64(submitted_at_ms), -1) AS latency_ms,
           resolved_by
    FROM (
      SELECT agent, task_id, maxMerge(has_task) AS has_task_merged, maxMerge(requester) AS requester,
             maxMerge(priority) AS priority_rank, maxMerge(attempt) AS attempt, maxMerge(max_retries) AS max_retries,
             maxMerge(submitted_at_ms) AS submitted_at_ms, maxMerge(expires_at_ms) AS expires_at_ms,
             maxMerge(deadline_ms) AS deadline_ms, maxMerge(trace_id) AS trace_id, maxMerge(job_id) AS job_id,
             minIfMerge(resolution_key) AS resolution_key, argMinIfMerge(resolved_by) AS resolved_by
      FROM ${TASK_LIFECYCLE}
      ${byId === undefined ? '' : `PREWHERE ${byId}`}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY agent, task_id
    )
    WHERE has_task_merged = 1 ${filters}
    ${order}`;
  return toTaskStates(await reader.query<TaskStateWire>(sql));
}

function toTaskStates(rows: readonly TaskStateWire[]): TaskStateRow[] {
  return rows.map((row) => ({
    ...row,
    submitted_at_ms: Number(row.submitted_at_ms),
    expires_at_ms: Number(row.expires_at_ms),
    deadline_ms: Number(row.deadline_ms),
    resolved_at_ms: Number(row.resolved_at_ms),
    latency_ms: Number(row.latency_ms),
  }));
}

/** Every agent's pending tasks: how many, and the oldest of them. */
export interface PendingOverview {
  /** Pending tasks per agent (agents without one are absent). */
  counts: Map<string, number>;
  /** Each agent's oldest pending tasks (at most `perAgent`), oldest first across agents. */
  oldest: TaskStateRow[];
}

/** The columns of a pending task as `queryPendingOverview` packs them into a tuple, in this order. */
const PENDING_TUPLE = [
  'task_id',
  'requester',
  'priority',
  'attempt',
  'max_retries',
  'submitted_at_ms',
  'expires_at_ms',
  'deadline_ms',
  'trace_id',
  'job_id',
] as const satisfies readonly (keyof TaskStateRow)[];

type PendingTuple = [
  string,
  string,
  TaskStateRow['priority'],
  number,
  number,
  string | number,
  string | number,
  string | number,
  string,
  string,
];

/**
 * Pending counts per agent and each agent's oldest `perAgent` pending tasks (by submission, then id),
 * at `nowMs`: one pass over the open tasks (openTaskRows) answers both, where a count and a list
 * would each make it.
 */
export async function queryPendingOverview(
  reader: ClickHouseReader,
  nowMs: number,
  perAgent: number,
): Promise<PendingOverview> {
  const submitted = PENDING_TUPLE.indexOf('submitted_at_ms') + 1;
  const rows = await reader.query<{ agent: string; pending: string | number; oldest: PendingTuple[] }>(`
    SELECT agent, count() AS pending,
           arraySlice(arraySort(x -> (tupleElement(x, ${submitted}), tupleElement(x, 1)),
             groupArray((${PENDING_TUPLE.join(', ')}))), 1, ${Math.max(0, Math.trunc(perAgent))}) AS oldest
    FROM (${openTaskRows([], `toUInt64(${Math.trunc(nowMs)})`)})
    GROUP BY agent`);
  const oldest = rows.flatMap((row) =>
    row.oldest.map(
      ([
        task_id,
        requester,
        priority,
        attempt,
        max_retries,
        submittedAt,
        expires,
        deadline,
        trace_id,
        job_id,
      ]) => ({
        task_id,
        agent: row.agent,
        requester,
        priority,
        attempt,
        max_retries,
        submitted_at_ms: Number(submittedAt),
        expires_at_ms: Number(expires),
        deadline_ms: Number(deadline),
        trace_id,
        job_id,
        state: 'pending' as const,
        resolved_at_ms: 0,
        latency_ms: -1,
        resolved_by: '',
      }),
    ),
  );
  oldest.sort((a, b) =>
    a.submitted_at_ms !== b.submitted_at_ms
      ? a.submitted_at_ms - b.submitted_at_ms
      : a.task_id < b.task_id
        ? -1
        : a.task_id > b.task_id
          ? 1
          : 0,
  );
  return { counts: new Map(rows.map((row) => [row.agent, Number(row.pending)])), oldest };
}
