import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../lib/config.js';
import { KafkaErrorCodes, toKafkaTelemetryError, type Consumer, type Kafka } from '../../lib/kafka.js';
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

/**
 * The live feed's source: every agent queue and the errors topic, read from the latest offsets by a
 * group of this instance's own, decoded through the registry and published to the hub as they
 * arrive. Offsets are never committed (a restart starts at the latest again); an undecodable record
 * is counted and skipped here (the processors dead-letter it).
 */
export function createKafkaTap(options: {
  config: Config;
  kafka: Kafka;
  codec: SchemaCodec;
  hub: LiveHub;
  logger: Logger;
  metrics: ApiMetrics;
  groupId?: string;
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
      }
    },
  });
  let running = false;
  let stopping: Promise<void> | undefined;

  const publish = async (topic: string, partition: number, message: KafkaJS.KafkaMessage): Promise<void> => {
    if (message.value === null) return;
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

  return {
    groupId,
    assigned: () => assigned,
    async start() {
      try {
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
        try {
          await consumer.disconnect();
        } catch (error) {
          log.warn({ err: error }, 'live tap disconnect failed');
        }
      })();
      return stopping;
    },
  };
}
