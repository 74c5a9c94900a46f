import { randomBytes } from 'node:crypto';
import { Kafka as KafkaJsClient, logLevel } from 'kafkajs';
import { clickHouseAccess, createClickHouseClient, type ClickHouseAccess } from '../clickhouse.js';
import { loadConfig, type Config } from '../config.js';
import type { RecordKind, RecordValues, SchemaCodec } from '../../schemas/codec.js';
import { createKafka } from '../kafka.js';
import { createLogger, type Logger } from '../logger.js';
import { migrate } from '../migrations.js';
import { createCodec } from '../registry.js';
import { quoteIdentifier } from '../sql.js';

/**
 * Helpers for the integration tier (`*.int.test.ts`). Every run gets unique topic and subject names and
 * a fresh ClickHouse database, and removes them afterwards, so runs never see each other's data.
 */

/** A short unique, lower-case token for names. */
export function uniqueToken(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Configuration for tests: the environment's (the stack's defaults), with overrides. */
export function testConfig(overrides: Readonly<Record<string, string>> = {}): Config {
  // the test process is a composition root: it reads the environment once, here
  return loadConfig({ ...process.env, ...overrides });
}

export function testLogger(): Logger {
  return createLogger({
    level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
    component: 'test',
  });
}

export interface TestDatabase {
  name: string;
  config: Config;
  access: ClickHouseAccess;
  /** Access bound to `default`, for statements that must run outside the test database. */
  server: ClickHouseAccess;
  drop(): Promise<void>;
}

/** Creates an empty, uniquely named ClickHouse database; `drop()` removes it and closes the clients. */
export async function createTestDatabase(prefix = 'it'): Promise<TestDatabase> {
  const name = `${prefix}_${uniqueToken()}`;
  const config = testConfig({ CLICKHOUSE_DATABASE: name });
  // DDL (CREATE/DROP DATABASE) can wait on a busy server well past the 30 s query timeout
  const serverClient = createClickHouseClient(config, { database: 'default', requestTimeoutMs: 180_000 });
  const server = clickHouseAccess(serverClient);
  await server.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(name)}`);
  const client = createClickHouseClient(config);
  return {
    name,
    config,
    access: clickHouseAccess(client),
    server,
    async drop() {
      try {
        await server.command(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
      } finally {
        await Promise.all([client.close(), serverClient.close()]);
      }
    },
  };
}

/** A fresh test database with every migration applied. */
export async function createMigratedTestDatabase(prefix = 'it'): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  return db;
}

export interface TestProducer {
  /** Encodes with the registry and produces; resolves when the broker acknowledged. */
  send<K extends RecordKind>(
    topic: string,
    kind: K,
    values: readonly RecordValues[K][],
    key?: (value: RecordValues[K]) => string,
  ): Promise<void>;
  /** Produces bytes as they are (poison, hand-made wire format). */
  sendRaw(topic: string, values: readonly (Buffer | null)[], headers?: Record<string, string>): Promise<void>;
  codec: SchemaCodec;
  close(): Promise<void>;
}

/** A producer of project records for integration tests, over the real broker and registry. */
export async function createTestProducer(config: Config): Promise<TestProducer> {
  const producer = createKafka(config, testLogger(), 'it-producer').producer({
    kafkaJS: { acks: -1 },
    'linger.ms': 2,
  });
  await producer.connect();
  const codec = createCodec(config);
  return {
    codec,
    async send(topic, kind, values, key) {
      const messages = await Promise.all(
        values.map(async (value) => ({ key: key?.(value) ?? null, value: await codec.encode(kind, value) })),
      );
      await producer.send({ topic, messages });
    },
    async sendRaw(topic, values, headers) {
      await producer.send({
        topic,
        messages: values.map((value) => ({ key: null, value, headers: headers ?? {} })),
      });
    },
    close: () => producer.disconnect(),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Committed start offsets per topic: partition and offset. */
export type TopicEnds = Map<string, { partition: number; offset: string }[]>;

/**
 * Commits `ends` for each group before it first joins. The confluent admin has no way to set a
 * group's offsets, so this uses the `kafkajs` admin, which does.
 */
export async function startGroupsAt(
  config: Config,
  groupIds: readonly string[],
  ends: TopicEnds,
): Promise<void> {
  const admin = new KafkaJsClient({
    clientId: `${config.kafka.clientId}-test-offsets`,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    // a topic deleted meanwhile (another run cleaning up) is skipped, never recreated by a lookup
    const existing = new Set(await admin.listTopics());
    for (const groupId of groupIds) {
      for (const [topic, partitions] of ends) {
        if (existing.has(topic)) await admin.setOffsets({ groupId, topic, partitions });
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts new consumer groups at the current end of `topics` (for example the shared errors topic,
 * which keeps what every earlier run produced), so a test's processors read only what it produces.
 */
export async function startGroupsAtEnd(
  config: Config,
  groupIds: readonly string[],
  topics: readonly string[],
): Promise<void> {
  const admin = createKafka(config, testLogger(), 'it-offsets').admin();
  await admin.connect();
  const ends: TopicEnds = new Map();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(
        topic,
        offsets.map(({ partition, high }) => ({ partition, offset: high })),
      );
    }
  } finally {
    await admin.disconnect();
  }
  await startGroupsAt(config, groupIds, ends);
}
