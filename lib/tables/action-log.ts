import type { ClickHouseReader, ClickHouseWriter } from '../clickhouse.js';
import { quoteNumber, quoteString } from '../sql.js';

/** `action_log` (migration 0009): the audit log of actions taken through the API. */
export const ACTION_LOG = 'action_log';

export const ActionKind = {
  CANCEL_TASK: 'cancel_task',
  RETRY_TASK: 'retry_task',
  REPLAY_DEAD_LETTERS: 'replay_dead_letters',
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

/**
 * What happened to a request: `started` is written before anything is produced; then one of `done`
 * (produced), `duplicate` (an earlier request with the same action id was done: nothing produced),
 * `refused` (the target's state forbids it, e.g. a task already answered) or `failed` (Kafka or the
 * registry failed; the action may be asked again).
 */
export const ActionOutcome = {
  STARTED: 'started',
  DONE: 'done',
  DUPLICATE: 'duplicate',
  REFUSED: 'refused',
  FAILED: 'failed',
} as const;
export type ActionOutcome = (typeof ActionOutcome)[keyof typeof ActionOutcome];

export const ActionChannel = { REST: 'rest', GRAPHQL: 'graphql', MCP: 'mcp', CLI: 'cli' } as const;
export type ActionChannel = (typeof ActionChannel)[keyof typeof ActionChannel];

export interface ActionLogRow {
  /** One request (a UUID); its `started` row and its outcome row share it. */
  request_id: string;
  /**
   * The action: 32 hex digits derived from `action`, `target` and `idempotency_key`; requests for the same
   * action share it.
   */
  action_id: string;
  /** `cancel_task`, `retry_task` or `replay_dead_letters`. */
  action: ActionKind;
  /** The task id, or one dead letter as `topic/partition/offset` (each replayed letter is its own action). */
  target: string;
  /** Who asked, as the caller named itself; `token-holder` when not given. */
  actor: string;
  /** What the request came through: `rest`, `graphql`, `mcp` or `cli`. */
  channel: ActionChannel;
  /** The caller's User-Agent (REST; the CLI sends `agent-telemetry-cli`), or `graphql` or `mcp`. */
  client: string;
  /** The caller's idempotency key; '' when none was given (the action's natural identity). */
  idempotency_key: string;
  /** `started` (written before anything is produced), then `done`, `duplicate`, `refused` or `failed`. */
  outcome: ActionOutcome;
  /** JSON text: what was produced, or why not. */
  detail: string;
  /** Messages produced by this request. */
  produced: number;
  /** When the row was written (epoch ms). */
  at_ms: number;
}

export const ACTION_LOG_COLUMNS = [
  'request_id',
  'action_id',
  'action',
  'target',
  'actor',
  'channel',
  'client',
  'idempotency_key',
  'outcome',
  'detail',
  'produced',
  'at_ms',
] as const satisfies readonly (keyof ActionLogRow)[];

export function insertActionLog(writer: ClickHouseWriter, rows: readonly ActionLogRow[]): Promise<void> {
  return writer.insert(ACTION_LOG, rows);
}

const SELECT = `SELECT ${ACTION_LOG_COLUMNS.join(', ')} FROM ${ACTION_LOG} FINAL`;

/** Every row of one action id, oldest first. */
export function queryActionRows(reader: ClickHouseReader, actionId: string): Promise<ActionLogRow[]> {
  return reader
    .query<RawActionLogRow>(`${SELECT} WHERE action_id = ${quoteString(actionId)} ORDER BY at_ms, outcome`)
    .then((rows) => rows.map(normalize));
}

export interface ActionLogFilter {
  action?: ActionKind | undefined;
  target?: string | undefined;
  sinceMs?: number | undefined;
  limit: number;
}

/** The newest rows first, filtered. */
export function queryActionLog(reader: ClickHouseReader, filter: ActionLogFilter): Promise<ActionLogRow[]> {
  const where: string[] = [];
  if (filter.action !== undefined) where.push(`action = ${quoteString(filter.action)}`);
  if (filter.target !== undefined) where.push(`target = ${quoteString(filter.target)}`);
  if (filter.sinceMs !== undefined) where.push(`at_ms >= ${quoteNumber(Math.trunc(filter.sinceMs))}`);
  const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  return reader
    .query<RawActionLogRow>(
      `${SELECT}${clause} ORDER BY at_ms DESC, request_id, outcome LIMIT ${quoteNumber(Math.trunc(filter.limit))}`,
    )
    .then((rows) => rows.map(normalize));
}

/** A row as JSON brings it: UInt64 as text. */
type RawActionLogRow = Omit<ActionLogRow, 'at_ms'> & { at_ms: number | string };

function normalize(row: RawActionLogRow): ActionLogRow {
  return { ...row, at_ms: Number(row.at_ms) };
}
