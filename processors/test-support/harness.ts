import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queueTopic } from '../../schemas/topics.js';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { Lifecycle } from '../../lib/lifecycle.js';
import { quoteString } from '../../lib/sql.js';
import { queryTasks } from '../../lib/tables/task-lifecycle.js';
import { testConfig, testLogger } from '../../lib/test-support/helpers.js';
import { ensureTopics } from '../../lib/topics.js';
import { startProcessors, type ProcessorsHandle } from '../main.js';

/** Integration-test helpers for the processors: they run the real runner against the real stack. */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningProcessors extends ProcessorsHandle {
  stop(): Promise<number>;
  fatal: Error[];
}

/**
 * The configuration of processors under test: `database`, consumer group `groupId`, the queues of
 * the agents named `it-<token>-…` only, flushing every 100 ms and finding new queues within a second.
 */
export function processorsTestConfig(
  database: string,
  groupId: string,
  token: string,
  more: Record<string, string> = {},
): Config {
  return testConfig({
    CLICKHOUSE_DATABASE: database,
    PROCESSOR_GROUP_ID: groupId,
    PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-it-${token}-.*`,
    PROCESSOR_HTTP_PORT: '0',
    PROCESSOR_FLUSH_INTERVAL_MS: '100',
    PROCESSOR_METADATA_REFRESH_MS: '1000',
    ...more,
  });
}

export async function runProcessorsInProcess(config: Config): Promise<RunningProcessors> {
  const logger = testLogger();
  const lifecycle = new Lifecycle({ logger, deadlineMs: 60_000 });
  const fatal: Error[] = [];
  const handle = await startProcessors(config, logger, lifecycle, (error) => fatal.push(error));
  return { ...handle, fatal, stop: () => lifecycle.shutdown('test done') };
}

export async function withAdmin<T>(config: Config, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(config, testLogger(), 'it-admin').admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(config: Config, topics: readonly string[], partitions = 3): Promise<void> {
  await withAdmin(config, (admin) =>
    ensureTopics(
      admin,
      topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    ),
  );
}

export async function deleteTopics(config: Config, topics: readonly string[]): Promise<void> {
  await withAdmin(config, (admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => undefined);
}

/** Sum over partitions of the group's committed offsets on a topic (0 when it never committed). */
export async function committedTotal(config: Config, groupId: string, topic: string): Promise<number> {
  return withAdmin(config, async (admin) => {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets
      .flatMap((t) => t.partitions)
      .map((p) => Number(p.offset))
      .filter((o) => o > 0)
      .reduce((a, b) => a + b, 0);
  });
}

/** Sum over partitions of a topic's end offsets (messages ever written, for a fresh topic). */
export async function endTotal(config: Config, topic: string): Promise<number> {
  return withAdmin(config, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).map((p) => Number(p.high)).reduce((a, b) => a + b, 0),
  );
}

export async function countRows(reader: ClickHouseReader, sql: string): Promise<number> {
  const rows = await reader.query<{ n: string | number }>(sql);
  return Number(rows[0]?.n ?? 0);
}

const run = promisify(execFile);

/**
 * `scripts/stack.sh start|stop <service>`: takes a real service away and brings it back.
 * `clickhouse` is the engine the test run is on (`TEST_CLICKHOUSE_SERVICE`, set per project in
 * vitest.config.ts: the 18.16 server or the current engine).
 */
export async function stackService(
  action: 'start' | 'stop',
  service: 'clickhouse' | 'kafka' | 'registry',
): Promise<void> {
  const name = service === 'clickhouse' ? (process.env.TEST_CLICKHOUSE_SERVICE ?? 'clickhouse') : service;
  await run('bash', [join(REPO_ROOT, 'scripts', 'stack.sh'), action, name], { timeout: 180_000 });
}

/** Fisher–Yates with a seeded generator, so a failing order can be reproduced from the seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * What a user sees of some agents through every view: task states, message counts, error groups,
 * rollups, LLM calls, liveness and dead letters. Used to prove that redelivery and replay change
 * nothing a query can see.
 */
export async function viewSnapshot(
  reader: ClickHouseReader,
  agents: readonly string[],
  atMs: number,
): Promise<unknown> {
  const list = agents.map(quoteString).join(', ');
  const topics = agents.map((a) => quoteString(queueTopic(a))).join(', ');
  return {
    tasks: await Promise.all(agents.map((agent) => queryTasks(reader, { agent, nowMs: atMs }))),
    messages: await reader.query(
      `SELECT topic, message_type, count() AS n, groupArray(message_id) AS ids FROM (SELECT * FROM message_log FINAL WHERE topic IN (${topics}) ORDER BY message_id) GROUP BY topic, message_type ORDER BY topic, message_type`,
    ),
    errors: await reader.query(
      `SELECT error_id, fingerprint, severity, category, timestamp_ms FROM error_facts FINAL WHERE agent_name IN (${list}) ORDER BY error_id`,
    ),
    groups: await reader.query(
      `SELECT fingerprint, uniqExactMerge(error_count) AS n, minMerge(first_seen_ms) AS f, maxMerge(last_seen_ms) AS l,
              argMaxMerge(sample_error_id) AS s, groupUniqArrayMerge(agents) AS a
       FROM error_groups WHERE fingerprint IN (SELECT fingerprint FROM error_facts WHERE agent_name IN (${list}))
       GROUP BY fingerprint ORDER BY fingerprint`,
    ),
    errorRollup: await reader.query(
      `SELECT minute, agent_name, category, severity, uniqExactMerge(errors) AS n FROM error_rollup_1m WHERE agent_name IN (${list})
       GROUP BY minute, agent_name, category, severity ORDER BY minute, agent_name, category, severity`,
    ),
    messageRollup: await reader.query(
      `SELECT minute, target_agent, source_agent, message_type, uniqExactMerge(messages) AS n FROM message_rollup_1m
       WHERE target_agent IN (${list}) GROUP BY minute, target_agent, source_agent, message_type
       ORDER BY minute, target_agent, source_agent, message_type`,
    ),
    llm: await reader.query(
      `SELECT message_id, call_index, model, prompt_tokens FROM llm_calls FINAL WHERE agent IN (${list}) ORDER BY message_id, call_index`,
    ),
    liveness: await reader.query(
      `SELECT agent, maxMerge(last_heartbeat_ms) AS last, argMaxMerge(last_state) AS state, uniqExactMerge(heartbeats) AS n
       FROM agent_liveness WHERE agent IN (${list}) GROUP BY agent ORDER BY agent`,
    ),
    deadLetters: await reader.query(
      `SELECT topic, partition, offset, error_code FROM dead_letters FINAL WHERE topic IN (${topics}) ORDER BY topic, partition, offset`,
    ),
  };
}

/** Removes consumer groups a test created, so that they do not linger in lag samples. */
export async function deleteGroups(config: Config, groups: readonly string[]): Promise<void> {
  await withAdmin(config, (admin) => admin.deleteGroups([...groups])).catch(() => undefined);
}
