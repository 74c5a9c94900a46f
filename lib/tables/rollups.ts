import type { ErrorCategory, MessageType, Severity } from '../../schemas/records.js';

/**
 * Per-minute rollups (migrations 0003 and 0004), folded by materialized views with
 * `uniqExactState` of the ids, so redelivery never inflates a count: read the count back with
 * `uniqExactMerge` and GROUP BY. `minute` is a DateTime (the start of the minute).
 */

/** `message_rollup_1m`: messages per minute × queue agent × sender × message type. */
export const MESSAGE_ROLLUP_1M = 'message_rollup_1m';
/** The materialized view that folds `message_log` into `message_rollup_1m`. */
export const MESSAGE_ROLLUP_1M_MV = 'message_rollup_1m_mv';

export interface MessageRollupRow {
  /** ClickHouse DateTime text, `YYYY-MM-DD hh:mm:ss` in the server's time zone. */
  minute: string;
  /** The agent whose queue the messages were written to. */
  target_agent: string;
  /** The agent that wrote them. */
  source_agent: string;
  /** `task`, `result`, `error`, `heartbeat` or `cancel`. */
  message_type: MessageType;
  /** uniqExactMerge: distinct message ids. */
  messages: number;
}

export const MESSAGE_ROLLUP_COLUMNS = [
  'minute',
  'target_agent',
  'source_agent',
  'message_type',
  'messages',
] as const satisfies readonly (keyof MessageRollupRow)[];

/** `error_rollup_1m`: errors per minute × agent × category × severity. */
export const ERROR_ROLLUP_1M = 'error_rollup_1m';
/** The materialized view that folds `error_facts` into `error_rollup_1m`. */
export const ERROR_ROLLUP_1M_MV = 'error_rollup_1m_mv';

export interface ErrorRollupRow {
  /** ClickHouse DateTime text, `YYYY-MM-DD hh:mm:ss` in the server's time zone. */
  minute: string;
  /** The agent that reported the errors. */
  agent_name: string;
  /** The errors' category (as text). */
  category: ErrorCategory;
  /** The errors' severity (as text). */
  severity: Severity;
  /** uniqExactMerge: distinct error ids. */
  errors: number;
}

export const ERROR_ROLLUP_COLUMNS = [
  'minute',
  'agent_name',
  'category',
  'severity',
  'errors',
] as const satisfies readonly (keyof ErrorRollupRow)[];
