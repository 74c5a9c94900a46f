import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { findCycle } from './detect-graph.js';
import { inWindow, num } from './facts-errors.js';
import type { AgentAnswerTrend, TaskFacts } from './facts-tasks.js';
import type { DiagnosisWindow } from './types.js';
import type {
  AgentTrendFact,
  DelegationTask,
  DelegationTraceFact,
  DuplicateAnswerFact,
  GraphFacts,
  GraphThresholds,
  LlmTrendFact,
  OrphanAnswerFact,
} from './types-graph.js';

/** Queries over the message graph and each agent's recent behaviour; every agent seen, configured or not. */

type N = number | string;
const ANSWER = `message_type IN ('result', 'error') AND parent_message_id != ''`;
/** Bounds on what one diagnosis reads: traces, tasks per trace, payload characters. */
const MAX_TRACES = 2_000;
const MAX_TASKS_PER_TRACE = 300;
const PAYLOAD_CHARS = 512;
/**
 * A trace's (or job's) key in the queries for goals: a hash, so that a query naming 2,000 traces
 * stays 42 KB whatever the producers put in their ids.
 */
const TRACE_KEY = `cityHash64(if(trace_id != '', trace_id, ''), if(trace_id != '', '', job_id))`;

/**
 * TASK messages of the window per trace (or job), for traces where more than one pair of agents
 * delegates. A delegation loop needs a cycle among a trace's delegations (detect-graph.ts), so the
 * goals (the payloads' starts) are read only for the traces with one: in a healthy system, none.
 */
async function fetchDelegations(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<DelegationTraceFact[]> {
  const rows = await reader.query<{
    trace_id: string;
    job_id: string;
    trace_key: string;
    tasks: [string, string, string, N][];
  }>(`
    SELECT t AS trace_id, j AS job_id, toString(key) AS trace_key,
           arraySlice(groupArray((message_id, source_agent, target_agent, sent_at_ms)), 1, ${MAX_TASKS_PER_TRACE}) AS tasks
    FROM (
      SELECT if(trace_id != '', trace_id, '') AS t, if(trace_id != '', '', job_id) AS j, ${TRACE_KEY} AS key,
             message_id, source_agent, target_agent, sent_at_ms
      FROM ${MESSAGE_LOG}
      WHERE message_type = 'task' AND ${inWindow('sent_at_ms', w)} AND (trace_id != '' OR job_id != ''))
    GROUP BY t, j, key
    HAVING uniqExact(source_agent, target_agent) >= 2
    LIMIT ${MAX_TRACES}`);
  const traces = rows.map((r) => ({
    trace_id: r.trace_id,
    job_id: r.job_id,
    key: r.trace_key,
    tasks: r.tasks.map(([message_id, source, target, sent]) => ({
      message_id,
      source,
      target,
      sent_ms: num(sent),
      payload: '',
      reason: '',
    })),
  }));
  const cyclic = traces.filter(
    (t) => findCycle(t.tasks.map((task) => [task.source, task.target] as const)).length > 0,
  );
  if (cyclic.length > 0) await fetchGoals(reader, w, cyclic);
  return traces.map(({ trace_id, job_id, tasks }) => ({ trace_id, job_id, tasks }));
}

/** Fills in the payload and reason of the traces' tasks. */
async function fetchGoals(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  traces: readonly { key: string; tasks: DelegationTask[] }[],
): Promise<void> {
  const byId = new Map(traces.flatMap((t) => t.tasks.map((task) => [task.message_id, task] as const)));
  // the server's own UInt64s, as text (a JSON number past 2^53 loses digits); anything else would
  // not be a number in the query's text
  const keys = traces.map((t) => t.key).filter((key) => /^\d{1,20}$/.test(key));
  if (keys.length === 0) return;
  const rows = await reader.query<{ id: string; p: string; r: string }>(`
    SELECT message_id AS id, any(substring(payload, 1, ${PAYLOAD_CHARS})) AS p, any(substring(reason, 1, 200)) AS r
    FROM ${MESSAGE_LOG}
    WHERE message_type = 'task' AND ${inWindow('sent_at_ms', w)} AND ${TRACE_KEY} IN (${keys.join(', ')})
    GROUP BY message_id`);
  for (const row of rows) {
    const task = byId.get(row.id);
    if (task === undefined) continue;
    task.payload = row.p;
    task.reason = row.r;
  }
}

/** Answers of the window whose task was never seen, per answering agent (answers within the grace period wait). */
async function fetchOrphanAnswers(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  graceS: number,
): Promise<OrphanAnswerFact[]> {
  const settled = quoteNumber(Math.floor(w.toMs - graceS * 1000));
  const answers = `SELECT parent_message_id FROM ${MESSAGE_LOG} WHERE ${ANSWER} AND ${inWindow('sent_at_ms', w)}`;
  const seenTasks = `SELECT message_id FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND message_id IN (${answers})`;
  const rows = await reader.query<{
    agent: string;
    targets: string[];
    orphans: N;
    answers: N;
    parent_ids: string[];
    trace_ids: string[];
    first_ms: N;
    last_ms: N;
  }>(`
    SELECT source_agent AS agent, groupUniqArrayIf(target_agent, orphan) AS targets,
           uniqExactIf(message_id, orphan) AS orphans, uniqExact(message_id) AS answers,
           arraySlice(groupUniqArrayIf(parent_message_id, orphan), 1, 10) AS parent_ids,
           arraySlice(groupUniqArrayIf(trace_id, orphan AND trace_id != ''), 1, 10) AS trace_ids,
           minIf(sent_at_ms, orphan) AS first_ms, maxIf(sent_at_ms, orphan) AS last_ms
    FROM (
      SELECT source_agent, target_agent, message_id, parent_message_id, trace_id, sent_at_ms,
             observed_at_ms <= ${settled} AND parent_message_id NOT IN (${seenTasks}) AS orphan
      FROM ${MESSAGE_LOG} WHERE ${ANSWER} AND ${inWindow('sent_at_ms', w)}
    )
    GROUP BY source_agent HAVING orphans > 0
    LIMIT 10000`);
  return rows.map((r) => ({
    agent: r.agent,
    targets: r.targets,
    orphans: num(r.orphans),
    answers: num(r.answers),
    parent_ids: r.parent_ids,
    trace_ids: r.trace_ids,
    first_ms: num(r.first_ms),
    last_ms: num(r.last_ms),
  }));
}

/** Tasks answered more than once (distinct message ids) in the window, per answering agent. */
async function fetchDuplicateAnswers(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
): Promise<DuplicateAnswerFact[]> {
  const rows = await reader.query<{
    agent: string;
    tasks: N;
    extra: N;
    max_n: N;
    answered: N;
    task_ids: string[];
    trace_ids: string[];
    requesters: string[];
  }>(`
    SELECT agent, countIf(n > 1) AS tasks, sumIf(n - 1, n > 1) AS extra, max(n) AS max_n, count() AS answered,
           arraySlice(groupArrayIf(task_id, n > 1), 1, 10) AS task_ids,
           arraySlice(groupUniqArrayIf(trace_id, n > 1 AND trace_id != ''), 1, 10) AS trace_ids,
           arraySlice(groupUniqArrayIf(requester, n > 1), 1, 10) AS requesters
    FROM (
      SELECT source_agent AS agent, parent_message_id AS task_id, uniqExact(message_id) AS n,
             any(trace_id) AS trace_id, any(target_agent) AS requester
      FROM ${MESSAGE_LOG} WHERE ${ANSWER} AND ${inWindow('sent_at_ms', w)}
      GROUP BY source_agent, parent_message_id
    )
    GROUP BY agent HAVING tasks > 0
    LIMIT 10000`);
  return rows.map((r) => ({
    agent: r.agent,
    tasks: num(r.tasks),
    extra_answers: num(r.extra),
    max_answers: num(r.max_n),
    answered: num(r.answered),
    task_ids: r.task_ids,
    trace_ids: r.trace_ids,
    requesters: r.requesters,
  }));
}

const finite = (value: N | undefined): number => {
  const n = num(value);
  return Number.isFinite(n) ? n : 0;
};

/**
 * Each agent's answers (from the pass over the task states, see facts-tasks.ts) with the tasks it
 * received in the recent interval and in the rest of the window.
 */
async function fetchAgentTrends(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  recentFromMs: number,
  answers: readonly AgentAnswerTrend[],
): Promise<AgentTrendFact[]> {
  const recent = quoteNumber(Math.floor(recentFromMs));
  const received = await reader.query<{ agent: string; recent: N; baseline: N }>(`
    SELECT target_agent AS agent, uniqExactIf(message_id, sent_at_ms >= ${recent}) AS recent,
           uniqExactIf(message_id, sent_at_ms < ${recent}) AS baseline
    FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND ${inWindow('sent_at_ms', w)}
    GROUP BY target_agent LIMIT 10000`);
  const got = new Map(received.map((r) => [r.agent, r]));
  return answers.map((a) => ({
    ...a,
    recent_received: num(got.get(a.agent)?.recent),
    baseline_received: num(got.get(a.agent)?.baseline),
  }));
}

/** LLM calls, tokens and cost per agent × model: the recent interval and the rest of the window. */
async function fetchLlmTrends(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  recentFromMs: number,
): Promise<LlmTrendFact[]> {
  const recent = quoteNumber(Math.floor(recentFromMs));
  const rows = await reader.query<{
    agent: string;
    model: string;
    rc: N;
    rt: N;
    rcost: N;
    bc: N;
    bt: N;
    bcost: N;
    bfrom: N;
    trace_ids: string[];
  }>(`
    SELECT agent, model,
           uniqExactIf((message_id, call_index), at_ms >= ${recent}) AS rc,
           sumIf(prompt_tokens + completion_tokens, at_ms >= ${recent}) AS rt,
           sumIf(cost_usd, at_ms >= ${recent}) AS rcost,
           uniqExactIf((message_id, call_index), at_ms < ${recent}) AS bc,
           sumIf(prompt_tokens + completion_tokens, at_ms < ${recent}) AS bt,
           sumIf(cost_usd, at_ms < ${recent}) AS bcost,
           minIf(at_ms, at_ms < ${recent}) AS bfrom,
           arraySlice(groupUniqArrayIf(trace_id, at_ms >= ${recent} AND trace_id != ''), 1, 5) AS trace_ids
    FROM ${LLM_CALLS} WHERE ${inWindow('at_ms', w)}
    GROUP BY agent, model LIMIT 10000`);
  return rows.map((r) => ({
    agent: r.agent,
    model: r.model,
    recent_calls: num(r.rc),
    recent_tokens: num(r.rt),
    recent_cost_usd: finite(r.rcost),
    baseline_calls: num(r.bc),
    baseline_tokens: num(r.bt),
    baseline_cost_usd: finite(r.bcost),
    baseline_from_ms: finite(r.bfrom),
    trace_ids: r.trace_ids,
  }));
}

/** Start of the recent interval that each agent's recent behaviour is compared over. */
export function recentFrom(w: DiagnosisWindow, t: GraphThresholds): number {
  return Math.max(w.fromMs, w.toMs - t.recentS * 1000);
}

/**
 * Every message-graph and self-relative fact of the window; the facts about task states (deadlines,
 * answers) come from the one pass over them (`fetchTaskFacts` with `recentFrom(w, t)`).
 */
export async function fetchGraphFacts(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  t: GraphThresholds,
  tasks: Pick<TaskFacts, 'deadlines' | 'answerTrends'>,
): Promise<GraphFacts> {
  const recentFromMs = recentFrom(w, t);
  const deadlines = tasks.deadlines;
  const [delegations, orphanAnswers, duplicateAnswers, agentTrends, llmTrends] = await Promise.all([
    fetchDelegations(reader, w),
    fetchOrphanAnswers(reader, w, t.orphanGraceS),
    fetchDuplicateAnswers(reader, w),
    fetchAgentTrends(reader, w, recentFromMs, tasks.answerTrends),
    fetchLlmTrends(reader, w, recentFromMs),
  ]);
  return { recentFromMs, delegations, orphanAnswers, duplicateAnswers, deadlines, agentTrends, llmTrends };
}
