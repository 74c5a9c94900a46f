import type { ClickHouseWriter } from '../clickhouse.js';

/** `dead_letters` (migration 0005): every message sent to agent-telemetry-dlq, by origin. */
export const DEAD_LETTERS = 'dead_letters';

export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: number;
  error_code: string;
  reason: string;
  /** The schema id of the wire header, or -1 when there was none. */
  schema_id: number;
  size_bytes: number;
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
