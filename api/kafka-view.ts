import type { Admin } from '../lib/kafka.js';
import { toKafkaTelemetryError } from '../lib/kafka.js';

/** librdkafka's consumer group states (`ConsumerGroupStates`), by the names Kafka's tools print. */
const GROUP_STATE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'PreparingRebalance',
  2: 'CompletingRebalance',
  3: 'Stable',
  4: 'Dead',
  5: 'Empty',
};

function groupStateName(state: unknown): string {
  return (typeof state === 'number' ? GROUP_STATE_NAMES[state] : undefined) ?? 'Unknown';
}

export interface PartitionLag {
  partition: number;
  end_offset: number;
  /** -1 when the group has no committed offset for the partition. */
  committed_offset: number;
  lag: number;
}

export interface GroupLag {
  group_id: string;
  topic: string;
  partitions: PartitionLag[];
  /** Messages not yet consumed by the group, over all partitions. */
  lag: number;
  members: number;
  group_state: string;
  /** When the offsets were asked for (epoch ms): the answer holds for records produced before. */
  fetched_at_ms: number;
}

/** Live consumer-group facts from the Kafka admin API, for what ClickHouse samples lag behind. */
export interface KafkaView {
  /** `undefined` when the topic does not exist. */
  groupLag(groupId: string, topic: string): Promise<GroupLag | undefined>;
  /** Throws when the cluster cannot be reached (readiness). */
  check(): Promise<void>;
}

const UNKNOWN_TOPIC_CODES: ReadonlySet<number> = new Set([3]); // UNKNOWN_TOPIC_OR_PARTITION

function isUnknownTopic(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'number' &&
    UNKNOWN_TOPIC_CODES.has(error.code)
  );
}

/**
 * The admin view over one connected admin client. Answers are cached for `cacheMs` (default 1 s)
 * so that a burst of requests makes one round of admin calls, and the cache holds at most
 * `maxEntries` keys.
 */
export function createKafkaView(
  admin: Admin,
  options: { cacheMs?: number; maxEntries?: number } = {},
): KafkaView {
  const cacheMs = options.cacheMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const cache = new Map<string, { at: number; value: Promise<GroupLag | undefined> }>();

  type Described = Awaited<ReturnType<Admin['describeGroups']>>['groups'][number];
  // the groups asked about within one tick are described in one request
  let batch: { ids: Set<string>; result: Promise<Map<string, Described>> } | undefined;
  function describe(groupId: string): Promise<Described | undefined> {
    if (batch === undefined) {
      const ids = new Set<string>();
      const result = new Promise<Map<string, Described>>((resolve, reject) => {
        setImmediate(() => {
          batch = undefined;
          admin
            .describeGroups([...ids])
            .then((described) => {
              resolve(new Map(described.groups.map((g) => [g.groupId, g])));
            })
            .catch(reject);
        });
      });
      batch = { ids, result };
    }
    batch.ids.add(groupId);
    return batch.result.then((groups) => groups.get(groupId));
  }

  async function load(groupId: string, topic: string): Promise<GroupLag | undefined> {
    const fetchedAt = Date.now();
    try {
      let ends: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
      try {
        ends = await admin.fetchTopicOffsets(topic);
      } catch (error) {
        if (isUnknownTopic(error)) return undefined;
        throw error;
      }
      const [offsets, group] = await Promise.all([
        admin.fetchOffsets({ groupId, topics: [topic] }),
        describe(groupId),
      ]);
      const committed = new Map<number, number>();
      for (const entry of offsets) {
        for (const p of entry.partitions) committed.set(p.partition, Number(p.offset));
      }
      const partitions = ends
        .map((p) => {
          const end = Number(p.high);
          const at = committed.get(p.partition) ?? -1;
          const low = Number(p.low);
          return {
            partition: p.partition,
            end_offset: end,
            committed_offset: at,
            lag: Math.max(0, end - (at >= 0 ? at : low)),
          };
        })
        .sort((a, b) => a.partition - b.partition);
      return {
        group_id: groupId,
        topic,
        partitions,
        lag: partitions.reduce((sum, p) => sum + p.lag, 0),
        members: group?.members.length ?? 0,
        group_state: groupStateName(group?.state),
        fetched_at_ms: fetchedAt,
      };
    } catch (error) {
      throw toKafkaTelemetryError(error, `consumer lag of ${groupId} on ${topic}`);
    }
  }

  return {
    groupLag(groupId, topic) {
      const key = `${groupId}\u0000${topic}`;
      const now = Date.now();
      const hit = cache.get(key);
      if (hit !== undefined && now - hit.at < cacheMs) return hit.value;
      const value = load(groupId, topic);
      // failures are not cached: the next request tries again
      value.catch(() => cache.delete(key));
      cache.delete(key);
      cache.set(key, { at: now, value });
      if (cache.size > maxEntries) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return value;
    },
    async check() {
      try {
        await admin.listTopics();
      } catch (error) {
        throw toKafkaTelemetryError(error, 'kafka metadata');
      }
    },
  };
}
