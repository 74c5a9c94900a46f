/**
 * Burrow's consumer-lag evaluation (github.com/linkedin/Burrow, "Consumer Lag Evaluation Rules"),
 * over the samples the processors write to `lag_samples`. Per partition, over a window of the
 * latest samples (oldest first):
 *   - OK      the latest lag is zero, or none of the rules below applies;
 *   - REWIND  the committed offset went backwards somewhere in the window;
 *   - STOP    the committed offset has not moved for longer than the window spans and the group
 *             has no members (the consumer is gone), with lag left;
 *   - STALL   the committed offset did not move within the window while the lag stayed or grew,
 *             and the group still has members (the consumer is there but stuck);
 *   - WARN    the offset moves but the lag never shrinks between two samples (falling behind).
 * The consumer's status is ERR when any partition is STOP, STALL or REWIND, WARN when any is WARN,
 * else OK. A group that never committed while messages wait counts as STOP.
 *
 * Burrow tells STOP from STALL by the time of the last commit (a stuck consumer keeps committing the
 * same offset); samples of committed offsets cannot show that, so the group's membership, sampled
 * with them, stands in for it.
 */
export const LagStatus = {
  OK: 'OK',
  WARN: 'WARN',
  ERR: 'ERR',
  STOP: 'STOP',
  STALL: 'STALL',
  REWIND: 'REWIND',
} as const;
export type LagStatus = (typeof LagStatus)[keyof typeof LagStatus];
export type PartitionStatus = Exclude<LagStatus, 'ERR'>;

export interface LagSample {
  sampled_at_ms: number;
  committed_offset: number;
  lag: number;
  /** Members of the consumer group when sampled. */
  members: number;
}

/** Burrow's default window: the last 10 samples. */
export const WINDOW_SAMPLES = 10;

export function evaluatePartition(samples: readonly LagSample[], nowMs: number): PartitionStatus {
  const window = samples.slice(-WINDOW_SAMPLES);
  const last = window[window.length - 1];
  const first = window[0];
  if (last === undefined || first === undefined) return LagStatus.OK;
  if (last.lag <= 0) return LagStatus.OK;
  for (let i = 1; i < window.length; i++) {
    const previous = window[i - 1];
    const current = window[i];
    if (
      previous !== undefined &&
      current !== undefined &&
      current.committed_offset >= 0 &&
      current.committed_offset < previous.committed_offset
    ) {
      return LagStatus.REWIND;
    }
  }
  if (window.every((s) => s.committed_offset < 0)) return LagStatus.STOP;
  // when did the committed offset reach its latest value?
  let since = last.sampled_at_ms;
  for (let i = window.length - 1; i >= 0; i--) {
    const sample = window[i];
    if (sample === undefined || sample.committed_offset !== last.committed_offset) break;
    since = sample.sampled_at_ms;
  }
  const span = last.sampled_at_ms - first.sampled_at_ms;
  const neverShrinks = window.every((s, i) => i === 0 || s.lag >= (window[i - 1]?.lag ?? 0));
  if (window.length > 1 && first.committed_offset === last.committed_offset) {
    if (last.members === 0 && span > 0 && nowMs - since > span) return LagStatus.STOP;
    return neverShrinks ? LagStatus.STALL : LagStatus.OK;
  }
  if (window.length > 1 && neverShrinks && last.lag > first.lag) return LagStatus.WARN;
  return LagStatus.OK;
}

const SEVERITY: Record<PartitionStatus, number> = { OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4 };

/** The consumer's status from its partitions' (Burrow: OK, WARN or ERR) and the worst partition's. */
export function evaluateConsumer(partitions: readonly PartitionStatus[]): {
  status: LagStatus;
  worst: PartitionStatus;
} {
  let worst: PartitionStatus = LagStatus.OK;
  for (const p of partitions) if (SEVERITY[p] > SEVERITY[worst]) worst = p;
  const status =
    worst === LagStatus.OK ? LagStatus.OK : worst === LagStatus.WARN ? LagStatus.WARN : LagStatus.ERR;
  return { status, worst };
}
