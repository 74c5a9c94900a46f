import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import {
  MESSAGE_LOG,
  MESSAGE_REFS,
  MESSAGES_BY_TRACE,
  messageRefsCondition,
} from '../../lib/tables/message-log.js';
import {
  firstAnswers,
  summarizeByAgent,
  taskTimeOf,
  type AgentTime,
  type AnswerFact,
  type LlmFact,
  type TaskFact,
  type TaskTime,
} from './breakdown.js';

/**
 * Reads the facts of the time breakdown from ClickHouse: answers (RESULT/ERROR with their
 * `started_at_ms`, migration 0008), the tasks they answer, and the LLM calls of each answer. Rows are
 * deduplicated by message id (redelivered copies), and only the first answer of a task counts. The
 * SQL avoids JOINs and server-side parameters so that it runs on ClickHouse 18.16 and current
 * releases alike; the parts are put together in `breakdown.ts`.
 */

/** Most answers a window read looks at (the newest ones); `truncated` says when there were more. */
export const MAX_WINDOW_ANSWERS = 10_000;
const MAX_TRACE_MESSAGES = 2_000;

type Num = number | string;
const num = (v: Num | undefined): number => (v === undefined ? 0 : Number(v));

interface AnswerRow {
  id: string;
  task: string;
  worker: string;
  requester: string;
  outcome: string;
  trace: string;
  answered_ms: Num;
  started_ms: Num;
}

interface TaskRow {
  id: string;
  worker: string;
  requester: string;
  trace: string;
  att: Num;
  sent_ms: Num;
}

interface LlmRow {
  id: string;
  calls: Num;
  llm: Num;
}

// aliases differ from column names: ClickHouse 18.16 reads `any(x) AS x` as a cyclic alias
const ANSWER_COLUMNS = `message_id AS id, any(parent_message_id) AS task, any(source_agent) AS worker,
  any(target_agent) AS requester, any(toString(message_type)) AS outcome, any(trace_id) AS trace,
  min(sent_at_ms) AS answered_ms, max(started_at_ms) AS started_ms`;
const TASK_COLUMNS = `message_id AS id, any(target_agent) AS worker, any(source_agent) AS requester,
  any(trace_id) AS trace, max(attempt) AS att, min(sent_at_ms) AS sent_ms`;

function toAnswer(r: AnswerRow): AnswerFact {
  return {
    answer_id: r.id,
    task_id: r.task,
    agent: r.worker,
    requester: r.requester,
    outcome: r.outcome === 'error' ? 'error' : 'result',
    trace_id: r.trace,
    answered_at_ms: num(r.answered_ms),
    started_at_ms: num(r.started_ms),
  };
}

function toTask(r: TaskRow): TaskFact {
  return {
    task_id: r.id,
    agent: r.worker,
    requester: r.requester,
    trace_id: r.trace,
    attempt: num(r.att),
    sent_at_ms: num(r.sent_ms),
  };
}

function toLlm(rows: readonly LlmRow[]): Map<string, LlmFact> {
  return new Map(rows.map((r) => [r.id, { calls: num(r.calls), llm_ms: num(r.llm) }]));
}

/** The LLM calls of answers, per answer id; `where` bounds `llm_calls` (time, agent, ids). */
function llmQuery(where: string): string {
  return `SELECT id, count() AS calls, sum(lat) AS llm FROM (
      SELECT message_id AS id, call_index, any(latency_ms) AS lat FROM ${LLM_CALLS}
      WHERE ${where} GROUP BY message_id, call_index)
    GROUP BY id`;
}

/**
 * Tasks built between two turns of the event loop: a busy window's 10,000 take 20 to 30 ms, more
 * on a busy machine, and every request in flight would wait for them all.
 */
const TASKS_PER_SLICE = 1_000;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The tasks' times, oldest first (by ISO time, then id, as ClickHouse orders strings: by bytes). */
async function assemble(
  answers: readonly AnswerFact[],
  tasks: readonly TaskFact[],
  llm: ReadonlyMap<string, LlmFact>,
  includePending: boolean,
): Promise<TaskTime[]> {
  const first = firstAnswers(answers);
  const taskById = new Map(tasks.map((t) => [t.task_id, t]));
  const times: TaskTime[] = [];
  for (const answer of first.values()) {
    times.push(taskTimeOf(taskById.get(answer.task_id), answer, llm.get(answer.answer_id)));
    if (times.length % TASKS_PER_SLICE === 0) await yieldToLoop();
  }
  if (includePending)
    for (const task of tasks)
      if (!first.has(task.task_id)) {
        times.push(taskTimeOf(task, undefined, undefined));
        if (times.length % TASKS_PER_SLICE === 0) await yieldToLoop();
      }
  return times.sort(
    (a, b) =>
      byCodeUnits(a.sent_at ?? a.answered_at ?? '', b.sent_at ?? b.answered_at ?? '') ||
      byCodeUnits(a.task_id, b.task_id),
  );
}

export interface WindowTimes {
  from_ms: number;
  to_ms: number;
  tasks: TaskTime[];
  /** More answers were in the window than a read keeps (`MAX_WINDOW_ANSWERS`); the oldest were left out. */
  truncated: boolean;
}

export interface TraceTime {
  trace_id: string;
  tasks: TaskTime[];
  agents: AgentTime[];
  /** Sums over the tasks of the trace whose split is known. */
  totals: {
    queued_ms: number;
    working_ms: number;
    llm_ms: number;
    other_ms: number;
    split_known: number;
    split_unknown: number;
  };
}

export class TaskTimeReadModel {
  readonly #reader: ClickHouseReader;
  readonly #maxAnswers: number;

  /** `maxAnswers`: the most answers a window read keeps (MAX_WINDOW_ANSWERS; less in tests). */
  constructor(reader: ClickHouseReader, maxAnswers = MAX_WINDOW_ANSWERS) {
    this.#reader = reader;
    this.#maxAnswers = maxAnswers;
  }

  /** Tasks answered in `[fromMs, toMs)`, by `agent` (the worker) when given. */
  async window(fromMs: number, toMs: number, agent?: string): Promise<WindowTimes> {
    const from = quoteNumber(Math.floor(fromMs));
    const to = quoteNumber(Math.ceil(toMs));
    const byAgent = agent === undefined ? '' : `AND source_agent = ${quoteString(agent)}`;
    const answerWhere = `message_type IN ('result', 'error') AND parent_message_id != ''
      AND sent_at_ms >= ${from} AND sent_at_ms < ${to} ${byAgent}`;
    const answerRows = await this.#reader.query<AnswerRow>(`
      SELECT ${ANSWER_COLUMNS} FROM ${MESSAGE_LOG} WHERE ${answerWhere}
      GROUP BY message_id ORDER BY answered_ms DESC LIMIT ${this.#maxAnswers + 1}`);
    const truncated = answerRows.length > this.#maxAnswers;
    const answers = answerRows.slice(0, this.#maxAnswers).map(toAnswer);
    if (answers.length === 0) return { from_ms: fromMs, to_ms: toMs, tasks: [], truncated };
    // the tasks and LLM calls of the answers kept: when the window held more, of those sent since
    // the oldest one kept (the answers come newest first; any arriving meanwhile only add to them).
    // A busy window holds many times the answers kept, and reading the tasks and calls of all of
    // them held the API's event loop for hundreds of milliseconds
    const kept = truncated
      ? `${answerWhere} AND sent_at_ms >= ${quoteNumber(answers[answers.length - 1]?.answered_at_ms ?? 0)}`
      : answerWhere;
    const [taskRows, llmRows] = await Promise.all([
      this.#reader.query<TaskRow>(`
        SELECT ${TASK_COLUMNS} FROM ${MESSAGES_BY_TRACE}
        WHERE message_type = 'task' AND (trace_id, sent_at_ms, message_id) IN (
          SELECT trace_id, sent_at_ms, message_id FROM ${MESSAGE_REFS} WHERE ref_kind = 'message'
            AND ref IN (SELECT parent_message_id FROM ${MESSAGE_LOG} WHERE ${kept}))
        GROUP BY message_id`),
      this.#reader.query<LlmRow>(
        llmQuery(
          `at_ms >= ${from} AND at_ms < ${to} ${agent === undefined ? '' : `AND agent = ${quoteString(agent)}`}
          ${truncated ? `AND message_id IN (SELECT message_id FROM ${MESSAGE_LOG} WHERE ${kept})` : ''}`,
        ),
      ),
    ]);
    return {
      from_ms: fromMs,
      to_ms: toMs,
      tasks: await assemble(answers, taskRows.map(toTask), toLlm(llmRows), false),
      truncated,
    };
  }

  /** Per-agent percentiles over `[fromMs, toMs)`. */
  async agents(
    fromMs: number,
    toMs: number,
    agent?: string,
  ): Promise<{ agents: AgentTime[]; truncated: boolean }> {
    const read = await this.window(fromMs, toMs, agent);
    return { agents: summarizeByAgent(read.tasks), truncated: read.truncated };
  }

  /** One task, answered or not; undefined when neither the task nor an answer to it was seen. */
  async task(taskId: string): Promise<TaskTime | undefined> {
    const [taskRows, answerRows] = await Promise.all([
      this.#reader.query<TaskRow>(`
        SELECT ${TASK_COLUMNS} FROM ${MESSAGES_BY_TRACE}
        WHERE message_type = 'task' AND ${messageRefsCondition([taskId], ['message'])}
        GROUP BY message_id`),
      this.#reader.query<AnswerRow>(`
        SELECT ${ANSWER_COLUMNS} FROM ${MESSAGES_BY_TRACE}
        WHERE message_type IN ('result', 'error') AND ${messageRefsCondition([taskId], ['parent'])}
          AND parent_message_id = ${quoteString(taskId)}
        GROUP BY message_id`),
    ]);
    const task = taskRows.map(toTask)[0];
    const answer = firstAnswers(answerRows.map(toAnswer)).get(taskId);
    if (task === undefined && answer === undefined) return undefined;
    const llm = answer === undefined ? new Map<string, LlmFact>() : await this.#llmOf([answer]);
    return taskTimeOf(task, answer, answer === undefined ? undefined : llm.get(answer.answer_id));
  }

  /** Every task of a trace with its breakdown, per-agent summaries and totals; undefined when no task or answer of it was seen. */
  async trace(traceId: string): Promise<TraceTime | undefined> {
    const where = `trace_id = ${quoteString(traceId)}`;
    const [taskRows, answerRows] = await Promise.all([
      this.#reader.query<TaskRow>(`
        SELECT ${TASK_COLUMNS} FROM ${MESSAGES_BY_TRACE} WHERE ${where} AND message_type = 'task'
        GROUP BY message_id LIMIT ${MAX_TRACE_MESSAGES}`),
      this.#reader.query<AnswerRow>(`
        SELECT ${ANSWER_COLUMNS} FROM ${MESSAGES_BY_TRACE}
        WHERE ${where} AND message_type IN ('result', 'error') AND parent_message_id != ''
        GROUP BY message_id LIMIT ${MAX_TRACE_MESSAGES}`),
    ]);
    if (taskRows.length === 0 && answerRows.length === 0) return undefined;
    const answers = answerRows.map(toAnswer);
    const tasks = await assemble(answers, taskRows.map(toTask), await this.#llmOf(answers), true);
    const known = tasks.filter((t) => t.split === 'known');
    const sum = (pick: (t: TaskTime) => number | null) => known.reduce((s, t) => s + (pick(t) ?? 0), 0);
    return {
      trace_id: traceId,
      tasks,
      agents: summarizeByAgent(tasks),
      totals: {
        queued_ms: sum((t) => t.queued_ms),
        working_ms: sum((t) => t.working_ms),
        llm_ms: sum((t) => t.llm_ms),
        other_ms: sum((t) => t.other_ms),
        split_known: known.length,
        split_unknown: tasks.filter((t) => t.split === 'unknown').length,
      },
    };
  }

  /** LLM calls of a few answers: `llm_calls` is bounded by the answers' agents and times. */
  async #llmOf(answers: readonly AnswerFact[]): Promise<Map<string, LlmFact>> {
    if (answers.length === 0) return new Map();
    const times = answers.map((a) => a.answered_at_ms);
    const agents = [...new Set(answers.map((a) => a.agent))];
    const rows = await this.#reader.query<LlmRow>(
      llmQuery(`agent IN (${agents.map(quoteString).join(', ')})
        AND at_ms >= ${quoteNumber(Math.min(...times))} AND at_ms <= ${quoteNumber(Math.max(...times))}
        AND message_id IN (${answers.map((a) => quoteString(a.answer_id)).join(', ')})`),
    );
    return toLlm(rows);
  }
}
