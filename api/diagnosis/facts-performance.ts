import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { DEAD_LETTERS } from '../../lib/tables/dead-letters.js';
import { ERROR_FACTS } from '../../lib/tables/error-facts.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { inBaselineAndWindow, inWindow, isRateLimitErrorSql, num } from './facts-errors.js';
import type { DeadLetterFact, DiagnosisWindow, LlmUsageFact, TimeoutFact } from './types.js';

/** Queries over task latency, timeouts, LLM usage and dead letters. */

/** Timeout errors and LLM timeouts per agent in the window; expired tasks are merged in by the caller. */
export async function fetchTimeouts(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  expired: ReadonlyMap<string, { count: number; trace_ids: string[] }> = new Map(),
): Promise<TimeoutFact[]> {
  // a timeout about a task the agent itself sent is a requester giving up on another agent
  const tasksSent = `SELECT source_agent, message_id FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND ${inBaselineAndWindow('sent_at_ms', w)}`;
  const [errors, calls] = await Promise.all([
    reader.query<{ agent: string; n: number | string; trace_ids: string[]; error_ids: string[] }>(`
      SELECT agent_name AS agent, uniqExact(error_id) AS n,
             arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 10) AS trace_ids,
             arraySlice(groupUniqArray(error_id), 1, 10) AS error_ids
      FROM ${ERROR_FACTS} WHERE category = 'timeout_error' AND ${inWindow('timestamp_ms', w)}
        AND (agent_name, task_id) NOT IN (${tasksSent})
      GROUP BY agent_name LIMIT 10000`),
    reader.query<{ agent: string; n: number | string; trace_ids: string[] }>(`
      SELECT agent, uniqExact(message_id, call_index) AS n,
             arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 10) AS trace_ids
      FROM ${LLM_CALLS} WHERE status = 'timeout' AND ${inWindow('at_ms', w)}
      GROUP BY agent LIMIT 10000`),
  ]);
  const agents = new Set([...errors.map((e) => e.agent), ...calls.map((c) => c.agent), ...expired.keys()]);
  return [...agents].sort().map((agent) => {
    const e = errors.find((x) => x.agent === agent);
    const c = calls.find((x) => x.agent === agent);
    const x = expired.get(agent);
    return {
      agent,
      timeout_errors: num(e?.n),
      llm_timeouts: num(c?.n),
      expired_tasks: x?.count ?? 0,
      trace_ids: [...(e?.trace_ids ?? []), ...(c?.trace_ids ?? []), ...(x?.trace_ids ?? [])],
      error_ids: e?.error_ids ?? [],
    };
  });
}

interface UsageRow {
  provider: string;
  model: string;
  calls: number | string;
  tokens: number | string;
  peak_tpm: number | string;
  peak_rpm: number | string;
  rate_limited: number | string;
  agents: string[];
  limited_agents: string[];
  trace_ids: string[];
  last_limited_ms: number | string;
}

/**
 * Observed LLM usage per provider × model in the window: calls, tokens, the busiest minute, and rate
 * limiting, both as calls answered `rate_limited` and as errors classified as rate limits (a model's
 * count is the larger of the two, since an agent may report the same refusal both ways).
 */
export async function fetchLlmUsage(reader: ClickHouseReader, w: DiagnosisWindow): Promise<LlmUsageFact[]> {
  const [usage, errors] = await Promise.all([
    reader.query<UsageRow>(`
      SELECT provider, model, sum(m_calls) AS calls, sum(m_tokens) AS tokens, max(m_tokens) AS peak_tpm,
             max(m_calls) AS peak_rpm, sum(limited) AS rate_limited, groupUniqArrayArray(m_agents) AS agents,
             groupUniqArrayArray(m_limited_agents) AS limited_agents,
             arraySlice(groupUniqArrayArray(traces), 1, 10) AS trace_ids, max(last_limited) AS last_limited_ms
      FROM (
        SELECT provider, model, intDiv(at_ms, 60000) AS minute, count() AS m_calls,
               sum(prompt_tokens + completion_tokens) AS m_tokens, countIf(status = 'rate_limited') AS limited,
               groupUniqArray(agent) AS m_agents, groupUniqArrayIf(agent, status = 'rate_limited') AS m_limited_agents,
               arraySlice(groupUniqArrayIf(trace_id, status = 'rate_limited' AND trace_id != ''), 1, 10) AS traces,
               maxIf(at_ms, status = 'rate_limited') AS last_limited
        FROM ${LLM_CALLS} FINAL WHERE ${inWindow('at_ms', w)}
        GROUP BY provider, model, minute
      )
      GROUP BY provider, model ORDER BY provider, model LIMIT 1000`),
    reader.query<{
      model: string;
      n: number | string;
      agents: string[];
      trace_ids: string[];
      last_ms: number | string;
    }>(`
      SELECT model_name AS model, uniqExact(error_id) AS n, groupUniqArray(agent_name) AS agents,
             arraySlice(groupUniqArrayIf(trace_id, trace_id != ''), 1, 10) AS trace_ids, max(timestamp_ms) AS last_ms
      FROM ${ERROR_FACTS} WHERE ${isRateLimitErrorSql} AND ${inWindow('timestamp_ms', w)}
      GROUP BY model_name LIMIT 1000`),
  ]);
  const facts: LlmUsageFact[] = usage.map((u) => {
    const e = errors.find((x) => x.model === u.model);
    const limited = Math.max(num(u.rate_limited), num(e?.n));
    const limitedAgents = [...new Set([...u.limited_agents, ...(e?.agents ?? [])])].sort();
    return {
      provider: u.provider,
      model: u.model,
      calls: num(u.calls),
      tokens: num(u.tokens),
      peak_tpm: num(u.peak_tpm),
      peak_rpm: num(u.peak_rpm),
      rate_limited: limited,
      agents: limitedAgents.length > 0 ? limitedAgents : [...u.agents].sort(),
      trace_ids: [...u.trace_ids, ...(e?.trace_ids ?? [])],
      last_rate_limited_ms: Math.max(num(u.last_limited_ms), num(e?.last_ms)),
    };
  });
  // rate-limit errors on a model no call was reported for (or without a model name)
  for (const e of errors) {
    if (usage.some((u) => u.model === e.model)) continue;
    facts.push({
      provider: '',
      model: e.model,
      calls: 0,
      tokens: 0,
      peak_tpm: 0,
      peak_rpm: 0,
      rate_limited: num(e.n),
      agents: [...e.agents].sort(),
      trace_ids: e.trace_ids,
      last_rate_limited_ms: num(e.last_ms),
    });
  }
  return facts;
}

export async function fetchDeadLetters(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<DeadLetterFact[]> {
  const from = quoteNumber(Math.floor(w.fromMs));
  const rows = await reader.query<{
    topic: string;
    error_code: string;
    window_count: number | string;
    baseline_count: number | string;
    last_ms: number | string;
    sample_offsets: string[];
  }>(`
    SELECT topic, error_code, countIf(observed_at_ms >= ${from}) AS window_count,
           countIf(observed_at_ms < ${from}) AS baseline_count, max(observed_at_ms) AS last_ms,
           arraySlice(groupArrayIf(concat(toString(partition), ':', toString(offset)), observed_at_ms >= ${from}), 1, 10) AS sample_offsets
    FROM ${DEAD_LETTERS} FINAL WHERE ${inBaselineAndWindow('observed_at_ms', w)}
    GROUP BY topic, error_code HAVING window_count > 0 ORDER BY window_count DESC LIMIT 1000`);
  return rows.map((r) => ({
    topic: r.topic,
    error_code: r.error_code,
    window_count: num(r.window_count),
    baseline_count: num(r.baseline_count),
    last_ms: num(r.last_ms),
    sample_offsets: r.sample_offsets,
  }));
}
