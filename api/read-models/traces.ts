import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { ERRORS_BY_TRACE } from '../../lib/tables/error-facts.js';
import { MESSAGE_LOG, MESSAGES_BY_TRACE } from '../../lib/tables/message-log.js';
import type { ErrorsReadModel } from './errors.js';
import type { MessagesReadModel } from './messages.js';
import { isoTime, type ApiError, type ApiMessage } from './shapes.js';

export interface TraceNode {
  message: ApiMessage;
  /** Errors reported for this message's task (by task id). */
  errors: ApiError[];
  children: TraceNode[];
}

export interface TimelineEntry {
  kind: 'message' | 'error';
  at: string;
  /** Milliseconds since the first event of the trace. */
  offset_ms: number;
  agent_name: string;
  summary: string;
  message?: ApiMessage;
  error?: ApiError;
}

export interface TraceSummary {
  trace_id: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  agents: string[];
  message_count: number;
  error_count: number;
  /** `failed` when an error or a failed answer is in it, `pending` while a task is unanswered, else `completed`. */
  status: 'failed' | 'pending' | 'completed';
}

export interface TraceView extends TraceSummary {
  roots: TraceNode[];
  /** Errors of the trace that name no message of it (no task id, or one not in the trace). */
  unattached_errors: ApiError[];
  timeline: TimelineEntry[];
  messages: ApiMessage[];
  errors: ApiError[];
}

export interface AgentEdge {
  source_agent: string;
  target_agent: string;
  message_type: string;
  count: number;
}

const MAX_TRACE_MESSAGES = 5_000;

/** Builds the message tree (by `parent_message_id`) and the merged timeline of a trace. */
export function assembleTrace(
  traceId: string,
  messages: readonly ApiMessage[],
  errors: readonly ApiError[],
): TraceView | undefined {
  if (messages.length === 0 && errors.length === 0) return undefined;
  const nodes = new Map<string, TraceNode>();
  for (const message of messages) nodes.set(message.message_id, { message, errors: [], children: [] });
  const roots: TraceNode[] = [];
  for (const node of nodes.values()) {
    const parent =
      node.message.parent_message_id === null ? undefined : nodes.get(node.message.parent_message_id);
    if (parent !== undefined && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const loose: ApiError[] = [];
  for (const error of errors) {
    const node = error.task_id === null ? undefined : nodes.get(error.task_id);
    if (node !== undefined) node.errors.push(error);
    else loose.push(error);
  }
  const times = [
    ...messages.map((m) => Date.parse(m.timestamp)),
    ...errors.map((e) => Date.parse(e.timestamp)),
  ];
  const start = Math.min(...times);
  const end = Math.max(...times);
  const timeline: TimelineEntry[] = [
    ...messages.map((m): TimelineEntry => ({
      kind: 'message',
      at: m.timestamp,
      offset_ms: Date.parse(m.timestamp) - start,
      agent_name: m.source_agent,
      summary: `${m.message_type} ${m.source_agent} → ${m.target_agent}${m.reason === null ? '' : `: ${m.reason}`}`,
      message: m,
    })),
    ...errors.map((e): TimelineEntry => ({
      kind: 'error',
      at: e.timestamp,
      offset_ms: Date.parse(e.timestamp) - start,
      agent_name: e.agent_name,
      summary: `${e.severity} ${e.error_type} in ${e.agent_name}: ${e.error_message}`,
      error: e,
    })),
  ].sort((a, b) => a.offset_ms - b.offset_ms || (a.kind === b.kind ? 0 : a.kind === 'message' ? -1 : 1));
  const answered = new Set(messages.filter((m) => m.message_type !== 'task').map((m) => m.parent_message_id));
  const failed = errors.length > 0 || messages.some((m) => m.message_type === 'error');
  const pending = messages.some((m) => m.message_type === 'task' && !answered.has(m.message_id));
  return {
    trace_id: traceId,
    started_at: isoTime(start),
    ended_at: isoTime(end),
    duration_ms: end - start,
    agents: [
      ...new Set([
        ...messages.flatMap((m) => [m.source_agent, m.target_agent]),
        ...errors.map((e) => e.agent_name),
      ]),
    ].sort(),
    message_count: messages.length,
    error_count: errors.length,
    status: failed ? 'failed' : pending ? 'pending' : 'completed',
    roots,
    unattached_errors: loose,
    timeline,
    messages: [...messages],
    errors: [...errors],
  };
}

/** Traces: the messages and errors that share a trace id. */
export class TracesReadModel {
  readonly #reader: ClickHouseReader;
  readonly #messages: MessagesReadModel;
  readonly #errors: ErrorsReadModel;

  constructor(reader: ClickHouseReader, messages: MessagesReadModel, errors: ErrorsReadModel) {
    this.#reader = reader;
    this.#messages = messages;
    this.#errors = errors;
  }

  async get(traceId: string): Promise<TraceView | undefined> {
    const [messages, errors] = await Promise.all([
      this.#messages.byTrace(traceId, MAX_TRACE_MESSAGES),
      this.#errors.related({ traceId }, MAX_TRACE_MESSAGES),
    ]);
    return assembleTrace(traceId, messages, errors);
  }

  /** Recent traces, newest activity first (or longest first with `order: 'duration'`). */
  async list(options: {
    sinceMs: number;
    limit: number;
    agent?: string | undefined;
    order?: 'recent' | 'duration';
    minDurationMs?: number | undefined;
  }): Promise<TraceSummary[]> {
    const having: string[] = [];
    if (options.agent !== undefined) having.push(`has(agents, ${quoteString(options.agent)})`);
    if (options.minDurationMs !== undefined)
      having.push(`duration_ms >= ${quoteNumber(options.minDurationMs)}`);
    const rows = await this.#reader.query<{
      trace_id: string;
      started: string | number;
      ended: string | number;
      duration_ms: string | number;
      agents: string[];
      messages: string | number;
      failed_answers: string | number;
      tasks: string[];
      answered: string[];
    }>(`
      SELECT trace_id, min(sent_at_ms) AS started, max(sent_at_ms) AS ended, ended - started AS duration_ms,
             arrayDistinct(arrayConcat(groupUniqArray(source_agent), groupUniqArray(target_agent))) AS agents,
             uniqExact(message_id) AS messages, uniqExactIf(message_id, message_type = 'error') AS failed_answers,
             groupUniqArrayIf(message_id, message_type = 'task') AS tasks,
             groupUniqArrayIf(parent_message_id, message_type != 'task' AND parent_message_id != '') AS answered
      FROM ${MESSAGE_LOG}
      WHERE trace_id != '' AND sent_at_ms >= ${quoteNumber(options.sinceMs)}
      GROUP BY trace_id
      ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
      ORDER BY ${options.order === 'duration' ? 'duration_ms DESC' : 'ended DESC'}, trace_id LIMIT ${options.limit}`);
    const errorCounts = new Map<string, number>();
    if (rows.length > 0) {
      const counts = await this.#reader.query<{ trace_id: string; n: string | number }>(`
        SELECT trace_id, uniqExact(error_id) AS n FROM ${ERRORS_BY_TRACE}
        WHERE trace_id IN (${rows.map((r) => quoteString(r.trace_id)).join(', ')}) GROUP BY trace_id`);
      for (const c of counts) errorCounts.set(c.trace_id, Number(c.n));
    }
    return rows.map((row) => {
      const errors = errorCounts.get(row.trace_id) ?? 0;
      const answered = new Set(row.answered);
      const pending = row.tasks.some((t) => !answered.has(t));
      return {
        trace_id: row.trace_id,
        started_at: isoTime(Number(row.started)),
        ended_at: isoTime(Number(row.ended)),
        duration_ms: Number(row.duration_ms),
        agents: [...row.agents].sort(),
        message_count: Number(row.messages),
        error_count: errors,
        status: errors > 0 || Number(row.failed_answers) > 0 ? 'failed' : pending ? 'pending' : 'completed',
      };
    });
  }

  /** Who sends what to whom within a trace (read by the trace's key, not over every agent's range). */
  async graph(traceId: string): Promise<AgentEdge[]> {
    const rows = await this.#reader.query<{
      source_agent: string;
      target_agent: string;
      message_type: string;
      n: string | number;
    }>(`
      SELECT source_agent, target_agent, toString(message_type) AS message_type, uniqExact(message_id) AS n
      FROM ${MESSAGES_BY_TRACE} WHERE trace_id = ${quoteString(traceId)}
      GROUP BY source_agent, target_agent, message_type ORDER BY source_agent, target_agent, message_type`);
    return rows.map((r) => ({
      source_agent: r.source_agent,
      target_agent: r.target_agent,
      message_type: r.message_type,
      count: Number(r.n),
    }));
  }
}
