import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { toKafkaTelemetryError, type Kafka, type Producer } from '../../lib/kafka.js';
import type { Logger } from '../../lib/logger.js';
import { RecordKind, type SchemaCodec } from '../../schemas/codec.js';
import type { AgentMessage } from '../../schemas/records.js';
import { DLQ_TOPIC, DlqHeader } from '../../schemas/topics.js';

/** Every header the processors add to a dead letter starts with this (`DlqHeader`). */
const DLQ_HEADER_PREFIX = 'x-dlq-';

/** A dead letter as read back from agent-telemetry-dlq: its origin and the bytes as they were. */
export interface DeadLetterRecord {
  origin: { topic: string; partition: number; offset: number };
  key: Buffer | null;
  value: Buffer | null;
  /** The original headers, without the `x-dlq-*` ones. */
  headers: Record<string, string | Buffer>;
}

/** What the actions need from Kafka and the registry (a narrow port, so tests can read it). */
export interface ActionsKafka {
  /** Encodes with the registry and produces; resolves when the broker acknowledged. */
  sendMessage(
    topic: string,
    key: string,
    message: AgentMessage,
    headers: Record<string, string>,
  ): Promise<void>;
  sendRaw(topic: string, record: Omit<DeadLetterRecord, 'origin'>): Promise<void>;
  /** Reads the dead-letter topic from its start to its current end (at most `scanMs`), keeping the wanted origins. */
  findDeadLetters(wanted: ReadonlySet<string>, scanMs: number): Promise<Map<string, DeadLetterRecord>>;
  /** Why `value` still cannot be decoded, or undefined when it now can. */
  undecodable(value: Buffer | null): Promise<string | undefined>;
  close(): Promise<void>;
}

export function originKey(origin: { topic: string; partition: number; offset: number }): string {
  return `${origin.topic}/${origin.partition}/${origin.offset}`;
}

function text(value: string | Buffer | (string | Buffer)[] | undefined): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}

/**
 * The actions' Kafka side: one idempotent producer (acks=all), the codec, and a dead-letter reader
 * that joins a group of its own for each scan (it never commits, and never joins the processors' or
 * an agent's group).
 */
export function createActionsKafka(options: {
  kafka: Kafka;
  codec: SchemaCodec;
  logger: Logger;
}): ActionsKafka {
  const { kafka, codec } = options;
  const log = options.logger.child({ part: 'actions-kafka' });
  let producer: Promise<Producer> | undefined;
  const connected = (): Promise<Producer> => {
    producer ??= (async () => {
      const p = kafka.producer({ kafkaJS: { acks: -1, idempotent: true }, 'linger.ms': 0 });
      try {
        await p.connect();
      } catch (error) {
        producer = undefined;
        throw toKafkaTelemetryError(error, 'connecting the actions producer');
      }
      return p;
    })();
    return producer;
  };

  async function send(topic: string, message: KafkaJS.Message, what: string): Promise<void> {
    const p = await connected();
    try {
      await p.send({ topic, messages: [message] });
    } catch (error) {
      throw toKafkaTelemetryError(error, what);
    }
  }

  return {
    async sendMessage(topic, key, message, headers) {
      const value = await codec.encode(RecordKind.AGENT_MESSAGE, message);
      await send(topic, { key, value, headers }, `sending a ${message.message_type} to ${topic}`);
    },
    async sendRaw(topic, record) {
      await send(
        topic,
        { key: record.key, value: record.value, headers: record.headers },
        `replaying to ${topic}`,
      );
    },
    async undecodable(value) {
      if (value === null) return 'the dead letter has no value';
      try {
        await codec.decodeAny(value);
        return undefined;
      } catch (error) {
        const code =
          typeof error === 'object' && error !== null && 'code' in error
            ? String(error.code)
            : 'DECODE_FAILED';
        return `${code}: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
    async findDeadLetters(wanted, scanMs) {
      const found = new Map<string, DeadLetterRecord>();
      const admin = kafka.admin();
      let ends: Map<number, number>;
      try {
        await admin.connect();
        const offsets = await admin.fetchTopicOffsets(DLQ_TOPIC);
        ends = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
      } catch (error) {
        throw toKafkaTelemetryError(error, `reading the ends of ${DLQ_TOPIC}`);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([partition]) => partition));
      if (remaining.size === 0 || wanted.size === 0) return found;
      const groupId = `telemetry-api-dlq-replay-${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 40)}-${randomBytes(4).toString('hex')}`;
      const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const timer = setTimeout(finish, scanMs);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [DLQ_TOPIC] });
        await consumer.run({
          eachMessage: ({ partition, message }) => {
            const topic = text(message.headers?.[DlqHeader.ORIGIN_TOPIC]);
            const originPartition = Number(text(message.headers?.[DlqHeader.ORIGIN_PARTITION]));
            const originOffset = Number(text(message.headers?.[DlqHeader.ORIGIN_OFFSET]));
            if (topic !== undefined && Number.isInteger(originPartition) && Number.isInteger(originOffset)) {
              const origin = { topic, partition: originPartition, offset: originOffset };
              const key = originKey(origin);
              if (wanted.has(key) && !found.has(key)) {
                const headers: Record<string, string | Buffer> = {};
                for (const [name, value] of Object.entries(message.headers ?? {})) {
                  const last = Array.isArray(value) ? value[value.length - 1] : value;
                  if (!name.startsWith(DLQ_HEADER_PREFIX) && last !== undefined) headers[name] = last;
                }
                found.set(key, { origin, key: message.key ?? null, value: message.value, headers });
              }
            }
            if (Number(message.offset) + 1 >= (ends.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0 || found.size === wanted.size) finish();
            return Promise.resolve();
          },
        });
        await done;
      } catch (error) {
        throw toKafkaTelemetryError(error, `reading ${DLQ_TOPIC}`);
      } finally {
        clearTimeout(timer);
        await consumer.disconnect().catch((error: unknown) => {
          log.warn({ err: error }, 'dead-letter reader disconnect failed');
        });
      }
      return found;
    },
    async close() {
      const p = producer;
      producer = undefined;
      if (p === undefined) return;
      const connectedProducer = await p.catch(() => undefined);
      if (connectedProducer === undefined) return;
      await connectedProducer.flush({ timeout: 5_000 }).catch(() => undefined);
      await connectedProducer.disconnect();
    },
  };
}
