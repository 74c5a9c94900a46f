import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { ERROR_FACTS } from '../../lib/tables/error-facts.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { inWindow, num } from './facts-errors.js';
import type { DiagnosisWindow } from './types.js';

/** Context of the diagnosis bundle beyond the issues: recent errors, totals and slow traces. */

export interface RecentError {
  error_id: string;
  timestamp: string;
  severity: string;
  category: string;
  error_type: string;
  error_message: string;
  agent_name: string;
  operation: string;
  trace_id: string;
  task_id: string;
  fingerprint: string;
  is_retryable: boolean;
  retry_count: number;
}

export async function fetchRecentErrors(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  limit = 20,
): Promise<RecentError[]> {
  const rows = await reader.query<
    Omit<RecentError, 'timestamp' | 'is_retryable'> & { timestamp_ms: number | string; is_retryable: number }
  >(`
    SELECT error_id, timestamp_ms, toString(severity) AS severity, toString(category) AS category, error_type,
           substring(error_message, 1, 500) AS error_message, agent_name, operation, trace_id, task_id, fingerprint,
           is_retryable, retry_count
    FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)}
    ORDER BY timestamp_ms DESC, error_id LIMIT 1 BY error_id LIMIT ${String(Math.trunc(limit))}`);
  return rows.map(({ timestamp_ms, is_retryable, ...rest }) => ({
    ...rest,
    timestamp: new Date(num(timestamp_ms)).toISOString(),
    is_retryable: is_retryable === 1,
  }));
}

export interface WindowTotals {
  errors: number;
  messages: number;
  tasks: number;
}

export async function fetchTotals(reader: ClickHouseReader, w: DiagnosisWindow): Promise<WindowTotals> {
  const [errors, messages] = await Promise.all([
    reader.query<{ n: number | string }>(
      `SELECT uniqExact(error_id) AS n FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)}`,
    ),
    reader.query<{ n: number | string; tasks: number | string }>(`
      SELECT uniqExact(message_id) AS n, uniqExactIf(message_id, message_type = 'task') AS tasks
      FROM ${MESSAGE_LOG} WHERE ${inWindow('sent_at_ms', w)}`),
  ]);
  return { errors: num(errors[0]?.n), messages: num(messages[0]?.n), tasks: num(messages[0]?.tasks) };
}

export interface SlowTrace {
  trace_id: string;
  duration_ms: number;
  started_at: string;
  ended_at: string;
  messages: number;
  agents: string[];
  errors: number;
}

/** The traces of the window that took longest from their first to their last message. */
export async function fetchSlowTraces(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  limit = 10,
): Promise<SlowTrace[]> {
  const rows = await reader.query<{
    trace_id: string;
    first_ms: number | string;
    last_ms: number | string;
    messages: number | string;
    agents: string[];
    errors: number | string;
  }>(`
    SELECT trace_id, min(sent_at_ms) AS first_ms, max(sent_at_ms) AS last_ms, uniqExact(message_id) AS messages,
           groupUniqArray(target_agent) AS agents, uniqExactIf(message_id, message_type = 'error') AS errors
    FROM ${MESSAGE_LOG} WHERE ${inWindow('sent_at_ms', w)} AND trace_id != ''
    GROUP BY trace_id HAVING messages > 1
    ORDER BY last_ms - first_ms DESC, trace_id LIMIT ${String(Math.trunc(limit))}`);
  return rows.map((r) => ({
    trace_id: r.trace_id,
    duration_ms: num(r.last_ms) - num(r.first_ms),
    started_at: new Date(num(r.first_ms)).toISOString(),
    ended_at: new Date(num(r.last_ms)).toISOString(),
    messages: num(r.messages),
    agents: [...r.agents].sort(),
    errors: num(r.errors),
  }));
}
