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
  /** The agent that sent the heartbeat (its `source_agent`). */
  agent: string;
  /** The HEARTBEAT message's id. */
  message_id: string;
  /**
   * `idle`, `busy`, `draining` or `stopping`, as reported; `unknown` when the message carried no heartbeat.
   */
  state: string;
  /** Tasks the agent was working on; 0 when not reported. */
  in_flight: number;
  /** Tasks the agent can work on at once; 0 when the message carried no heartbeat. */
  max_concurrency: number;
  /** The agent's host; '' when not reported. */
  host: string;
  /** The agent's process id; 0 when not reported. */
  pid: number;
  /** The agent's version; '' when not reported. */
  version: string;
  /** The message's `sent_at_ms` (epoch ms). */
  sent_at_ms: number;
  /** When the processors read the message (epoch ms). */
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
  /** The agent that sent the heartbeats. */
  agent: string;
  /** minMerge (epoch ms). */
  first_heartbeat_ms: number;
  /** maxMerge (epoch ms). */
  last_heartbeat_ms: number;
  /** argMaxMerge, like the other `last_*` columns. */
  last_state: string;
  /** `in_flight` of the latest heartbeat. */
  last_in_flight: number;
  /** `max_concurrency` of the latest heartbeat. */
  last_max_concurrency: number;
  /** `host` of the latest heartbeat. */
  last_host: string;
  /** `pid` of the latest heartbeat. */
  last_pid: number;
  /** `version` of the latest heartbeat. */
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
