import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { AGENT_LIVENESS } from '../../lib/tables/heartbeats.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { TASK_LIFECYCLE } from '../../lib/tables/task-lifecycle.js';

/** ClickHouse queries behind the oracle state: agents seen, their pending tasks, models and LLM usage. */

const num = (value: number | string | undefined): number => Number(value ?? 0);

export interface SeenAgent {
  agent: string;
  /** Latest heartbeat or message of the agent (epoch ms). */
  last_seen_ms: number;
  /** max_concurrency of its latest heartbeat, 0 when unknown. */
  max_concurrency: number;
}

/** Agents seen in Kafka traffic (messages sent or received, heartbeats) since `sinceMs`. */
export async function fetchSeenAgents(reader: ClickHouseReader, sinceMs: number): Promise<SeenAgent[]> {
  const since = quoteNumber(Math.floor(sinceMs));
  const [traffic, liveness] = await Promise.all([
    reader.query<{ agent: string; last_ms: number | string }>(`
      SELECT agent, max(last_ms) AS last_ms FROM (
        SELECT source_agent AS agent, max(sent_at_ms) AS last_ms FROM ${MESSAGE_LOG} WHERE sent_at_ms >= ${since} GROUP BY source_agent
        UNION ALL
        SELECT target_agent AS agent, max(sent_at_ms) AS last_ms FROM ${MESSAGE_LOG}
        WHERE sent_at_ms >= ${since} AND message_type = 'task' GROUP BY target_agent
      ) WHERE agent != '' GROUP BY agent LIMIT 10000`),
    reader.query<{ agent: string; last_ms: number | string; max_concurrency: number }>(`
      SELECT agent, maxMerge(last_heartbeat_ms) AS last_ms, argMaxMerge(last_max_concurrency) AS max_concurrency
      FROM ${AGENT_LIVENESS} GROUP BY agent HAVING last_ms >= ${since} LIMIT 10000`),
  ]);
  const agents = new Map<string, SeenAgent>();
  for (const row of traffic)
    agents.set(row.agent, { agent: row.agent, last_seen_ms: num(row.last_ms), max_concurrency: 0 });
  for (const row of liveness) {
    const seen = agents.get(row.agent);
    agents.set(row.agent, {
      agent: row.agent,
      last_seen_ms: Math.max(seen?.last_seen_ms ?? 0, num(row.last_ms)),
      max_concurrency: row.max_concurrency,
    });
  }
  return [...agents.values()].sort((a, b) => a.agent.localeCompare(b.agent));
}

/** Models each agent was seen calling since `sinceMs`. */
export async function fetchModels(reader: ClickHouseReader, sinceMs: number): Promise<Map<string, string[]>> {
  const rows = await reader.query<{ agent: string; models: string[] }>(`
    SELECT agent, groupUniqArray(model) AS models FROM ${LLM_CALLS}
    WHERE at_ms >= ${quoteNumber(Math.floor(sinceMs))} AND model != '' GROUP BY agent LIMIT 10000`);
  return new Map(rows.map((r) => [r.agent, [...r.models].sort()]));
}

export interface PendingTask {
  agent: string;
  task_id: string;
  requester: string;
  priority: 'low' | 'normal' | 'high' | 'critical';
  submitted_at_ms: number;
  /** Where the task sits on the agent's queue (-1 when the message is not in message_log). */
  partition: number;
  offset: number;
  payload: string;
}

const PRIORITIES = ['normal', 'low', 'normal', 'high', 'critical'] as const;

/** Pending tasks of the given agents, oldest first, at most `perAgent` each, with their queue position. */
export async function fetchPendingTasks(
  reader: ClickHouseReader,
  agents: readonly string[],
  nowMs: number,
  perAgent: number,
): Promise<PendingTask[]> {
  if (agents.length === 0) return [];
  const list = agents.map(quoteString).join(', ');
  const now = quoteNumber(Math.ceil(nowMs));
  const tasks = await reader.query<{
    agent: string;
    task_id: string;
    requester: string;
    priority_rank: number;
    submitted_at_ms: number | string;
  }>(`
    SELECT agent, task_id, requester, priority_rank, submitted_at_ms FROM (
      SELECT agent, task_id, maxMerge(requester) AS requester, maxMerge(priority) AS priority_rank,
             maxMerge(submitted_at_ms) AS submitted_at_ms, maxMerge(expires_at_ms) AS expires_at_ms,
             maxMerge(has_task) AS has_task_merged, minIfMerge(resolution_key) AS resolution_key
      FROM ${TASK_LIFECYCLE} WHERE agent IN (${list}) GROUP BY agent, task_id
      HAVING has_task_merged = 1 AND resolution_key = 0 AND (expires_at_ms = 0 OR expires_at_ms > ${now})
    )
    ORDER BY agent, submitted_at_ms, task_id LIMIT ${quoteNumber(perAgent)} BY agent`);
  if (tasks.length === 0) return [];
  const messages = await reader.query<{
    message_id: string;
    partition: number;
    offset: number | string;
    payload: string;
  }>(`
    SELECT message_id, any(partition) AS partition, any(offset) AS offset, any(payload) AS payload FROM ${MESSAGE_LOG}
    WHERE target_agent IN (${list}) AND message_type = 'task' AND message_id IN (${tasks.map((t) => quoteString(t.task_id)).join(', ')})
    GROUP BY message_id`);
  const byId = new Map(messages.map((m) => [m.message_id, m]));
  return tasks.map((t) => {
    const m = byId.get(t.task_id);
    return {
      agent: t.agent,
      task_id: t.task_id,
      requester: t.requester,
      priority: PRIORITIES[t.priority_rank] ?? 'normal',
      submitted_at_ms: num(t.submitted_at_ms),
      partition: m?.partition ?? -1,
      offset: m === undefined ? -1 : num(m.offset),
      payload: m?.payload ?? '',
    };
  });
}

/** The latest message observed on each agent's queue. */
export async function fetchQueueActivity(
  reader: ClickHouseReader,
  agents: readonly string[],
): Promise<Map<string, number>> {
  if (agents.length === 0) return new Map();
  const rows = await reader.query<{ agent: string; last_ms: number | string }>(`
    SELECT target_agent AS agent, max(sent_at_ms) AS last_ms FROM ${MESSAGE_LOG}
    WHERE target_agent IN (${agents.map(quoteString).join(', ')}) GROUP BY target_agent`);
  return new Map(rows.map((r) => [r.agent, num(r.last_ms)]));
}

export interface ModelUsage {
  provider: string;
  model: string;
  /** Tokens and calls in the last 60 seconds. */
  tpm: number;
  rpm: number;
}

/** Models called since `sinceMs`, with their tokens and calls of the last 60 seconds. */
export async function fetchModelUsage(
  reader: ClickHouseReader,
  sinceMs: number,
  nowMs: number,
): Promise<ModelUsage[]> {
  const minuteAgo = quoteNumber(Math.floor(nowMs - 60_000));
  const rows = await reader.query<{
    provider: string;
    model: string;
    tpm: number | string;
    rpm: number | string;
  }>(`
    SELECT provider, model, sumIf(prompt_tokens + completion_tokens, at_ms >= ${minuteAgo}) AS tpm,
           countIf(at_ms >= ${minuteAgo}) AS rpm
    FROM ${LLM_CALLS} FINAL
    WHERE at_ms >= ${quoteNumber(Math.floor(sinceMs))} AND at_ms <= ${quoteNumber(Math.ceil(nowMs))} AND model != ''
    GROUP BY provider, model ORDER BY provider, model LIMIT 1000`);
  return rows.map((r) => ({ provider: r.provider, model: r.model, tpm: num(r.tpm), rpm: num(r.rpm) }));
}
