/**
 * Which offsets may be committed when tasks finish out of order: per partition, the lowest offset still
 * in flight (or one past the highest seen when none is). Bounded by the number of messages in flight.
 */
export class OffsetTracker {
  readonly #partitions = new Map<number, { inFlight: Set<number>; highest: number; committed: number }>();

  begin(partition: number, offset: number): void {
    let state = this.#partitions.get(partition);
    if (state === undefined) {
      state = { inFlight: new Set(), highest: -1, committed: -1 };
      this.#partitions.set(partition, state);
    }
    state.inFlight.add(offset);
    state.highest = Math.max(state.highest, offset);
  }

  finish(partition: number, offset: number): void {
    this.#partitions.get(partition)?.inFlight.delete(offset);
  }

  /** Partitions whose commit point moved, with the offset to commit (the next one to read). */
  takeCommits(): { partition: number; offset: number }[] {
    const commits: { partition: number; offset: number }[] = [];
    for (const [partition, state] of this.#partitions) {
      const next = state.inFlight.size > 0 ? Math.min(...state.inFlight) : state.highest + 1;
      if (next > state.committed) {
        commits.push({ partition, offset: next });
        state.committed = next;
      }
    }
    return commits;
  }

  /** Forgets partitions taken away by a rebalance. */
  forget(partitions: readonly number[]): void {
    for (const partition of partitions) this.#partitions.delete(partition);
  }

  get inFlight(): number {
    let total = 0;
    for (const state of this.#partitions.values()) total += state.inFlight.size;
    return total;
  }
}
