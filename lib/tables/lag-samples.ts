import type { ClickHouseWriter } from '../clickhouse.js';

/** `lag_samples` (migration 0005): consumer lag per group, topic and partition over time. */
export const LAG_SAMPLES = 'lag_samples';

export interface LagSampleRow {
  group_id: string;
  topic: string;
  partition: number;
  sampled_at_ms: number;
  end_offset: number;
  /** -1 when the group has no committed offset for the partition. */
  committed_offset: number;
  lag: number;
  members: number;
  group_state: string;
}

/** The stored columns of `lag_samples`, in table order (not `event_date`, which is MATERIALIZED). */
export const LAG_SAMPLE_COLUMNS = [
  'group_id',
  'topic',
  'partition',
  'sampled_at_ms',
  'end_offset',
  'committed_offset',
  'lag',
  'members',
  'group_state',
] as const satisfies readonly (keyof LagSampleRow)[];

export function insertLagSamples(writer: ClickHouseWriter, rows: readonly LagSampleRow[]): Promise<void> {
  return writer.insert(LAG_SAMPLES, rows);
}
