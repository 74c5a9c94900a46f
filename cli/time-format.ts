import type { AgentTime, PartStats, TaskTime } from '../api/timing/breakdown.js';
import type { TraceTime } from '../api/timing/read-model.js';
import { table } from './ops-format.js';

/** Text of `agent-telemetry time`: where tasks' time went. Pure, like ops-format.ts. */

/** Milliseconds as people read them: 850ms, 4.2s, 3m05s. */
export function duration(ms: number | null): string {
  if (ms === null) return '?';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const part = (p: PartStats | null): string =>
  p === null ? '?' : `${duration(p.p50_ms)} / ${duration(p.p95_ms)}`;
const pct = (share: number | null): string => (share === null ? '?' : `${Math.round(share * 100)}%`);

export function formatAgentTimes(agents: readonly AgentTime[], minutes: number): string {
  if (agents.length === 0) return `No task was answered in the last ${minutes} minutes.`;
  const rows = agents.map((a) => [
    a.agent,
    a.tasks,
    a.split_unknown,
    part(a.queued),
    part(a.working),
    part(a.llm),
    part(a.other),
    pct(a.llm_share),
  ]);
  const unknown = agents.some((a) => a.split_unknown > 0)
    ? '\n? = unknown: answers without started_at (older or other producers) are left out of queued/working/other.'
    : '';
  return (
    `Where tasks' time went, last ${minutes} minutes (p50 / p95):\n` +
    table(['AGENT', 'TASKS', 'UNKNOWN', 'QUEUED', 'WORKING', 'LLM', 'OTHER', 'LLM SHARE'], rows) +
    unknown
  );
}

function taskLine(t: TaskTime): unknown[] {
  return [
    t.task_id,
    t.agent,
    t.state,
    duration(t.total_ms),
    duration(t.queued_ms),
    duration(t.working_ms),
    duration(t.llm_ms),
    duration(t.other_ms),
    t.split,
  ];
}

const TASK_HEADERS = ['TASK', 'AGENT', 'STATE', 'TOTAL', 'QUEUED', 'WORKING', 'LLM', 'OTHER', 'SPLIT'];

export function formatTaskTime(t: TaskTime): string {
  const notes = t.notes.map((n) => `note: ${n}`).join('\n');
  return table(TASK_HEADERS, [taskLine(t)], 80) + (notes === '' ? '' : `\n${notes}`);
}

export function formatTraceTime(trace: TraceTime): string {
  const { totals } = trace;
  return (
    `Trace ${trace.trace_id}: ${trace.tasks.length} tasks; over the ${totals.split_known} with a known split ` +
    `queued ${duration(totals.queued_ms)}, working ${duration(totals.working_ms)} (LLM ${duration(totals.llm_ms)}, other ${duration(totals.other_ms)})` +
    (totals.split_unknown > 0 ? `; ${totals.split_unknown} unknown (no started_at)` : '') +
    '\n' +
    table(TASK_HEADERS, trace.tasks.map(taskLine), 40)
  );
}
