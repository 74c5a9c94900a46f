import type { MessageType, Priority } from '../../schemas/records.js';
import type { ClickHouseWriter } from '../clickhouse.js';

/** `message_log` (migration 0001): every observed AgentMessage. Absent values are '' and 0. */
export const MESSAGE_LOG = 'message_log';
/** `message_refs` (migration 0006): message id and parent id -> the message's key in `messages_by_trace`. */
export const MESSAGE_REFS = 'message_refs';

export interface MessageLogRow {
  message_id: string;
  topic: string;
  partition: number;
  offset: number;
  schema_id: number;
  source_agent: string;
  target_agent: string;
  message_type: MessageType;
  priority: Priority;
  trace_id: string;
  span_id: string;
  parent_message_id: string;
  reason: string;
  payload: string;
  ttl_seconds: number;
  attempt: number;
  max_retries: number;
  deadline_ms: number;
  job_id: string;
  sent_at_ms: number;
  observed_at_ms: number;
}

export function insertMessageLog(writer: ClickHouseWriter, rows: readonly MessageLogRow[]): Promise<void> {
  return writer.insert(MESSAGE_LOG, rows);
}
