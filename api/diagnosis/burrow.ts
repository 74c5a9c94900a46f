import type { LagPoint } from './types.js';

/**
 * Burrow's consumer-lag evaluation (github.com/linkedin/Burrow, "Consumer Lag Evaluation Rules"),
 * over the samples of one partition in a window, oldest first:
 *
 * 1. any sample with zero lag → OK (the consumer caught up at least once);
 * 2. the committed offset went backwards → REWIND;
 * 3. the committed offset never moved while lag stayed non-zero → STALL when messages kept arriving
 *    (none is consumed), STOP when nothing arrived either;
 * 4. the consumer committed, then stopped: the time since its last commit is longer than the span of
 *    its commits in the window, while messages kept arriving → STOP;
 * 5. the committed offset moves but the lag never shrank and grew overall → WARN (falling behind);
 * 6. otherwise OK.
 *
 * The samples carry no commit timestamps, so "the last commit" is the first sample that shows the
 * final committed offset.
 */
export const LagStatus = {
  OK: 'OK',
  WARN: 'WARN',
  STALL: 'STALL',
  STOP: 'STOP',
  REWIND: 'REWIND',
  /** Fewer than two samples: no trend can be judged. */
  UNKNOWN: 'UNKNOWN',
} as const;
export type LagStatus = (typeof LagStatus)[keyof typeof LagStatus];

export interface LagEvaluation {
  status: LagStatus;
  /** Lag of the newest sample. */
  lag: number;
  /** Lag growth from the oldest to the newest sample. */
  growth: number;
}

/** Minimum number of samples for a trend (Burrow's default window holds 10 commits). */
export const MIN_LAG_SAMPLES = 3;

/**
 * The least time without a commit that counts as stalled or stopped: consumers auto-committing on an
 * interval (5 s by default in librdkafka and the Java client) commit nothing between samples closer
 * than that, which is no fault.
 */
export const MIN_SILENCE_MS = 15_000;

export function evaluateLag(points: readonly LagPoint[]): LagEvaluation {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return { status: LagStatus.UNKNOWN, lag: 0, growth: 0 };
  const result = (status: LagStatus): LagEvaluation => ({
    status,
    lag: last.lag,
    growth: last.lag - first.lag,
  });
  if (points.some((p) => p.lag === 0)) return result(LagStatus.OK);
  if (points.length < MIN_LAG_SAMPLES) return result(LagStatus.UNKNOWN);
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1];
    const current = points[i];
    if (
      previous !== undefined &&
      current !== undefined &&
      current.committed_offset < previous.committed_offset
    ) {
      return result(LagStatus.REWIND);
    }
  }
  if (first.committed_offset === last.committed_offset) {
    // a consumer that commits every few seconds (auto-commit) shows no commit between close samples
    if (last.at_ms - first.at_ms < MIN_SILENCE_MS) return result(LagStatus.UNKNOWN);
    return result(last.end_offset === first.end_offset ? LagStatus.STOP : LagStatus.STALL);
  }
  const lastCommit = points.find((p) => p.committed_offset === last.committed_offset) ?? last;
  const sinceLastCommit = last.at_ms - lastCommit.at_ms;
  const commitSpan = lastCommit.at_ms - first.at_ms;
  if (
    sinceLastCommit > commitSpan &&
    sinceLastCommit >= MIN_SILENCE_MS &&
    last.end_offset > lastCommit.end_offset
  )
    return result(LagStatus.STOP);
  let alwaysGrowing = true;
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1];
    const current = points[i];
    if (previous !== undefined && current !== undefined && current.lag < previous.lag) alwaysGrowing = false;
  }
  if (alwaysGrowing && last.lag > first.lag) return result(LagStatus.WARN);
  return result(LagStatus.OK);
}

const RANK: Readonly<Record<LagStatus, number>> = {
  OK: 0,
  UNKNOWN: 0,
  WARN: 1,
  REWIND: 2,
  STALL: 3,
  STOP: 4,
};

/** The worst of several partitions' statuses (a group is as late as its worst partition). */
export function worstLagStatus(statuses: readonly LagStatus[]): LagStatus {
  let worst: LagStatus = LagStatus.OK;
  for (const status of statuses) if (RANK[status] > RANK[worst]) worst = status;
  return worst;
}
