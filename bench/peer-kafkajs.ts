import { parseArgs } from 'node:util';
import { Kafka, logLevel, type EachBatchPayload, type KafkaMessage, type LogEntry } from 'kafkajs';
import { RecordKind } from '../schemas/codec.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import { emptyTableRows, insertTableRows } from '../lib/tables/index.js';
import { Batch } from '../processors/batch.js';
import { mapAgentMessage, mapDetailedError } from '../processors/mappers.js';

/**
 * The benchmark's peer: a straightforward consumer on the pure-JavaScript `kafkajs` client doing the
 * processors' work the plain way. Same codec (`decodeAny`), same mappers, same batching
 * (PROCESSOR_BATCH_SIZE messages or PROCESSOR_FLUSH_INTERVAL_MS), every non-empty table inserted,
 * then the offsets committed. No dead-letter topic, no pause/resume: undecodable messages are
 * logged and skipped.
 *
 * Usage: node dist-bench/bench/peer-kafkajs.js --topics a,b,c (the errors topic is always added).
 * Configured by the same environment as the processors. Writes JSON lines to stdout: `ready` once
 * subscribed, `stats` when it stops on SIGTERM.
 */

const { values } = parseArgs({ options: { topics: { type: 'string' } }, strict: true });
const topics = (values.topics ?? '').split(',').filter((topic) => topic !== '');
if (topics.length === 0) throw new Error('--topics is required (comma-separated)');

// the peer is a process of its own: its composition root reads the environment here
const config = loadConfig(process.env);
const logger = createLogger({
  level: config.log.level,
  component: 'peer-kafkajs',
  destination: process.stderr,
});
const codec = createCodec(config);
const client = createClickHouseClient(config);
// the plain path: rows sent as JSONEachRow, as the client does by default
const clickhouse = clickHouseAccess(client, { encoding: 'json' });

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};
const kafka = new Kafka({
  clientId: `${config.kafka.clientId}-peer`,
  brokers: config.kafka.brokers,
  logLevel: logLevel.WARN,
  logCreator:
    () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      logger[LEVELS[level] ?? 'info']({ namespace, ...extra }, message);
    },
});
const consumer = kafka.consumer({ groupId: config.processors.groupId });

const stats = { messages: 0, skipped: 0, batches: 0, decodeMapMs: 0, insertMs: 0, commitMs: 0 };
let current = new Batch(Date.now());
let storing: Promise<void> = Promise.resolve();

async function take(topic: string, partition: number, message: KafkaMessage): Promise<void> {
  const source = { topic, partition, offset: Number(message.offset), schemaId: 0, observedAtMs: Date.now() };
  let rows = emptyTableRows();
  try {
    if (message.value === null) throw new Error('message has no value');
    const decoded = await codec.decodeAny(message.value);
    source.schemaId = decoded.schemaId;
    const expected = topic === ERRORS_TOPIC ? RecordKind.DETAILED_ERROR : RecordKind.AGENT_MESSAGE;
    if (decoded.kind !== expected) throw new Error(`expected ${expected} on ${topic}, got ${decoded.kind}`);
    rows =
      decoded.kind === RecordKind.AGENT_MESSAGE
        ? mapAgentMessage(decoded.value, source)
        : mapDetailedError(decoded.value, source);
    stats.messages += 1;
  } catch (error) {
    stats.skipped += 1;
    logger.warn({ err: error, topic, partition, offset: message.offset }, 'message skipped');
  }
  current.add(topic, partition, message, { kind: 'rows', rows });
}

async function store(): Promise<void> {
  if (current.messages === 0) return;
  const batch = current;
  current = new Batch(Date.now());
  let started = performance.now();
  await insertTableRows(clickhouse, batch.rows);
  stats.insertMs += performance.now() - started;
  started = performance.now();
  await consumer.commitOffsets(batch.commits());
  stats.commitMs += performance.now() - started;
  stats.batches += 1;
}

/** Stores the batch in hand after any store in flight; one store at a time. */
function flush(): Promise<void> {
  storing = storing.then(store);
  return storing;
}

let stopping = false;

function fail(error: unknown): void {
  if (stopping) return;
  logger.fatal({ err: error }, 'peer failed');
  process.exit(1);
}

async function eachBatch(payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  for (const message of batch.messages) {
    if (!payload.isRunning() || payload.isStale()) break;
    const started = performance.now();
    await take(batch.topic, batch.partition, message);
    stats.decodeMapMs += performance.now() - started;
    payload.resolveOffset(message.offset);
    if (current.messages >= config.processors.batchSize) await flush();
  }
  await payload.heartbeat();
}

const tickMs = Math.max(10, Math.floor(config.processors.flushIntervalMs / 4));
const timer = setInterval(() => {
  if (current.messages > 0 && Date.now() - current.startedAtMs >= config.processors.flushIntervalMs) {
    flush().catch(fail);
  }
}, tickMs);

/** Stops intake, lets the store in flight finish, prints the time split, leaves the group. */
async function stop(): Promise<void> {
  stopping = true;
  clearInterval(timer);
  await consumer.disconnect();
  await storing.catch(() => undefined);
  await client.close();
  const round = (ms: number): number => Math.round(ms);
  process.stdout.write(
    `${JSON.stringify({
      event: 'stats',
      ...stats,
      decodeMapMs: round(stats.decodeMapMs),
      insertMs: round(stats.insertMs),
      commitMs: round(stats.commitMs),
    })}\n`,
  );
}

process.once('SIGTERM', () => {
  stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'peer did not stop cleanly');
      process.exit(1);
    },
  );
});

try {
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics, ERRORS_TOPIC], fromBeginning: true });
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
} catch (error) {
  fail(error);
}
