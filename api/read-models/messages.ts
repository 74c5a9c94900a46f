import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import {
  MESSAGE_LOG_COLUMNS,
  messageRefsCondition,
  type MessageLogRow,
} from '../../lib/tables/message-log.js';
import { MESSAGE_ROLLUP_1M } from '../../lib/tables/rollups.js';
import { MessageType } from '../../schemas/records.js';
import { cacheKey, type ReadCache } from './cache.js';
import { decodeCursor, olderThan, toPage, type Page } from './cursor.js';
import { MESSAGES, newestFirst, rowsByKeys, selectByTrace, type KeyRow } from './newest-page.js';
import { messageFromRow, type ApiMessage, type WireRow } from './shapes.js';

export const MESSAGE_TYPES = Object.values(MessageType) as [MessageType, ...MessageType[]];

/** What `tasksOf` needs of a task: its id, trace and submission time (a TaskView has them). */
export interface TaskKey {
  task_id: string;
  trace_id: string | null;
  /** ISO-8601, to the millisecond. */
  submitted_at: string;
}

export interface MessageFilter {
  /** The queue: messages whose target is this agent. */
  agent?: string | undefined;
  messageType?: MessageType | undefined;
  sourceAgent?: string | undefined;
  traceId?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

/** Messages as stored in `message_log` (read through `messages_by_trace`), counts from `message_rollup_1m`. */
export class MessagesReadModel {
  readonly #reader: ClickHouseReader;
  readonly #cache: ReadCache;

  readonly #now: () => number;

  constructor(reader: ClickHouseReader, cache: ReadCache, now: () => number) {
    this.#reader = reader;
    this.#cache = cache;
    this.#now = now;
  }

  /** Newest first, keyset-paginated. */
  async list(filter: MessageFilter, limit: number, cursorText?: string): Promise<Page<ApiMessage>> {
    const cursor = decodeCursor(cursorText);
    const filters: string[] = [];
    if (filter.agent !== undefined) filters.push(`target_agent = ${quoteString(filter.agent)}`);
    if (filter.messageType !== undefined) filters.push(`message_type = ${quoteString(filter.messageType)}`);
    if (filter.sourceAgent !== undefined) filters.push(`source_agent = ${quoteString(filter.sourceAgent)}`);
    if (filter.untilMs !== undefined) filters.push(`sent_at_ms < ${quoteNumber(filter.untilMs)}`);
    const where = [olderThan(cursor, 'sent_at_ms', 'message_id', quoteString), ...filters];
    if (filter.sinceMs !== undefined) where.push(`sent_at_ms >= ${quoteNumber(filter.sinceMs)}`);
    const rows =
      filter.traceId === undefined
        ? await newestFirst<WireRow<MessageLogRow>>(
            this.#reader,
            MESSAGES,
            MESSAGE_LOG_COLUMNS,
            where,
            limit + 1,
            cursor?.ms ?? Math.min(filter.untilMs ?? Infinity, this.#now()),
            cursor === undefined
              ? { cache: this.#cache, where: filters, sinceMs: filter.sinceMs }
              : undefined,
          )
        : await this.#reader.query<WireRow<MessageLogRow>>(
            selectByTrace(
              MESSAGES,
              MESSAGE_LOG_COLUMNS,
              [`trace_id = ${quoteString(filter.traceId)}`, ...where],
              'newest',
              limit + 1,
            ),
          );
    const page = toPage(rows, limit, (row) => ({ ms: Number(row.sent_at_ms), id: row.message_id }));
    return { items: page.items.map(messageFromRow), next_cursor: page.next_cursor };
  }

  /**
   * The TASK messages of these tasks (to `agent`), in their order; tasks without a stored TASK are
   * left out. A task's row carries the key of its TASK in `messages_by_trace` (its trace, its
   * submission time, which is the message's, and its id), so the messages are read by key, not by
   * id through `message_refs`: 35 against 52 ms of ClickHouse CPU per lookup of up to a hundred
   * during bench:api, 15 against 20 ms on an idle store. The lookup by id remains for any task
   * whose key finds nothing. Through the cache: a stored message never changes, and every queue
   * view asks for the same pending tasks.
   */
  tasksOf(tasks: readonly TaskKey[], agent?: string): Promise<ApiMessage[]> {
    if (tasks.length === 0) return Promise.resolve([]);
    const keys: KeyRow[] = tasks.map((task) => ({
      trace_id: task.trace_id ?? '',
      t: Date.parse(task.submitted_at),
      id: task.task_id,
    }));
    return this.#cache.get(cacheKey('messages.tasksOf', keys, agent), async () => {
      const rows = await rowsByKeys<WireRow<MessageLogRow>>(
        this.#reader,
        MESSAGES,
        MESSAGE_LOG_COLUMNS,
        keys,
        [`message_type = 'task'`, ...(agent === undefined ? [] : [`target_agent = ${quoteString(agent)}`])],
      );
      const byId = new Map(rows.map((row) => [row.message_id, messageFromRow(row)]));
      const missing = keys.filter((key) => !byId.has(key.id)).map((key) => key.id);
      for (const message of await this.#tasksByIds(missing, agent)) byId.set(message.message_id, message);
      return keys.map((key) => byId.get(key.id)).filter((m): m is ApiMessage => m !== undefined);
    });
  }

  /** TASK messages by id, looked up through `message_refs`; in no particular order. */
  async #tasksByIds(ids: readonly string[], agent?: string): Promise<ApiMessage[]> {
    if (ids.length === 0) return [];
    const rows = await this.#reader.query<WireRow<MessageLogRow>>(
      selectByTrace(
        MESSAGES,
        MESSAGE_LOG_COLUMNS,
        [
          messageRefsCondition(ids, ['message']),
          `message_type = 'task'`,
          ...(agent === undefined ? [] : [`target_agent = ${quoteString(agent)}`]),
        ],
        'oldest',
        ids.length,
      ),
    );
    return rows.map(messageFromRow);
  }

  /** Every message of a trace, oldest first. */
  async byTrace(traceId: string, limit: number): Promise<ApiMessage[]> {
    const rows = await this.#reader.query<WireRow<MessageLogRow>>(
      selectByTrace(MESSAGES, MESSAGE_LOG_COLUMNS, [`trace_id = ${quoteString(traceId)}`], 'oldest', limit),
    );
    return rows.map(messageFromRow);
  }

  /** A message and every message that answers it (parent_message_id), oldest first. */
  async withAnswers(messageId: string, limit: number): Promise<ApiMessage[]> {
    const rows = await this.#reader.query<WireRow<MessageLogRow>>(
      selectByTrace(
        MESSAGES,
        MESSAGE_LOG_COLUMNS,
        [messageRefsCondition([messageId], ['message', 'parent'])],
        'oldest',
        limit,
      ),
    );
    return rows.map(messageFromRow);
  }

  /** Distinct messages per queue (target agent), all time. */
  totalsByAgent(): Promise<Map<string, number>> {
    return this.#cache.get('messages.totalsByAgent', async () => {
      const rows = await this.#reader.query<{ target_agent: string; n: string | number }>(
        `SELECT target_agent, uniqExactMerge(messages) AS n FROM ${MESSAGE_ROLLUP_1M} GROUP BY target_agent`,
      );
      return new Map(rows.map((row) => [row.target_agent, Number(row.n)]));
    });
  }

  /** Distinct messages per agent and type over the window, sent by (`source`) or to (`target`) it. */
  async countsSince(
    sinceMs: number,
  ): Promise<{ agent: string; direction: 'source' | 'target'; message_type: string; n: number }[]> {
    const since = `minute >= toStartOfMinute(toDateTime(${quoteNumber(Math.floor(sinceMs / 1000))}))`;
    const rows = await this.#reader.query<{
      agent: string;
      direction: 'source' | 'target';
      message_type: string;
      n: string | number;
    }>(`
      SELECT source_agent AS agent, 'source' AS direction, message_type, uniqExactMerge(messages) AS n
      FROM ${MESSAGE_ROLLUP_1M} WHERE ${since} GROUP BY source_agent, message_type
      UNION ALL
      SELECT target_agent AS agent, 'target' AS direction, message_type, uniqExactMerge(messages) AS n
      FROM ${MESSAGE_ROLLUP_1M} WHERE ${since} GROUP BY target_agent, message_type`);
    return rows.map((row) => ({ ...row, n: Number(row.n) }));
  }
}
