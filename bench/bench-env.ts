import { randomBytes } from 'node:crypto';
import { clickHouseAccess, createClickHouseClient, type ClickHouseAccess } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { createKafka, type Admin, type Kafka } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { migrate } from '../lib/migrations.js';
import { quoteIdentifier } from '../lib/sql.js';
import { ensureTopics, sharedTopics } from '../lib/topics.js';
import { QUEUE_TOPIC_PREFIX } from '../schemas/topics.js';
import { ROLES, benchAgents, type BenchAgents } from './workload.js';

/**
 * Everything one benchmark run creates, all named after the run's token so that runs never see each
 * other: two migrated ClickHouse databases (processors and peer, and a third for the scale-out phase
 * when asked), five queue topics with three partitions each, and a consumer group per database. `cleanUp()` removes all of it and never throws.
 */
export interface BenchEnvironment {
  token: string;
  kafka: Kafka;
  /** Connected until `cleanUp()`. */
  admin: Admin;
  agents: BenchAgents;
  /** The five bench queue topics. */
  queueTopics: string[];
  processors: BenchTarget;
  peer: BenchTarget;
  /** Several processor processes in one group (`--processors P` above 1): their own database and group. */
  scaled: BenchTarget | undefined;
  /** ClickHouse access bound to `default`, for server-wide state (merges). */
  server: ClickHouseAccess;
  cleanUp(): Promise<string[]>;
}

/** One consumer under test: its database (with access to it) and its consumer group. */
export interface BenchTarget {
  database: string;
  groupId: string;
  /** The run's own queue topics: the consumers observe these and the errors topic only. */
  queueTopicPattern: string;
  access: ClickHouseAccess;
}

export const BENCH_PARTITIONS = 3;

/** A short, lower-case token: letters and digits, safe in topic, group and database names. */
export function benchToken(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Creates and migrates the databases and creates the topics; on a failure removes what was made. */
export async function setUpBench(
  config: Config,
  logger: Logger,
  token: string,
  options: { scaled?: boolean } = {},
): Promise<BenchEnvironment> {
  const kafka = createKafka(config, logger, `bench-${token}`);
  const admin: Admin = kafka.admin();
  const agents = benchAgents(token);
  const queueTopics = ROLES.map((role) => agents.topics[role]);
  // dropping a database of millions of rows on a busy server can take minutes
  const serverClient = createClickHouseClient(config, { database: 'default', requestTimeoutMs: 300_000 });
  const server = clickHouseAccess(serverClient);
  const clients = [serverClient];

  const target = (database: string, groupId: string): BenchTarget => {
    const client = createClickHouseClient(config, { database, requestTimeoutMs: 120_000 });
    clients.push(client);
    return {
      database,
      groupId,
      queueTopicPattern: `^${QUEUE_TOPIC_PREFIX}bench-${token}-.*`,
      access: clickHouseAccess(client),
    };
  };
  const processors = target(`bench_${token}`, `bench-${token}-processors`);
  const peer = target(`bench_${token}_peer`, `bench-${token}-peer`);
  const scaled =
    options.scaled === true ? target(`bench_${token}_scaled`, `bench-${token}-scaled`) : undefined;
  const targets = scaled === undefined ? [processors, peer] : [processors, peer, scaled];
  let adminConnected = false;
  let topicsCreated = false;

  const cleanUp = async (): Promise<string[]> => {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    for (const { database } of targets) {
      await attempt(`dropping database ${database}`, () =>
        server.command(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`),
      );
    }
    if (adminConnected) {
      if (topicsCreated) {
        await attempt('deleting the bench topics', () =>
          admin.deleteTopics({ topics: queueTopics, timeout: 30_000 }),
        );
      }
      await attempt('deleting the bench consumer groups', () =>
        deleteGroupsIfAny(
          admin,
          targets.map((t) => t.groupId),
        ),
      );
      await attempt('disconnecting the admin client', () => admin.disconnect());
    }
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    return problems;
  };

  try {
    for (const { database, access } of targets) {
      await migrate({ server, database: access, databaseName: database, logger });
    }
    await admin.connect();
    adminConnected = true;
    topicsCreated = true;
    // the shared errors topic and DLQ as `agent-telemetry init-topics` makes them, on a new stack too
    await ensureTopics(admin, [
      ...queueTopics.map((topic) => ({ topic, numPartitions: BENCH_PARTITIONS, replicationFactor: 1 })),
      ...sharedTopics(config),
    ]);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { token, kafka, admin, agents, queueTopics, processors, peer, scaled, server, cleanUp };
}

/** Deletes the groups that exist; a group that never committed is not an error. */
async function deleteGroupsIfAny(admin: Admin, groupIds: string[]): Promise<void> {
  const listed = await admin.listGroups();
  const existing = groupIds.filter((id) => listed.groups.some((group) => group.groupId === id));
  if (existing.length > 0) await admin.deleteGroups(existing);
}
