import type { MessageType, Priority } from '../../schemas/records.js';
import type { ClickHouseWriter } from '../clickhouse.js';
import { quoteString } from '../sql.js';

/** `message_log` (migration 0001): every observed AgentMessage. Absent values are '' and 0. */
export const MESSAGE_LOG = 'message_log';
/** `messages_by_trace` (migration 0006): every column of `message_log`, sorted by (trace_id, sent_at_ms, message_id). */
export const MESSAGES_BY_TRACE = 'messages_by_trace';
/** The materialized view that copies `message_log` into `messages_by_trace`. */
export const MESSAGES_BY_TRACE_MV = 'messages_by_trace_mv';
/** `message_refs` (migration 0006): message id and parent id -> the message's key in `messages_by_trace`. */
export const MESSAGE_REFS = 'message_refs';
/** The materialized view that fills `message_refs` from `message_log`. */
export const MESSAGE_REFS_MV = 'message_refs_mv';

export interface MessageLogRow {
  message_id: string;
  /** The Kafka topic the record was read from. */
  topic: string;
  /** Its Kafka partition. */
  partition: number;
  /** Its offset in that partition. */
  offset: number;
  /** The schema registry id of the writer's schema (from the wire header). */
  schema_id: number;
  source_agent: string;
  target_agent: string;
  /** What the message is: a `task`, an answer to one (`result`, `error`), a `cancel` of one, or a `heartbeat`. */
  message_type: MessageType;
  /** The priority the sender gave the message (`normal` unless set). */
  priority: Priority;
  trace_id: string;
  span_id: string;
  parent_message_id: string;
  reason: string;
  payload: string;
  ttl_seconds: number;
  attempt: number;
  max_retries: number;
  /** The time the requester needs the answer by (epoch ms); 0 when none. */
  deadline_ms: number;
  job_id: string;
  /** AgentMessage.timestamp (epoch ms), or the observed time when it could not be right (see `sent_at_original_ms`). */
  sent_at_ms: number;
  /** When the processors read the record (epoch ms); the version that deduplication keeps the greatest of. */
  observed_at_ms: number;
  /** The sender's own timestamp when it could not be right and `sent_at_ms` is the observed time; else 0 (migration 0007). */
  sent_at_original_ms: number;
  /** When the answering agent started the task (RESULT/ERROR that report it); else 0 (migration 0008). */
  started_at_ms: number;
}

/** The stored columns of `message_log` and `messages_by_trace`, in table order (not `event_date`, which is MATERIALIZED). */
export const MESSAGE_LOG_COLUMNS = [
  'message_id',
  'topic',
  'partition',
  'offset',
  'schema_id',
  'source_agent',
  'target_agent',
  'message_type',
  'priority',
  'trace_id',
  'span_id',
  'parent_message_id',
  'reason',
  'payload',
  'ttl_seconds',
  'attempt',
  'max_retries',
  'deadline_ms',
  'job_id',
  'sent_at_ms',
  'observed_at_ms',
  'sent_at_original_ms',
  'started_at_ms',
] as const satisfies readonly (keyof MessageLogRow)[];

/** What a `message_refs` row names: the message itself, or the message it answers. */
export type MessageRefKind = 'message' | 'parent';

export interface MessageRefRow {
  /** The id looked up: the message's own id, or the id of the task it answers. */
  ref: string;
  /** `message` when `ref` is the message's own id, `parent` when it is its `parent_message_id`. */
  ref_kind: MessageRefKind;
  /** The message's trace id; with `sent_at_ms` and `message_id`, its key in `messages_by_trace`. */
  trace_id: string;
  /** The message's `sent_at_ms` (epoch ms). */
  sent_at_ms: number;
  /** The message's id (equal to `ref` when `ref_kind` is `message`). */
  message_id: string;
}

/** The columns of `message_refs`; all of them are its key. */
export const MESSAGE_REF_COLUMNS = [
  'ref',
  'ref_kind',
  'trace_id',
  'sent_at_ms',
  'message_id',
] as const satisfies readonly (keyof MessageRefRow)[];

export function insertMessageLog(writer: ClickHouseWriter, rows: readonly MessageLogRow[]): Promise<void> {
  return writer.insert(MESSAGE_LOG, rows);
}

/**
 * A condition on `messages_by_trace`: the keys of the messages `message_refs` finds for `refs`, as
 * `kinds` (by their own id, or as the message they answer).
 */
export function messageRefsCondition(refs: readonly string[], kinds: readonly MessageRefKind[]): string {
  return `(trace_id, sent_at_ms, message_id) IN (SELECT trace_id, sent_at_ms, message_id FROM ${MESSAGE_REFS}
    WHERE ref IN (${refs.map(quoteString).join(', ')}) AND ref_kind IN (${kinds.map(quoteString).join(', ')}))`;
}
