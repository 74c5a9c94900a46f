import type { ApiError, ApiMessage } from '../read-models/shapes.js';
import type { TaskTime } from '../timing/breakdown.js';

/**
 * A trace as a waterfall: one row per task (a bar from sent to answered, split into queued and
 * working when the answer reports started_at), its LLM calls, the errors reported for it, and the
 * messages that are no task's answer (cancels, answers to tasks outside the trace). Rows are in tree
 * order: a task sent by an agent while it worked on another task comes right under that task.
 */

/** One LLM call as stored in `llm_calls`. */
export interface LlmCallFact {
  message_id: string;
  call_index: number;
  agent: string;
  model: string;
  latency_ms: number;
  status: string;
  task_id: string;
  at_ms: number;
}

export const WaterfallKind = {
  TASK: 'task',
  LLM_CALL: 'llm_call',
  ERROR: 'error',
  MESSAGE: 'message',
} as const;
export type WaterfallKind = (typeof WaterfallKind)[keyof typeof WaterfallKind];

export interface WaterfallRow {
  id: string;
  kind: WaterfallKind;
  /** The agent whose lane the row is on (the worker for a task). */
  agent: string;
  label: string;
  /** Nesting depth in the tree of tasks (0 = a root). */
  depth: number;
  parent_id: string | null;
  /** Milliseconds from the trace's start. */
  start_offset_ms: number;
  /** Null for a point in time (an error, a message) and for a task still open. */
  end_offset_ms: number | null;
  /** completed, failed, pending (tasks); the call's status (LLM calls); the severity (errors); the type (messages). */
  state: string;
  queued_ms: number | null;
  working_ms: number | null;
  llm_ms: number | null;
  detail: string | null;
}

export interface TraceWaterfall {
  trace_id: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  /** Agents in the order they first appear. */
  agents: string[];
  rows: WaterfallRow[];
  counts: { tasks: number; messages: number; errors: number; llm_calls: number };
  notes: string[];
}

export const LLM_PLACEMENT_NOTE =
  'LLM calls are drawn one after another, ending when the answer that reports them was sent: messages carry each call’s latency, not its start.';

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** The task an agent was working on when it sent `task`: same trace, worker = requester, open at that time. */
function parentOf(task: TaskTime, tasks: readonly TaskTime[]): TaskTime | undefined {
  const sent = ms(task.sent_at);
  if (sent === null) return undefined;
  let best: TaskTime | undefined;
  for (const t of tasks) {
    if (t === task || t.agent !== task.requester) continue;
    const start = ms(t.started_at) ?? ms(t.sent_at);
    const end = ms(t.answered_at) ?? Number.POSITIVE_INFINITY;
    if (start === null || start > sent || end < sent) continue;
    // the innermost: the latest start
    if (best === undefined || (ms(best.started_at) ?? ms(best.sent_at) ?? 0) < start) best = t;
  }
  return best;
}

export function buildWaterfall(
  traceId: string,
  tasks: readonly TaskTime[],
  messages: readonly ApiMessage[],
  errors: readonly ApiError[],
  calls: readonly LlmCallFact[],
): TraceWaterfall | undefined {
  const times: number[] = [];
  for (const t of tasks)
    for (const at of [t.sent_at, t.started_at, t.answered_at]) if (at !== null) times.push(Date.parse(at));
  for (const m of messages) times.push(Date.parse(m.timestamp));
  for (const e of errors) times.push(Date.parse(e.timestamp));
  for (const c of calls) times.push(c.at_ms - c.latency_ms);
  if (times.length === 0) return undefined;
  const t0 = Math.min(...times);
  const tEnd = Math.max(...times);
  const offset = (at: number): number => Math.max(0, at - t0);

  const taskIds = new Set(tasks.map((t) => t.task_id));
  const parents = new Map<string, string | null>();
  for (const t of tasks) parents.set(t.task_id, parentOf(t, tasks)?.task_id ?? null);
  const depthOf = (id: string, seen = new Set<string>()): number => {
    const parent = parents.get(id) ?? null;
    if (parent === null || seen.has(parent)) return 0;
    seen.add(id);
    return 1 + depthOf(parent, seen);
  };

  const children = new Map<string | null, WaterfallRow[]>();
  const add = (row: WaterfallRow) => {
    const list = children.get(row.parent_id) ?? [];
    list.push(row);
    children.set(row.parent_id, list);
  };

  for (const t of tasks) {
    const sent = ms(t.sent_at) ?? ms(t.started_at) ?? ms(t.answered_at) ?? t0;
    const answered = ms(t.answered_at);
    add({
      id: t.task_id,
      kind: WaterfallKind.TASK,
      agent: t.agent,
      label: `${t.requester} → ${t.agent}`,
      depth: depthOf(t.task_id),
      parent_id: parents.get(t.task_id) ?? null,
      start_offset_ms: offset(sent),
      end_offset_ms: answered === null ? null : offset(answered),
      state: t.state,
      queued_ms: t.queued_ms,
      working_ms: t.working_ms,
      llm_ms: t.llm_ms,
      detail: t.split === 'unknown' ? 'queue/work split unknown (no started_at)' : null,
    });
  }

  // calls of one answer, last call ending when the answer was sent
  const byAnswer = new Map<string, LlmCallFact[]>();
  for (const c of calls) {
    const list = byAnswer.get(c.message_id) ?? [];
    list.push(c);
    byAnswer.set(c.message_id, list);
  }
  for (const list of byAnswer.values()) {
    list.sort((a, b) => a.call_index - b.call_index);
    let end = list[0]?.at_ms ?? t0;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      if (c === undefined) continue;
      const parent = taskIds.has(c.task_id) ? c.task_id : null;
      add({
        id: `${c.message_id}#${c.call_index}`,
        kind: WaterfallKind.LLM_CALL,
        agent: c.agent,
        label: `LLM ${c.model}`,
        depth: parent === null ? 0 : depthOf(parent) + 1,
        parent_id: parent,
        start_offset_ms: offset(end - c.latency_ms),
        end_offset_ms: offset(end),
        state: c.status,
        queued_ms: null,
        working_ms: null,
        llm_ms: c.latency_ms,
        detail: null,
      });
      end -= c.latency_ms;
    }
  }

  for (const e of errors) {
    const parent = e.task_id !== null && taskIds.has(e.task_id) ? e.task_id : null;
    add({
      id: e.error_id,
      kind: WaterfallKind.ERROR,
      agent: e.agent_name,
      label: e.error_type,
      depth: parent === null ? 0 : depthOf(parent) + 1,
      parent_id: parent,
      start_offset_ms: offset(Date.parse(e.timestamp)),
      end_offset_ms: null,
      state: e.severity,
      queued_ms: null,
      working_ms: null,
      llm_ms: null,
      detail: e.error_message.slice(0, 200),
    });
  }

  // messages a task bar does not already show: cancels, answers to tasks outside the trace
  for (const m of messages) {
    if (m.message_type === 'task' || m.message_type === 'heartbeat') continue;
    const parent =
      m.parent_message_id !== null && taskIds.has(m.parent_message_id) ? m.parent_message_id : null;
    if (parent !== null && m.message_type !== 'cancel') continue;
    add({
      id: m.message_id,
      kind: WaterfallKind.MESSAGE,
      agent: m.source_agent,
      label: `${m.message_type} ${m.source_agent} → ${m.target_agent}`,
      depth: parent === null ? 0 : depthOf(parent) + 1,
      parent_id: parent,
      start_offset_ms: offset(Date.parse(m.timestamp)),
      end_offset_ms: null,
      state: m.message_type,
      queued_ms: null,
      working_ms: null,
      llm_ms: null,
      detail: m.reason,
    });
  }

  // tree order: each row followed by its children, siblings by start (tasks before their calls and errors at a tie)
  const order: Record<WaterfallKind, number> = { task: 0, message: 1, llm_call: 2, error: 3 };
  const rows: WaterfallRow[] = [];
  const visited = new Set<string | null>();
  const visit = (parent: string | null) => {
    if (visited.has(parent)) return;
    visited.add(parent);
    const list = (children.get(parent) ?? []).sort(
      (a, b) =>
        a.start_offset_ms - b.start_offset_ms || order[a.kind] - order[b.kind] || a.id.localeCompare(b.id),
    );
    for (const row of list) {
      rows.push(row);
      if (row.kind === WaterfallKind.TASK) visit(row.id);
    }
  };
  visit(null);
  // tasks whose parents point at each other (equal clocks) are reached from no root: shown last
  for (const parent of children.keys()) if (!visited.has(parent)) visit(parent);

  const agents: string[] = [];
  for (const row of [...rows].sort((a, b) => a.start_offset_ms - b.start_offset_ms))
    if (!agents.includes(row.agent)) agents.push(row.agent);
  return {
    trace_id: traceId,
    started_at: new Date(t0).toISOString(),
    ended_at: new Date(tEnd).toISOString(),
    duration_ms: tEnd - t0,
    agents,
    rows,
    counts: {
      tasks: tasks.length,
      messages: messages.filter((m) => m.message_type !== 'heartbeat').length,
      errors: errors.length,
      llm_calls: calls.length,
    },
    notes: calls.length > 0 ? [LLM_PLACEMENT_NOTE] : [],
  };
}
