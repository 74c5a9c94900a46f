import type { ClickHouseWriter } from '../clickhouse.js';
import { DEAD_LETTERS, insertDeadLetters, type DeadLetterRow } from './dead-letters.js';
import { ERROR_FACTS, insertErrorFacts, type ErrorFactRow } from './error-facts.js';
import { HEARTBEATS, insertHeartbeats, type HeartbeatRow } from './heartbeats.js';
import { insertLlmCalls, LLM_CALLS, type LlmCallRow } from './llm-calls.js';
import { insertMessageLog, MESSAGE_LOG, type MessageLogRow } from './message-log.js';
import { insertTaskEvents, TASK_EVENTS, type TaskEventRow } from './task-lifecycle.js';

/**
 * The tables the processors write, with the row type of each. Everything else in ClickHouse is
 * derived from these by materialized views, or written by the lag sampler (`lag_samples`).
 */
export interface WrittenRows {
  [MESSAGE_LOG]: MessageLogRow;
  [TASK_EVENTS]: TaskEventRow;
  [LLM_CALLS]: LlmCallRow;
  [HEARTBEATS]: HeartbeatRow;
  [ERROR_FACTS]: ErrorFactRow;
  [DEAD_LETTERS]: DeadLetterRow;
}
export type WrittenTable = keyof WrittenRows;

/** Rows for every table the processors write, keyed by table name. */
export type TableRows = { [T in WrittenTable]: WrittenRows[T][] };

type Insert<T extends WrittenTable> = (
  writer: ClickHouseWriter,
  rows: readonly WrittenRows[T][],
) => Promise<void>;

/** Each written table's insert function, from its module. */
const INSERTS: { readonly [T in WrittenTable]: Insert<T> } = {
  [MESSAGE_LOG]: insertMessageLog,
  [TASK_EVENTS]: insertTaskEvents,
  [LLM_CALLS]: insertLlmCalls,
  [HEARTBEATS]: insertHeartbeats,
  [ERROR_FACTS]: insertErrorFacts,
  [DEAD_LETTERS]: insertDeadLetters,
};

/** The written tables, in the order of `WrittenRows`. */
export const WRITTEN_TABLES = Object.keys(INSERTS) as readonly WrittenTable[];

export function emptyTableRows(): TableRows {
  return {
    [MESSAGE_LOG]: [],
    [TASK_EVENTS]: [],
    [LLM_CALLS]: [],
    [HEARTBEATS]: [],
    [ERROR_FACTS]: [],
    [DEAD_LETTERS]: [],
  };
}

/** Inserts `rows` into `table` through the table module's insert function. */
export function insertRows<T extends WrittenTable>(
  writer: ClickHouseWriter,
  table: T,
  rows: readonly WrittenRows[T][],
): Promise<void> {
  const insert: Insert<T> = INSERTS[table];
  return insert(writer, rows);
}

/** Inserts the rows of every table that has some, one insert per table, concurrently. */
export async function insertTableRows(writer: ClickHouseWriter, rows: TableRows): Promise<void> {
  await Promise.all(
    WRITTEN_TABLES.map(async (table) => {
      if (rows[table].length > 0) await insertRows(writer, table, rows[table]);
    }),
  );
}
