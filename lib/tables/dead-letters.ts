import type { ClickHouseWriter } from '../clickhouse.js';

/** `dead_letters` (migration 0005): every message sent to agent-telemetry-dlq, by origin. */
export const DEAD_LETTERS = 'dead_letters';

export interface DeadLetterRow {
  /** The topic the poison message was read from. */
  topic: string;
  /** Its partition. */
  partition: number;
  /** Its offset in that partition. */
  offset: number;
  /** Why it is poison: a codec or mapping error code (e.g. `EMPTY_VALUE`, `INVALID_RECORD`). */
  error_code: string;
  /** A human-readable reason, at most 1000 characters. */
  reason: string;
  /** The schema id of the wire header, or -1 when there was none. */
  schema_id: number;
  /** The size of the message's value in bytes; 0 for an empty value. */
  size_bytes: number;
  /** When the processors read the message (epoch ms). */
  observed_at_ms: number;
}

export const DEAD_LETTER_COLUMNS = [
  'topic',
  'partition',
  'offset',
  'error_code',
  'reason',
  'schema_id',
  'size_bytes',
  'observed_at_ms',
] as const satisfies readonly (keyof DeadLetterRow)[];

export function insertDeadLetters(writer: ClickHouseWriter, rows: readonly DeadLetterRow[]): Promise<void> {
  return writer.insert(DEAD_LETTERS, rows);
}
