import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Admin } from '../lib/kafka.js';

/**
 * Other consumers of the bench topics. Anything subscribed to `agent-queue-.*` (a processors
 * instance left running, another run's processors) also reads the bench topics and competes for
 * the same CPU. Before each measured phase the benchmark waits until every such active group has
 * caught up, so the phase measures the consumer under test and not the backlog of someone else.
 */

export interface GroupLag {
  groupId: string;
  lag: number;
}

async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
      ends.set(`${topic}\u0000${partition}`, Number(high));
    }
  }
  return ends;
}

/** A group's lag on `topics`; `reads` is false when it never committed on any of them. */
async function lagOf(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  ends: ReadonlyMap<string, number>,
): Promise<{ reads: boolean; lag: number; partitionsBehind: number }> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let reads = false;
  let lag = 0;
  let partitionsBehind = 0;
  for (const { topic, partitions } of offsets) {
    for (const { partition, offset } of partitions) {
      const end = ends.get(`${topic}\u0000${partition}`) ?? 0;
      const committed = Number(offset);
      if (committed >= 0) reads = true;
      const behind = Math.max(0, end - Math.max(0, committed));
      lag += behind;
      if (behind > 0) partitionsBehind += 1;
    }
  }
  return { reads, lag, partitionsBehind };
}

/** One group's committed position against the end of `topics`, for diagnostics. */
export async function describeGroupLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<string> {
  const { lag, partitionsBehind } = await lagOf(admin, groupId, topics, await endOffsets(admin, topics));
  return `group ${groupId}: ${lag} messages not committed, on ${partitionsBehind} partitions`;
}

/** Active groups (other than `ownGroups`) that committed offsets on `topics`, with their lag. */
export async function otherConsumersLag(
  admin: Admin,
  topics: readonly string[],
  ownGroups: readonly string[],
): Promise<GroupLag[]> {
  const ends = await endOffsets(admin, topics);
  const { groups } = await admin.listGroups({
    matchConsumerGroupStates: [KafkaJS.ConsumerGroupStates.STABLE],
  });
  const lags: GroupLag[] = [];
  for (const { groupId } of groups) {
    if (ownGroups.includes(groupId)) continue;
    const { reads, lag } = await lagOf(admin, groupId, topics, ends);
    if (reads && lag > 0) lags.push({ groupId, lag });
  }
  return lags;
}

/**
 * Waits until the other consumers of `topics` have caught up, reporting who is waited for; after
 * `timeoutMs` reports that and goes on (the figures are then disturbed by them).
 */
export async function waitForOtherConsumers(options: {
  admin: Admin;
  topics: readonly string[];
  ownGroups: readonly string[];
  signal: AbortSignal;
  report: (line: string) => void;
  timeoutMs?: number;
}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  let lastReportMs = 0;
  for (;;) {
    options.signal.throwIfAborted();
    const lags = await otherConsumersLag(options.admin, options.topics, options.ownGroups);
    if (lags.length === 0) return;
    const who = lags.map(({ groupId, lag }) => `${groupId} (lag ${lag})`).join(', ');
    if (Date.now() > deadline) {
      options.report(`  other consumers still behind on the bench topics, going on anyway: ${who}`);
      return;
    }
    if (Date.now() - lastReportMs >= 5_000) {
      lastReportMs = Date.now();
      options.report(`  waiting for other consumers of the bench topics to catch up: ${who}`);
    }
    await sleep(500, undefined, { signal: options.signal });
  }
}
