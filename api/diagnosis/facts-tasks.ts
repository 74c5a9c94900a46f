import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { ERROR_FACTS } from '../../lib/tables/error-facts.js';
import { TASK_LIFECYCLE } from '../../lib/tables/task-lifecycle.js';
import { inBaselineAndWindow, inWindow, num } from './facts-errors.js';
import type { AgentLatencyFact, DiagnosisWindow, StuckTaskFact, StuckThresholds } from './types.js';
import type { DeadlineFact } from './types-graph.js';

/**
 * Every fact the diagnosis takes from the task states (`task_lifecycle`), from one pass over them:
 * the backlog (pending and stuck tasks at the window's end), the latency of the tasks resolved in
 * the window and its baseline, the tasks whose TTL or deadline fell in the window, and each agent's
 * answers in the recent interval against the rest of the window. A task's state is the merge of
 * every row of its key, so any of these facts reads every task's states: merging them once instead
 * of once per fact divides the diagnosis's largest cost by the number of facts.
 */

const PRIORITIES = ['', 'low', 'normal', 'high', 'critical'] as const;
/** Priority ranks as stored (0: a task row without a known priority). */
const RANKS = [0, 1, 2, 3, 4] as const;

export interface TaskBacklogFacts {
  stuck: StuckTaskFact[];
  /** Pending tasks per agent (not expired), for every agent with an unresolved task. */
  pending: Map<string, number>;
  /** When the oldest pending task of each agent was submitted. */
  oldestPending: Map<string, number>;
}

/** One agent's answers (completed or failed tasks) in the recent interval and in the rest of the window. */
export interface AgentAnswerTrend {
  agent: string;
  recent_completed: number;
  recent_failed: number;
  recent_p95_ms: number;
  baseline_completed: number;
  baseline_failed: number;
  baseline_p95_ms: number;
  baseline_from_ms: number;
  trace_ids: string[];
}

export interface TaskFacts {
  backlog: TaskBacklogFacts;
  latency: AgentLatencyFact[];
  deadlines: DeadlineFact[];
  answerTrends: AgentAnswerTrend[];
}

function thresholdS(rank: number, thresholds: StuckThresholds): number {
  if (rank === 4) return thresholds.critical;
  if (rank === 3) return thresholds.high;
  if (rank === 2) return thresholds.normal;
  return thresholds.low;
}

type N = number | string;

/** The row of the pass: per agent, the columns below (the backlog's once per priority rank). */
type TaskFactsRow = Record<string, N | string[] | N[] | [N, string][]> & { agent: string };

const finite = (value: N | undefined): number => {
  const n = num(value);
  return Number.isFinite(n) ? n : 0;
};

export async function fetchTaskFacts(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  thresholds: StuckThresholds,
  recentFromMs: number,
): Promise<TaskFacts> {
  const now = quoteNumber(Math.ceil(w.toMs));
  const from = quoteNumber(Math.floor(w.fromMs));
  const recent = quoteNumber(Math.floor(recentFromMs));
  const thresholdMs = `multiIf(priority_rank = 4, ${quoteNumber(thresholds.critical * 1000)}, priority_rank = 3, ${quoteNumber(
    thresholds.high * 1000,
  )}, priority_rank = 2, ${quoteNumber(thresholds.normal * 1000)}, ${quoteNumber(thresholds.low * 1000)})`;
  // a task whose requester reported a timeout waiting for it is stuck whatever its age
  const timedOut = `SELECT task_id FROM ${ERROR_FACTS} WHERE category = 'timeout_error' AND task_id != '' AND ${inBaselineAndWindow('timestamp_ms', w)}`;
  const inW = (c: string) => `(${c} > 0 AND ${inWindow(c, w)})`;
  const expired = `${inW('expires_at_ms')} AND (resolution_key = 0 OR at > expires_at_ms)`;
  const late = `${inW('deadline_ms')} AND rank IN (1, 2) AND at > deadline_ms`;
  const overdue = `${inW('deadline_ms')} AND resolution_key = 0`;
  const flagged = `((${expired}) OR (${late}) OR (${overdue}))`;
  const backlog = RANKS.map((p) => {
    const of = (condition: string) => `${condition} AND priority_rank = ${p}`;
    return `
      countIf(${of('pending')}) AS pending_${p}, minIf(submitted_at_ms, ${of('pending')}) AS oldest_pending_${p},
      countIf(${of('stuck')}) AS stuck_${p}, countIf(${of('stuck AND abandoned_flag = 1')}) AS abandoned_${p},
      minIf(submitted_at_ms, ${of('stuck')}) AS oldest_stuck_${p},
      arrayMap(x -> tupleElement(x, 2), arraySlice(arraySort(x -> tupleElement(x, 1),
        groupArrayIf((submitted_at_ms, task_id), ${of('stuck')})), 1, 20)) AS stuck_ids_${p},
      arraySlice(groupUniqArrayIf(trace_id, ${of("stuck AND trace_id != ''")}), 1, 10) AS stuck_traces_${p}`;
  }).join(',');
  const rows = await reader.query<TaskFactsRow>(`
    SELECT agent, countIf(resolution_key = 0) AS unresolved, ${backlog},
           countIf(latency_row) AS latency_rows,
           countIf(latency_row AND rank = 1 AND at >= ${from}) AS completed,
           countIf(latency_row AND rank = 2 AND at >= ${from}) AS failed,
           quantilesExactIf(0.5, 0.95, 0.99)(latency_ms, latency_row AND at >= ${from}) AS q,
           countIf(latency_row AND at < ${from}) AS baseline_tasks,
           quantileExactIf(0.95)(latency_ms, latency_row AND at < ${from}) AS baseline_p95,
           countIf(trend_row) AS trend_rows,
           countIf(trend_row AND rank = 1 AND at >= ${recent}) AS rc, countIf(trend_row AND rank = 2 AND at >= ${recent}) AS rf,
           quantileExactIf(0.95)(latency_ms, trend_row AND at >= ${recent}) AS rp95,
           countIf(trend_row AND rank = 1 AND at < ${recent}) AS bc, countIf(trend_row AND rank = 2 AND at < ${recent}) AS bf,
           quantileExactIf(0.95)(latency_ms, trend_row AND at < ${recent}) AS bp95,
           minIf(at, trend_row AND at < ${recent}) AS bfrom,
           arraySlice(groupUniqArrayIf(trace_id, trend_row AND at >= ${recent} AND trace_id != ''), 1, 5) AS trend_traces,
           countIf(${expired}) AS expired, countIf(${late}) AS late, countIf(${overdue}) AS overdue,
           countIf(${inW('expires_at_ms')} OR ${inW('deadline_ms')}) AS with_limit,
           arraySlice(groupArrayIf(task_id, ${flagged}), 1, 10) AS limit_task_ids,
           arraySlice(groupUniqArrayIf(trace_id, trace_id != '' AND ${flagged}), 1, 10) AS limit_trace_ids,
           arraySlice(groupUniqArrayIf(requester, requester != '' AND ${flagged}), 1, 10) AS limit_requesters,
           minIf(if(${expired}, expires_at_ms, deadline_ms), ${flagged}) AS limit_first_ms
    FROM (
      SELECT *,
             resolution_key % 4 AS rank, intDiv(resolution_key, 4) AS at,
             toInt64(intDiv(resolution_key, 4)) - toInt64(submitted_at_ms) AS latency_ms,
             rank IN (1, 2) AND ${inBaselineAndWindow('at', w)} AS latency_row,
             rank IN (1, 2) AND ${inWindow('at', w)} AS trend_row,
             resolution_key = 0 AND (expires_at_ms = 0 OR expires_at_ms > ${now}) AND submitted_at_ms <= ${now} AS pending,
             pending AND (submitted_at_ms + ${thresholdMs} <= ${now} OR abandoned_flag = 1) AS stuck
      FROM (
        SELECT *, resolution_key = 0 AND task_id IN (${timedOut}) AS abandoned_flag
        FROM (
          SELECT agent, task_id, maxMerge(has_task) AS has_task_merged, maxMerge(priority) AS priority_rank,
                 maxMerge(submitted_at_ms) AS submitted_at_ms, maxMerge(expires_at_ms) AS expires_at_ms,
                 maxMerge(deadline_ms) AS deadline_ms, maxMerge(trace_id) AS trace_id,
                 maxMerge(requester) AS requester, minIfMerge(resolution_key) AS resolution_key
          FROM ${TASK_LIFECYCLE} GROUP BY agent, task_id
          HAVING has_task_merged = 1
        )
      )
    )
    GROUP BY agent
    LIMIT 10000`);
  const facts: TaskFacts = {
    backlog: { stuck: [], pending: new Map(), oldestPending: new Map() },
    latency: [],
    deadlines: [],
    answerTrends: [],
  };
  for (const r of rows) {
    const agent = r.agent;
    const n = (column: string) => num(r[column] as N | undefined);
    const strings = (column: string) => r[column] as string[];
    if (n('unresolved') > 0) {
      for (const p of RANKS) {
        const pending = n(`pending_${p}`);
        facts.backlog.pending.set(agent, (facts.backlog.pending.get(agent) ?? 0) + pending);
        const oldest = n(`oldest_pending_${p}`);
        if (pending > 0 && oldest > 0) {
          facts.backlog.oldestPending.set(
            agent,
            Math.min(oldest, facts.backlog.oldestPending.get(agent) ?? oldest),
          );
        }
        if (n(`stuck_${p}`) > 0) {
          facts.backlog.stuck.push({
            agent,
            priority: PRIORITIES[p],
            count: n(`stuck_${p}`),
            threshold_s: thresholdS(p, thresholds),
            oldest_submitted_ms: n(`oldest_stuck_${p}`),
            abandoned: n(`abandoned_${p}`),
            task_ids: strings(`stuck_ids_${p}`),
            trace_ids: strings(`stuck_traces_${p}`),
          });
        }
      }
    }
    if (n('latency_rows') > 0) {
      const q = r.q as N[];
      facts.latency.push({
        agent,
        completed: n('completed'),
        failed: n('failed'),
        p50_ms: num(q[0]),
        p95_ms: num(q[1]),
        p99_ms: num(q[2]),
        baseline_tasks: n('baseline_tasks'),
        baseline_p95_ms: n('baseline_p95'),
      });
    }
    if (n('trend_rows') > 0) {
      facts.answerTrends.push({
        agent,
        recent_completed: n('rc'),
        recent_failed: n('rf'),
        recent_p95_ms: finite(r.rp95 as N),
        baseline_completed: n('bc'),
        baseline_failed: n('bf'),
        baseline_p95_ms: finite(r.bp95 as N),
        baseline_from_ms: finite(r.bfrom as N),
        trace_ids: strings('trend_traces'),
      });
    }
    if (n('expired') + n('late') + n('overdue') > 0) {
      facts.deadlines.push({
        agent,
        expired: n('expired'),
        late: n('late'),
        overdue: n('overdue'),
        with_limit: n('with_limit'),
        task_ids: strings('limit_task_ids'),
        trace_ids: strings('limit_trace_ids'),
        requesters: strings('limit_requesters'),
        first_ms: n('limit_first_ms'),
      });
    }
  }
  return facts;
}
