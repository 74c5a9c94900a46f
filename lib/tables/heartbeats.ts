import type { ClickHouseWriter } from '../clickhouse.js';

/**
 * `heartbeats` → `agent_liveness` (migration 0004): what each HEARTBEAT reported. `heartbeats` has
 * the Null engine (it keeps nothing); its materialized view folds every row into `agent_liveness`.
 */
export const HEARTBEATS = 'heartbeats';
/** `agent_liveness`: one row-set per agent, read back with maxMerge/minMerge/argMaxMerge/uniqExactMerge and GROUP BY agent. */
export const AGENT_LIVENESS = 'agent_liveness';
/** The materialized view that folds `heartbeats` into `agent_liveness`. */
export const AGENT_LIVENESS_MV = 'agent_liveness_mv';

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

export const HEARTBEAT_COLUMNS = [
  'agent',
  'message_id',
  'state',
  'in_flight',
  'max_concurrency',
  'host',
  'pid',
  'version',
  'sent_at_ms',
  'observed_at_ms',
] as const satisfies readonly (keyof HeartbeatRow)[];

/** An agent's liveness as its -Merge functions read it back; `last_*` are of its latest heartbeat. */
export interface AgentLivenessRow {
  agent: string;
  /** minMerge (epoch ms). */
  first_heartbeat_ms: number;
  /** maxMerge (epoch ms). */
  last_heartbeat_ms: number;
  /** argMaxMerge, like the other `last_*` columns. */
  last_state: string;
  last_in_flight: number;
  last_max_concurrency: number;
  last_host: string;
  last_pid: number;
  last_version: string;
  /** uniqExactMerge: distinct heartbeat message ids. */
  heartbeats: number;
}

export const AGENT_LIVENESS_COLUMNS = [
  'agent',
  'first_heartbeat_ms',
  'last_heartbeat_ms',
  'last_state',
  'last_in_flight',
  'last_max_concurrency',
  'last_host',
  'last_pid',
  'last_version',
  'heartbeats',
] as const satisfies readonly (keyof AgentLivenessRow)[];

export function insertHeartbeats(writer: ClickHouseWriter, rows: readonly HeartbeatRow[]): Promise<void> {
  return writer.insert(HEARTBEATS, rows);
}
