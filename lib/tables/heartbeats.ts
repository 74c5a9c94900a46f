import type { ClickHouseWriter } from '../clickhouse.js';

/** `heartbeats` → `agent_liveness` (migration 0004): what each HEARTBEAT reported. */
export const HEARTBEATS = 'heartbeats';

export interface HeartbeatRow {
  agent: string;
  message_id: string;
  state: string;
  in_flight: number;
  max_concurrency: number;
  host: string;
  pid: number;
  version: string;
  sent_at_ms: number;
  observed_at_ms: number;
}

export function insertHeartbeats(writer: ClickHouseWriter, rows: readonly HeartbeatRow[]): Promise<void> {
  return writer.insert(HEARTBEATS, rows);
}
