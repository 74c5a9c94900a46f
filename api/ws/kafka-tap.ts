import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../lib/config.js';
import {
  KafkaErrorCodes,
  toKafkaTelemetryError,
  type Admin,
  type Consumer,
  type Kafka,
} from '../../lib/kafka.js';
import type { Logger } from '../../lib/logger.js';
import type { SchemaCodec } from '../../schemas/codec.js';
import { ERRORS_TOPIC, QUEUE_TOPIC_PATTERN } from '../../schemas/topics.js';
import { storedTime } from '../../schemas/times.js';
import type { LiveHub } from '../live-feed.js';
import type { ApiMetrics } from '../metrics.js';

/**
 * A consumer group name of this API instance only: never the processors' group nor an agent's
 * `agent-<name>` group (so not prefixed with the client id, `agent-telemetry` by default): tapping
 * changes no one's offsets or assignments.
 */
export function tapGroupId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40);
  return `telemetry-api-live-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface KafkaTap {
  readonly groupId: string;
  /** Resolves once partitions are assigned (records produced after that are delivered). */
  assigned(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long the tap keeps reading after its last listener left (a client reconnecting finds it running). */
const UNWATCHED_GRACE_MS = 10_000;
/** On resuming, records from this long before the first listener came are read again (producer clocks). */
const RESUME_LOOKBACK_MS = 1_000;
/** Topics whose resume offsets are looked up at once. */
const RESUME_LOOKUPS = 32;
/** How long a newly assigned partition reads before it may be paused (its position is then known). */
const POSITION_SETTLE_MS = 2_000;
/** How often the paused or resumed state is checked against the assignment (new topics, rebalances). */
const RECONCILE_MS = 5_000;

/**
 * The live feed's source: every agent queue and the errors topic, read from the latest offsets by a
 * group of this instance's own, decoded through the registry and published to the hub as they
 * arrive. Offsets are never committed (a restart starts at the latest again); an undecodable record
 * is counted and skipped here (the processors dead-letter it).
 *
 * It reads only while someone listens. Once the hub has had no listener for
 * {@link UNWATCHED_GRACE_MS}, every assigned partition is paused: a paused partition is left out of
 * fetch requests, so an unwatched API costs the brokers nothing per record (a fetch names every
 * partition of every queue, and on a cluster of hundreds of queues the tap's fetches cost the broker
 * more than the agents' own traffic). When a listener comes, each partition written to during the
 * pause is moved to the first record stamped from {@link RESUME_LOOKBACK_MS} before it came (Kafka's
 * offsets-by-time lookup), the others resume where they stopped, and reading resumes: a listener gets
 * what was produced from then on, not the backlog of the pause.
 */
export function createKafkaTap(options: {
  config: Config;
  kafka: Kafka;
  codec: SchemaCodec;
  hub: LiveHub;
  logger: Logger;
  metrics: ApiMetrics;
  groupId?: string;
  /** How long it keeps reading after the last listener left ({@link UNWATCHED_GRACE_MS} by default). */
  unwatchedGraceMs?: number;
}): KafkaTap {
  const { codec, hub, metrics } = options;
  const log = options.logger.child({ part: 'kafka-tap' });
  const groupId = options.groupId ?? tapGroupId();
  if (groupId === options.config.processors.groupId || groupId.startsWith('agent-')) {
    throw new Error(`the live tap may not join ${groupId}`);
  }
  let markAssigned: () => void = () => undefined;
  const assigned = new Promise<void>((resolve) => {
    markAssigned = resolve;
  });
  const consumer: Consumer = options.kafka.consumer({
    kafkaJS: { groupId, fromBeginning: false, autoCommit: false },
    'topic.metadata.refresh.interval.ms': options.config.processors.metadataRefreshMs,
    // a fetch waits for 256 KiB or 200 ms, whichever comes first: answered at the first byte, a
    // tap on a busy cluster fetches a few records per round trip, and its broker thread spent 16 to
    // 23 % of a core at 2,000 msg/s (3 % batched); a live view can wait 200 ms
    'fetch.wait.max.ms': 200,
    'fetch.min.bytes': 256 * 1024,
    'queued.max.messages.kbytes': 8_192,
    rebalance_cb: (error: KafkaJS.KafkaJSError, assignment: KafkaJS.TopicPartition[]) => {
      if (error.code === KafkaErrorCodes.ERR__ASSIGN_PARTITIONS) {
        log.debug({ partitions: assignment.length }, 'live tap assigned');
        markAssigned();
        assignedAt = Date.now();
        assignments += 1;
        // applied in turn with the pauses and resumes, once the assignment has taken effect
        setImmediate(reconcile);
      }
    },
  });
  let running = false;
  let stopping: Promise<void> | undefined;

  const publish = async (topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<void> => {
    // records fetched before a pause took effect are dropped undecoded
    if (message.value === null || !hub.watched) return;
    // and so are those a resumed partition had before its pause (see applyDemand)
    if (resumeFloors.size > 0) {
      const partitionKey = key(topic, partition);
      const floor = resumeFloors.get(partitionKey);
      if (floor !== undefined) {
        if (BigInt(message.offset) < floor) return;
        resumeFloors.delete(partitionKey);
      }
    }
    try {
      const decoded = codec.tryDecodeCached(message.value) ?? (await codec.decodeAny(message.value));
      const at = { topic, partition, offset: message.offset };
      // shown under the time the processors store it under, not a sender clock's impossible one
      const timeMs = (sent: number) => storedTime(sent, Number(message.timestamp), Date.now());
      if (decoded.kind === 'AgentMessage' && topic !== ERRORS_TOPIC) {
        metrics.liveEvents.inc({ kind: 'message' });
        hub.publish({
          kind: 'message',
          ...at,
          timeMs: timeMs(decoded.value.timestamp),
          value: decoded.value,
        });
      } else if (decoded.kind === 'DetailedError' && topic === ERRORS_TOPIC) {
        metrics.liveEvents.inc({ kind: 'error' });
        hub.publish({ kind: 'error', ...at, timeMs: timeMs(decoded.value.timestamp), value: decoded.value });
      } else {
        metrics.liveEvents.inc({ kind: 'unexpected_record' });
      }
    } catch (error) {
      metrics.liveEvents.inc({ kind: 'undecodable' });
      log.debug(
        { err: error, topic, partition, offset: message.offset },
        'live tap skipped an undecodable record',
      );
    }
  };

  // reading only while someone listens: state changes are applied one at a time, in order
  const admin = options.kafka.admin();
  let watchedSince: number | undefined = hub.watched ? Date.now() : undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> = Promise.resolve();
  const reconcile = (): void => {
    reconciling = reconciling.then(applyDemand).catch((error: unknown) => {
      log.warn({ err: error }, 'live tap could not pause or resume its partitions');
    });
  };
  // the partitions this tap paused, and each one's end offset then: one that has not moved since
  // needs no seek
  const pausedByUs = new Set<string>();
  const endsAtPause = new Map<string, string>();
  // when those ends were all known, and per resumed partition the offset its new records start at
  let endsKnownAt = Infinity;
  const resumeFloors = new Map<string, bigint>();
  // when the latest assignment came, and how many assignments have come and been applied here
  let assignedAt = 0;
  let assignments = 0;
  let appliedAssignments = 0;
  const key = (topic: string, partition: number) => `${topic}\0${partition}`;
  const endOffsets = async (topic: string): Promise<Map<number, string> | undefined> => {
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.offset]));
    } catch (error) {
      log.debug({ err: error, topic }, 'live tap could not read the end offsets of a topic');
      return undefined;
    }
  };
  const applyDemand = async (): Promise<void> => {
    if (!running || stopping !== undefined) return;
    const assignment = consumer.assignment();
    if (appliedAssignments !== assignments) {
      // after a rebalance every partition reads until its position is known (a pause is not
      // certain to outlive it); an unwatched tap pauses them again once they have settled
      appliedAssignments = assignments;
      pausedByUs.clear();
      resumeFloors.clear();
      if (assignment.length > 0) consumer.resume(byTopic(assignment));
    }
    if (watchedSince === undefined) {
      if (graceTimer !== undefined) return;
      // a partition just assigned reads a little first: its position (the end, for a group that
      // commits nothing) is then known, so a resume that finds the end unmoved needs no seek
      const settled = assignedAt + POSITION_SETTLE_MS - Date.now();
      if (settled > 0) {
        setTimeout(reconcile, settled).unref();
        return;
      }
      const reading = assignment.filter((tp) => !pausedByUs.has(key(tp.topic, tp.partition)));
      if (reading.length === 0) return;
      const topics = byTopic(reading);
      consumer.pause(topics);
      for (const tp of reading) {
        pausedByUs.add(key(tp.topic, tp.partition));
        endsAtPause.delete(key(tp.topic, tp.partition));
      }
      metrics.livePaused.set(1);
      log.debug({ partitions: reading.length }, 'live tap paused: no one listens');
      resumeFloors.clear();
      endsKnownAt = Infinity;
      await forEachLimited(topics, RESUME_LOOKUPS, async ({ topic, partitions }) => {
        const ends = await endOffsets(topic);
        for (const partition of partitions) {
          const end = ends?.get(partition);
          if (end !== undefined) endsAtPause.set(key(topic, partition), end);
        }
      });
      endsKnownAt = Date.now();
      return;
    }
    if (pausedByUs.size === 0) return;
    const since = watchedSince - RESUME_LOOKBACK_MS;
    // A partition whose end has not moved since it was paused resumes where it stopped, and its
    // records below that end (the ones it had not delivered yet when it paused) are dropped: they
    // were there before the listener came. Any other partition (written to while paused, its end
    // not known, or known only after the listener came) is moved to the first record stamped since
    // `since`: a seek costs the consumer more, so it is kept to the partitions that need one.
    const paused = byTopic(assignment.filter((tp) => pausedByUs.has(key(tp.topic, tp.partition))));
    const endsBeforeListener = endsKnownAt <= watchedSince;
    await forEachLimited(paused, RESUME_LOOKUPS, async ({ topic, partitions }) => {
      const ends = await endOffsets(topic);
      const moved = partitions.filter((partition) => {
        const before = endsAtPause.get(key(topic, partition));
        const unmoved = endsBeforeListener && before !== undefined && ends?.get(partition) === before;
        if (unmoved) resumeFloors.set(key(topic, partition), BigInt(before));
        return !unmoved;
      });
      if (moved.length === 0) return;
      let offsets: Awaited<ReturnType<Admin['fetchTopicOffsetsByTimestamp']>>;
      try {
        offsets = await admin.fetchTopicOffsetsByTimestamp(topic, since);
      } catch (error) {
        // resumed where it paused: the listener gets the records of the pause as well
        log.warn({ err: error, topic }, 'live tap could not look up where to resume a topic');
        return;
      }
      const wanted = new Set(moved);
      for (const entry of offsets) {
        if (wanted.has(entry.partition))
          consumer.seek({ topic, partition: entry.partition, offset: entry.offset });
      }
    });
    // every assigned partition, also one a rebalance may have left paused
    consumer.resume(byTopic(assignment));
    pausedByUs.clear();
    endsAtPause.clear();
    metrics.livePaused.set(0);
    log.debug({ partitions: assignment.length }, 'live tap resumed for a listener');
  };
  const stopWatching = hub.onWatched((watched) => {
    clearTimeout(graceTimer);
    graceTimer = undefined;
    if (watched) {
      watchedSince = Date.now();
      reconcile();
      return;
    }
    watchedSince = undefined;
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      reconcile();
    }, options.unwatchedGraceMs ?? UNWATCHED_GRACE_MS);
    graceTimer.unref();
  });
  const reconciler = setInterval(reconcile, RECONCILE_MS);
  reconciler.unref();

  return {
    groupId,
    assigned: () => assigned,
    async start() {
      try {
        await admin.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: [QUEUE_TOPIC_PATTERN, ERRORS_TOPIC] });
        running = true;
        await consumer.run({
          eachMessage: async ({ topic, partition, message }) => {
            if (running) await publish(topic, partition, message);
          },
        });
      } catch (error) {
        throw toKafkaTelemetryError(error, 'starting the live tap');
      }
      log.info({ groupId }, 'live tap consuming from the latest offsets');
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        stopWatching();
        clearTimeout(graceTimer);
        clearInterval(reconciler);
        await reconciling;
        try {
          await consumer.disconnect();
        } catch (error) {
          log.warn({ err: error }, 'live tap disconnect failed');
        }
        await admin.disconnect().catch(() => undefined);
      })();
      return stopping;
    },
  };
}

/** Topic partitions grouped by topic, as pause, resume and the admin calls take them. */
function byTopic(partitions: readonly KafkaJS.TopicPartition[]): { topic: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic);
    if (list === undefined) topics.set(topic, [partition]);
    else list.push(partition);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}

/** `work` over every item, at most `limit` at a time; rejects with the first failure. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
