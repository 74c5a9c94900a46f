import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { ERROR_FACTS } from '../../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../../lib/tables/error-groups.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import type {
  AgentErrorFact,
  CriticalErrorFact,
  DiagnosisWindow,
  ErrorGroupFact,
  RetryFact,
  TraceErrorFact,
} from './types.js';

/**
 * Queries that fetch the error facts of a window from `error_facts` and `error_groups`. Distinct
 * error ids are counted (`uniqExact`), so redelivered rows not yet merged never inflate a count.
 * Every list is bounded (LIMIT, arraySlice).
 */

/** 64-bit integers arrive as strings in ClickHouse's JSON output. */
export type Wire<T> = { [K in keyof T]: T[K] extends number ? number | string : T[K] };
export const num = (value: number | string | undefined): number => Number(value ?? 0);

export function inWindow(column: string, w: DiagnosisWindow): string {
  return `${column} >= ${quoteNumber(Math.floor(w.fromMs))} AND ${column} < ${quoteNumber(Math.ceil(w.toMs))}`;
}

export function inBaselineAndWindow(column: string, w: DiagnosisWindow): string {
  return `${column} >= ${quoteNumber(Math.floor(w.baselineFromMs))} AND ${column} < ${quoteNumber(Math.ceil(w.toMs))}`;
}

/** Error types that mean "rate limited" whatever their category (also HTTP 429, see below). */
export const RATE_LIMIT_ERROR_TYPES = ['RateLimitError', 'RateLimitExceeded', 'TooManyRequests'] as const;

export const isRateLimitErrorSql = `(http_status = 429 OR error_code = '429' OR error_type IN (${RATE_LIMIT_ERROR_TYPES.map(quoteString).join(', ')}))`;

export async function fetchAgentErrors(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<AgentErrorFact[]> {
  const from = quoteNumber(Math.floor(w.fromMs));
  const [totals, categories] = await Promise.all([
    reader.query<Wire<Omit<AgentErrorFact, 'by_category'>>>(`
      SELECT agent_name AS agent,
             uniqExactIf(error_id, timestamp_ms >= ${from}) AS window_errors,
             uniqExactIf(error_id, timestamp_ms < ${from}) AS baseline_errors,
             arraySlice(groupUniqArrayIf(trace_id, timestamp_ms >= ${from} AND trace_id != ''), 1, 10) AS trace_ids,
             minIf(timestamp_ms, timestamp_ms >= ${from}) AS first_ms,
             maxIf(timestamp_ms, timestamp_ms >= ${from}) AS last_ms
      FROM ${ERROR_FACTS}
      WHERE ${inBaselineAndWindow('timestamp_ms', w)}
      GROUP BY agent_name
      HAVING window_errors > 0
      ORDER BY window_errors DESC
      LIMIT 500`),
    reader.query<{ agent: string; category: string; n: number | string }>(`
      SELECT agent_name AS agent, toString(category) AS category, uniqExact(error_id) AS n
      FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)}
      GROUP BY agent_name, category
      LIMIT 5000`),
  ]);
  return totals.map((row) => ({
    agent: row.agent,
    window_errors: num(row.window_errors),
    baseline_errors: num(row.baseline_errors),
    by_category: Object.fromEntries(
      categories.filter((c) => c.agent === row.agent).map((c) => [c.category, num(c.n)]),
    ),
    trace_ids: row.trace_ids,
    first_ms: num(row.first_ms),
    last_ms: num(row.last_ms),
  }));
}

const SEVERITY_BY_RANK = ['', 'critical', 'error', 'warning', 'info'] as const;

/** The groups with errors in the window (busiest first, at most `limit`), with their all-time facts. */
export async function fetchErrorGroups(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  limit = 200,
): Promise<ErrorGroupFact[]> {
  const counts = await reader.query<{ fingerprint: string; n: number | string }>(`
    SELECT fingerprint, uniqExact(error_id) AS n FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)}
    GROUP BY fingerprint ORDER BY n DESC, fingerprint LIMIT ${quoteNumber(limit)}`);
  if (counts.length === 0) return [];
  const groups = await reader.query<{
    fingerprint: string;
    error_type: string;
    category: string;
    top_severity: number;
    agents: string[];
    total_count: number | string;
    first_seen_ms: number | string;
    last_seen_ms: number | string;
    sample_error_id: string;
    sample_message: string;
    sample_trace_id: string;
  }>(`
    SELECT fingerprint, argMaxMerge(error_type) AS error_type, argMaxMerge(category) AS category,
           minMerge(top_severity) AS top_severity, groupUniqArrayMerge(agents) AS agents,
           uniqExactMerge(error_count) AS total_count, minMerge(first_seen_ms) AS first_seen_ms,
           maxMerge(last_seen_ms) AS last_seen_ms, argMaxMerge(sample_error_id) AS sample_error_id,
           argMaxMerge(sample_message) AS sample_message, argMaxMerge(sample_trace_id) AS sample_trace_id
    FROM ${ERROR_GROUPS} WHERE fingerprint IN (${counts.map((c) => quoteString(c.fingerprint)).join(', ')})
    GROUP BY fingerprint`);
  const byFingerprint = new Map(groups.map((g) => [g.fingerprint, g]));
  return counts.flatMap((c) => {
    const g = byFingerprint.get(c.fingerprint);
    if (g === undefined) return [];
    return [
      {
        fingerprint: g.fingerprint,
        error_type: g.error_type,
        category: g.category,
        top_severity: SEVERITY_BY_RANK[g.top_severity] ?? 'error',
        agents: [...g.agents].sort(),
        window_count: num(c.n),
        total_count: num(g.total_count),
        first_seen_ms: num(g.first_seen_ms),
        last_seen_ms: num(g.last_seen_ms),
        sample_error_id: g.sample_error_id,
        sample_message: g.sample_message,
        sample_trace_id: g.sample_trace_id,
      },
    ];
  });
}

export async function fetchCriticalErrors(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<CriticalErrorFact[]> {
  const rows = await reader.query<Wire<CriticalErrorFact>>(`
    SELECT agent_name AS agent, uniqExact(error_id) AS count,
           arraySlice(groupUniqArray(error_type), 1, 10) AS error_types,
           arraySlice(groupUniqArray(error_id), 1, 10) AS error_ids,
           arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 10) AS trace_ids,
           min(timestamp_ms) AS first_ms, max(timestamp_ms) AS last_ms,
           argMax(error_message, timestamp_ms) AS sample_message
    FROM ${ERROR_FACTS} WHERE severity = 'critical' AND ${inWindow('timestamp_ms', w)}
    GROUP BY agent_name ORDER BY count DESC LIMIT 100`);
  return rows.map((r) => ({ ...r, count: num(r.count), first_ms: num(r.first_ms), last_ms: num(r.last_ms) }));
}

/** Traces whose errors in the window come from at least two agents, agents in order of first error. */
export async function fetchTraceErrors(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<TraceErrorFact[]> {
  const rows = await reader.query<Wire<TraceErrorFact>>(`
    SELECT trace_id, arrayMap(x -> tupleElement(x, 2), arraySort(groupArray((agent_first_ms, agent_name)))) AS agents,
           sum(n) AS errors, min(agent_first_ms) AS first_ms, max(agent_last_ms) AS last_ms
    FROM (
      SELECT trace_id, agent_name, min(timestamp_ms) AS agent_first_ms, max(timestamp_ms) AS agent_last_ms,
             uniqExact(error_id) AS n
      FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)} AND trace_id != ''
      GROUP BY trace_id, agent_name
    )
    GROUP BY trace_id HAVING count() >= 2
    ORDER BY count() DESC, errors DESC, trace_id LIMIT 200`);
  return rows.map((r) => ({
    ...r,
    errors: num(r.errors),
    first_ms: num(r.first_ms),
    last_ms: num(r.last_ms),
  }));
}

/**
 * Repeated work: errors of one task (DetailedError.task_id), retried errors of one fingerprint
 * (retry_count > 0), and TASK messages re-sent with attempt > 1 within one trace.
 */
export async function fetchRetries(reader: ClickHouseReader, w: DiagnosisWindow): Promise<RetryFact[]> {
  type Row = Wire<Omit<RetryFact, 'key_kind' | 'requester'>> & { requester?: string };
  const [tasks, fingerprints, resent] = await Promise.all([
    reader.query<Row>(`
      SELECT agent_name AS agent, task_id AS key, uniqExact(error_id) AS attempts, max(retry_count) AS max_retry_count,
             arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 5) AS trace_ids,
             min(timestamp_ms) AS first_ms, max(timestamp_ms) AS last_ms
      FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)} AND task_id != ''
      GROUP BY agent_name, task_id HAVING attempts >= 2 ORDER BY attempts DESC LIMIT 200`),
    reader.query<Row>(`
      SELECT agent_name AS agent, fingerprint AS key, uniqExact(error_id) AS attempts, max(retry_count) AS max_retry_count,
             arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 5) AS trace_ids,
             min(timestamp_ms) AS first_ms, max(timestamp_ms) AS last_ms
      FROM ${ERROR_FACTS} WHERE ${inWindow('timestamp_ms', w)} AND retry_count > 0
      GROUP BY agent_name, fingerprint HAVING attempts >= 2 ORDER BY attempts DESC LIMIT 200`),
    reader.query<Row>(`
      SELECT target_agent AS agent, trace_id AS key, any(source_agent) AS requester, greatest(uniqExact(message_id), toUInt64(max(attempt))) AS attempts,
             max(attempt) - 1 AS max_retry_count,
             [trace_id] AS trace_ids, min(sent_at_ms) AS first_ms, max(sent_at_ms) AS last_ms
      FROM ${MESSAGE_LOG} WHERE ${inWindow('sent_at_ms', w)} AND message_type = 'task' AND trace_id != ''
      GROUP BY target_agent, trace_id HAVING max(attempt) >= 2 ORDER BY attempts DESC LIMIT 200`),
  ]);
  const map =
    (kind: RetryFact['key_kind']) =>
    (r: Row): RetryFact => ({
      agent: r.agent,
      key_kind: kind,
      key: r.key,
      requester: r.requester ?? '',
      attempts: num(r.attempts),
      max_retry_count: num(r.max_retry_count),
      trace_ids: r.trace_ids,
      first_ms: num(r.first_ms),
      last_ms: num(r.last_ms),
    });
  return [...tasks.map(map('task')), ...fingerprints.map(map('fingerprint')), ...resent.map(map('trace'))];
}
