import { setTimeout as sleep } from 'node:timers/promises';
import { RecordKind, type SchemaCodec } from '../schemas/codec.js';
import type { Kafka, Producer } from '../lib/kafka.js';
import type { WorkItem, WorkloadGenerator } from './workload.js';

/** Encoded messages of one topic, in production order. */
export interface TopicMessages {
  topic: string;
  messages: { key: string; value: Buffer }[];
}

/** What a workload holds: messages land in `message_log`, errors in `error_facts`. */
export interface WorkloadCounts {
  messages: number;
  errors: number;
  bytes: number;
  /** Agent messages by type, and `error` for DetailedErrors. */
  byType: Record<string, number>;
}

/** Builds `count` messages and encodes each once with the codec (Confluent wire format). */
export async function encodeWorkload(
  codec: SchemaCodec,
  generator: WorkloadGenerator,
  count: number,
  firstTimestampMs: number,
): Promise<{ topics: TopicMessages[]; counts: WorkloadCounts }> {
  const byTopic = new Map<string, TopicMessages>();
  const counts: WorkloadCounts = { messages: 0, errors: 0, bytes: 0, byType: {} };
  for (let i = 0; i < count; i++) {
    const item = generator.next(firstTimestampMs + i);
    const value = await encodeItem(codec, item);
    let entry = byTopic.get(item.topic);
    if (entry === undefined) {
      entry = { topic: item.topic, messages: [] };
      byTopic.set(item.topic, entry);
    }
    entry.messages.push({ key: item.key, value });
    const type = item.kind === RecordKind.AGENT_MESSAGE ? item.value.message_type : 'error';
    if (item.kind === RecordKind.AGENT_MESSAGE) counts.messages += 1;
    else counts.errors += 1;
    counts.byType[type] = (counts.byType[type] ?? 0) + 1;
    counts.bytes += value.length;
  }
  return { topics: [...byTopic.values()], counts };
}

function encodeItem(codec: SchemaCodec, item: WorkItem): Promise<Buffer> {
  return item.kind === RecordKind.AGENT_MESSAGE
    ? codec.encode(RecordKind.AGENT_MESSAGE, item.value)
    : codec.encode(RecordKind.DETAILED_ERROR, item.value);
}

/** A producer tuned for bulk loading: large batches, a long linger, a deep local queue. */
export function createBulkProducer(kafka: Kafka): Producer {
  return kafka.producer({
    kafkaJS: { acks: -1 },
    'linger.ms': 50,
    'batch.size': 1_000_000,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': 1_000_000,
    'queue.buffering.max.kbytes': 2_000_000,
    // a broker that is away fails the run within a minute instead of librdkafka's default five
    'message.timeout.ms': 60_000,
  });
}

/** A producer as an agent would use one: acknowledged writes, a short linger for low latency. */
export function createLiveProducer(kafka: Kafka): Producer {
  return kafka.producer({ kafkaJS: { acks: -1 }, 'linger.ms': 5 });
}

/**
 * Produces every message, a few chunks in flight at a time; resolves once all are acknowledged.
 * An abort stops handing out chunks and rejects at once (chunks already handed over may still land).
 */
export async function produceAll(
  producer: Producer,
  topics: readonly TopicMessages[],
  signal: AbortSignal,
  chunkSize = 10_000,
  inFlight = 6,
): Promise<void> {
  const chunks = topics.flatMap(({ topic, messages }) => {
    const out: { topic: string; messages: { key: string; value: Buffer }[] }[] = [];
    for (let i = 0; i < messages.length; i += chunkSize) {
      out.push({ topic, messages: messages.slice(i, i + chunkSize) });
    }
    return out;
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      signal.throwIfAborted();
      const chunk = chunks[next++];
      if (chunk !== undefined) await producer.send(chunk);
    }
  };
  const all = Promise.all(Array.from({ length: Math.min(inFlight, chunks.length) }, worker));
  // after an abort the remaining sends settle on their own; their outcome no longer matters
  all.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([all, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** Restamps a prepared item with its send time (and a task's deadline relative to it). */
function restamp(item: WorkItem, sentMs: number): void {
  item.value.timestamp = sentMs;
  if (item.kind === RecordKind.AGENT_MESSAGE && item.value.deadline !== null) {
    item.value.deadline = sentMs + (item.value.ttl_seconds ?? 0) * 1000;
  }
}

export interface PacedRunOptions {
  producer: Producer;
  codec: SchemaCodec;
  generator: WorkloadGenerator;
  /** Messages per second. */
  rate: number;
  seconds: number;
  /** Length of one slice; each slice's messages are sent together. */
  sliceMs?: number;
  signal: AbortSignal;
  /** Called with each slice's send time and counts before it is sent. */
  onSlice: (sentMs: number, counts: { messages: number; errors: number }) => void;
}

export interface PacedRunResult {
  sent: number;
  /** Per message: from its send time until the broker acknowledged it, in ms. */
  ackLatenciesMs: number[];
  /** Slices that started more than one slice late (the producer could not keep the pace). */
  lateSlices: number;
  elapsedMs: number;
}

/**
 * Produces at a fixed rate in short slices. The messages are prepared up front; at its send time
 * each slice's messages get that time as their timestamp, are encoded and handed to the producer.
 */
export async function producePaced(options: PacedRunOptions): Promise<PacedRunResult> {
  const sliceMs = options.sliceMs ?? 10;
  const slices = Math.round((options.seconds * 1000) / sliceMs);
  const total = Math.round(options.rate * options.seconds);
  const prepared: WorkItem[] = [];
  for (let i = 0; i < total; i++) prepared.push(options.generator.next(0));

  const deliveries: Promise<unknown>[] = [];
  const ackLatenciesMs: number[] = [];
  let failure: Error | undefined;
  let cursor = 0;
  let lateSlices = 0;
  const started = Date.now();
  for (let slice = 0; slice < slices; slice++) {
    options.signal.throwIfAborted();
    if (failure !== undefined) throw failure;
    const due = started + slice * sliceMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
    else if (-wait > sliceMs) lateSlices += 1;
    const end = Math.round(((slice + 1) * total) / slices);
    const items = prepared.slice(cursor, end);
    cursor = end;
    const sentMs = Date.now();
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    let errors = 0;
    for (const item of items) {
      restamp(item, sentMs);
      const value = await encodeItem(options.codec, item);
      const list = byTopic.get(item.topic) ?? [];
      list.push({ key: item.key, value });
      byTopic.set(item.topic, list);
      if (item.kind === RecordKind.DETAILED_ERROR) errors += 1;
    }
    options.onSlice(sentMs, { messages: items.length - errors, errors });
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    deliveries.push(
      options.producer.sendBatch({ topicMessages }).then(
        () => {
          const ackMs = Date.now() - sentMs;
          for (let i = 0; i < items.length; i++) ackLatenciesMs.push(ackMs);
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      ),
    );
  }
  await Promise.all(deliveries);
  if (failure !== undefined) throw failure;
  return { sent: cursor, ackLatenciesMs, lateSlices, elapsedMs: Date.now() - started };
}
