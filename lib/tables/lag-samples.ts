import type { ClickHouseWriter } from '../clickhouse.js';

/** `lag_samples` (migration 0005): consumer lag per group, topic and partition, sampled every LAG_SAMPLE_INTERVAL_MS. */
export const LAG_SAMPLES = 'lag_samples';

export interface LagSampleRow {
  /** The Kafka consumer group. */
  group_id: string;
  /** An agent queue topic or the errors topic. */
  topic: string;
  /** The topic's partition. */
  partition: number;
  /** When the sample was taken (epoch ms), rounded down to the sampling interval. */
  sampled_at_ms: number;
  /** The partition's end offset (the offset the next record will get). */
  end_offset: number;
  /** The group's committed offset on the partition; partitions where it never committed are not sampled. */
  committed_offset: number;
  /** `end_offset` − `committed_offset`, never below 0: records the group has yet to commit. */
  lag: number;
  /** Members of the group when sampled. */
  members: number;
  /**
   * The group's state: `stable`, `empty`, `dead`, `preparing_rebalance`, `completing_rebalance` or
   * `unknown`.
   */
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
