import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { TASK_LIFECYCLE } from '../../lib/tables/task-lifecycle.js';
import type { ReadModels } from '../read-models/index.js';
import { TaskTimeReadModel } from '../timing/read-model.js';
import { assembleGraph, type AgentGraph, type EdgeFact } from './agent-graph.js';
import { buildWaterfall, type LlmCallFact, type TraceWaterfall } from './waterfall.js';

type Num = number | string;

/**
 * Reads the agent graph (edges from the task lifecycle, nodes from the agents read model) and a
 * trace's waterfall (tasks with their time breakdown, messages and errors from the traces read
 * model, LLM calls from `llm_calls`). No JOINs, no server-side parameters: ClickHouse 18.16 and
 * current releases alike.
 */
export class TopologyReadModel {
  readonly #reader: ClickHouseReader;
  readonly #readModels: ReadModels;
  readonly #times: TaskTimeReadModel;
  readonly #now: () => number;
  readonly #configured: readonly string[];

  constructor(
    reader: ClickHouseReader,
    readModels: ReadModels,
    now: () => number,
    configured: readonly string[] = [],
  ) {
    this.#reader = reader;
    this.#readModels = readModels;
    this.#times = new TaskTimeReadModel(reader);
    this.#now = now;
    this.#configured = configured;
  }

  async agentGraph(windowMinutes: number): Promise<AgentGraph> {
    const nowMs = this.#now();
    const from = quoteNumber(nowMs - windowMinutes * 60_000);
    const now = quoteNumber(nowMs);
    const [agents, rows] = await Promise.all([
      this.#readModels.agents.list(windowMinutes),
      // rank = resolution_key % 4: 1 completed, 2 failed, 3 cancelled; 0 unresolved
      this.#reader.query<{
        src: string;
        dst: string;
        sent: Num;
        done: Num;
        failed: Num;
        p95: Num;
        open: Num;
      }>(`
        SELECT src, dst,
               countIf(submitted >= ${from}) AS sent,
               countIf(submitted >= ${from} AND rk > 0 AND rk % 4 = 1) AS done,
               countIf(submitted >= ${from} AND rk > 0 AND rk % 4 = 2) AS failed,
               quantileExactIf(0.95)(toInt64(intDiv(rk, 4)) - toInt64(submitted), submitted >= ${from} AND rk > 0 AND rk % 4 IN (1, 2)) AS p95,
               countIf(rk = 0 AND (expires = 0 OR expires > ${now})) AS open
        FROM (
          SELECT agent AS dst, task_id, maxMerge(has_task) AS seen, maxMerge(requester) AS src,
                 maxMerge(submitted_at_ms) AS submitted, maxMerge(expires_at_ms) AS expires,
                 minIfMerge(resolution_key) AS rk
          FROM ${TASK_LIFECYCLE} GROUP BY agent, task_id
          HAVING seen = 1 AND (submitted >= ${from} OR rk = 0)
        )
        GROUP BY src, dst LIMIT 10000`),
    ]);
    const edges: EdgeFact[] = rows.map((r) => ({
      source: r.src,
      target: r.dst,
      tasks: Number(r.sent),
      completed: Number(r.done),
      failed: Number(r.failed),
      p95_ms: Math.max(0, Number(r.p95)),
      pending: Number(r.open),
    }));
    return assembleGraph(agents, edges, windowMinutes, nowMs, this.#configured);
  }

  /** The waterfall of one trace; undefined when nothing of it was seen. */
  async waterfall(traceId: string): Promise<TraceWaterfall | undefined> {
    const [view, times] = await Promise.all([
      this.#readModels.traces.get(traceId),
      this.#times.trace(traceId),
    ]);
    if (view === undefined && times === undefined) return undefined;
    const messages = view?.messages ?? [];
    const agents = [...new Set(messages.map((m) => m.source_agent))];
    const calls =
      messages.length === 0
        ? []
        : await this.#reader.query<{
            id: string;
            idx: Num;
            who: string;
            mdl: string;
            lat: Num;
            st: string;
            task: string;
            at: Num;
          }>(`
            SELECT message_id AS id, call_index AS idx, any(agent) AS who, any(model) AS mdl, any(latency_ms) AS lat,
                   any(status) AS st, any(task_id) AS task, any(at_ms) AS at
            FROM ${LLM_CALLS}
            WHERE agent IN (${agents.map(quoteString).join(', ')}) AND trace_id = ${quoteString(traceId)}
              AND at_ms >= ${quoteNumber(Math.min(...messages.map((m) => Date.parse(m.timestamp))))}
              AND at_ms <= ${quoteNumber(Math.max(...messages.map((m) => Date.parse(m.timestamp))))}
            GROUP BY message_id, call_index LIMIT 5000`);
    const facts: LlmCallFact[] = calls.map((c) => ({
      message_id: c.id,
      call_index: Number(c.idx),
      agent: c.who,
      model: c.mdl,
      latency_ms: Number(c.lat),
      status: c.st,
      task_id: c.task,
      at_ms: Number(c.at),
    }));
    return buildWaterfall(traceId, times?.tasks ?? [], messages, view?.errors ?? [], facts);
  }
}
