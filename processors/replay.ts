import { ERRORS_TOPIC } from '../schemas/topics.js';
import { clickHouseAccess, createClickHouseClient, type ClickHouseAccess } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import { type Admin, createKafka, toKafkaTelemetryError } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { loadMigrations, migrate, serverRelease, statementsFor } from '../lib/migrations.js';
import { createCodec } from '../lib/registry.js';
import { quoteIdentifier, quoteString } from '../lib/sql.js';
import { LAG_SAMPLES } from '../lib/tables/lag-samples.js';
import { createProcessorMetrics } from './metrics.js';
import { runnerSettings } from './options.js';
import { ProcessorRunner, RunnerState } from './runner.js';

/**
 * Event-sourcing replay: every view is rebuilt from the earliest offsets of the topics into a fresh
 * database, by the same runner the live processors use, with a consumer group of its own. With
 * `switch`, the rebuilt tables then replace the live ones (the live ones are kept in a backup
 * database); switching needs the live processors stopped, so that nothing is written meanwhile.
 */
export interface ReplayOptions {
  config: Config;
  logger: Logger;
  /** Database to rebuild into; defaults to `<database>_replay_<stamp>`. Must not hold tables yet. */
  targetDatabase?: string;
  /** Replace the live tables with the rebuilt ones once the replay caught up. */
  switchover: boolean;
  /** Called about twice a second with messages committed so far and the total to reach. */
  onProgress?: (done: number, total: number) => void;
  now?: () => Date;
}

export interface ReplayResult {
  database: string;
  messages: number;
  seconds: number;
  /** Where the previous live tables went, when switched. */
  backupDatabase?: string;
}

function runnerFailure(failure: { error?: TelemetryError }): TelemetryError {
  return failure.error ?? new TelemetryError(ErrorCode.INTERNAL, 'replay runner failed');
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

type Offsets = Map<string, number>;
const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

async function endOffsets(admin: Admin, queueTopicPattern: RegExp): Promise<Offsets> {
  const topics = (await admin.listTopics()).filter((t) => queueTopicPattern.test(t) || t === ERRORS_TOPIC);
  const ends: Offsets = new Map();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(key(topic, p.partition), Number(p.high));
  }
  return ends;
}

async function committedOffsets(admin: Admin, groupId: string, topics: string[]): Promise<Offsets> {
  const committed: Offsets = new Map();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of partitions) committed.set(key(topic, p.partition), Math.max(0, Number(p.offset)));
  }
  return committed;
}

async function tableNames(
  access: ClickHouseAccess,
  database: string,
  engines: 'views' | 'data',
): Promise<string[]> {
  const condition =
    engines === 'views'
      ? "engine IN ('MaterializedView', 'View')"
      : "engine NOT IN ('MaterializedView', 'View')";
  const rows = await access.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = ${quoteString(database)} AND ${condition} ORDER BY name`,
  );
  return rows.map((row) => row.name);
}

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const started = Date.now();
  const runStamp = stamp(now());
  const live = config.clickhouse.database;
  const target = options.targetDatabase ?? `${live}_replay_${runStamp}`;
  if (target === live) {
    throw new TelemetryError(
      ErrorCode.BAD_INPUT,
      `the replay database must differ from the live one (${live})`,
    );
  }
  const targetConfig: Config = { ...config, clickhouse: { ...config.clickhouse, database: target } };
  const serverClient = createClickHouseClient(config, { database: 'default' });
  const targetClient = createClickHouseClient(targetConfig);
  const server = clickHouseAccess(serverClient);
  const kafka = createKafka(config, logger, 'replay');
  const admin = kafka.admin();
  const groupId = `${config.processors.groupId}-replay-${runStamp}`;
  try {
    const existing = await server.query<{ n: string }>(
      `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(target)}`,
    );
    if (Number(existing[0]?.n ?? 0) > 0) {
      throw new TelemetryError(
        ErrorCode.BAD_INPUT,
        `database ${target} already has tables: name an empty or new one`,
      );
    }
    await admin.connect();
    // fail fast: a switch needs the live processors stopped (checked again before switching)
    if (options.switchover) await assertProcessorsStopped(admin, config, target);
    await migrate({ server, database: clickHouseAccess(targetClient), databaseName: target, logger });

    const ends = await endOffsets(admin, config.processors.queueTopicPattern).catch((error: unknown) => {
      throw toKafkaTelemetryError(error, 'reading end offsets');
    });
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    const topics = [...new Set([...ends.keys()].map((k) => k.split('\u0000')[0] ?? ''))];
    logger.info({ target, groupId, topics: topics.length, total }, 'replaying from the earliest offsets');

    const failure: { error?: TelemetryError } = {};
    const runner = new ProcessorRunner({
      kafka,
      codec: createCodec(config),
      writer: clickHouseAccess(targetClient),
      logger,
      metrics: createProcessorMetrics({ defaultMetrics: false }),
      ...runnerSettings(config),
      groupId,
      onFatal: (error) => {
        failure.error = error;
      },
    });
    await runner.start();
    try {
      for (;;) {
        if (failure.error !== undefined) throw failure.error;
        const committed = await committedOffsets(admin, groupId, topics);
        let done = 0;
        let caughtUp = true;
        for (const [k, end] of ends) {
          const at = Math.min(end, committed.get(k) ?? 0);
          done += at;
          if (at < end) caughtUp = false;
        }
        options.onProgress?.(done, total);
        if (caughtUp) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await runner.stop();
    }
    if (runner.state !== RunnerState.STOPPED) throw runnerFailure(failure);
    await admin.deleteGroups([groupId]).catch((error: unknown) => {
      logger.warn({ err: error, groupId }, 'could not delete the replay consumer group');
    });

    const result: ReplayResult = {
      database: target,
      messages: total,
      seconds: (Date.now() - started) / 1000,
    };
    if (options.switchover) {
      result.backupDatabase = await switchover({ admin, server, config, live, target, runStamp, logger });
    }
    return result;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await Promise.all([serverClient.close(), targetClient.close()]);
  }
}

async function assertProcessorsStopped(admin: Admin, config: Config, target: string): Promise<void> {
  const { groups } = await admin.describeGroups([config.processors.groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) {
    throw new TelemetryError(
      ErrorCode.BAD_INPUT,
      `the processors (group ${config.processors.groupId}) still have ${members} member(s): stop them before switching ` +
        `(./scripts/stop.sh, or scale the processors Deployment to 0); the rebuilt tables go to ${target}`,
    );
  }
}

/**
 * Moves the live tables to a backup database and the rebuilt ones into the live database, then
 * recreates the views there. Lag samples are not in Kafka, so their history is copied over first.
 */
async function switchover(input: {
  admin: Admin;
  server: ClickHouseAccess;
  config: Config;
  live: string;
  target: string;
  runStamp: string;
  logger: Logger;
}): Promise<string> {
  const { admin, server, config, live, target, runStamp, logger } = input;
  await assertProcessorsStopped(admin, config, target);
  const backup = `${live}_before_replay_${runStamp}`;
  const q = quoteIdentifier;
  await server.command(`CREATE DATABASE IF NOT EXISTS ${q(backup)}`);
  const liveTables = await tableNames(server, live, 'data');
  if (liveTables.includes(LAG_SAMPLES)) {
    await server.command(
      `INSERT INTO ${q(target)}.${q(LAG_SAMPLES)} SELECT * FROM ${q(live)}.${q(LAG_SAMPLES)}`,
    );
  }
  for (const database of [live, target]) {
    for (const view of await tableNames(server, database, 'views')) {
      await server.command(`DROP TABLE IF EXISTS ${q(database)}.${q(view)}`);
    }
  }
  const targetTables = await tableNames(server, target, 'data');
  const renames = [
    ...liveTables.map((t) => `${q(live)}.${q(t)} TO ${q(backup)}.${q(t)}`),
    ...targetTables.map((t) => `${q(target)}.${q(t)} TO ${q(live)}.${q(t)}`),
  ];
  await server.command(`RENAME TABLE ${renames.join(', ')}`);
  // views and materialized views as the migrations define them, now over the rebuilt tables
  const liveClient = createClickHouseClient(config);
  try {
    const access = clickHouseAccess(liveClient);
    const release = await serverRelease(access);
    for (const migration of await loadMigrations()) {
      for (const statement of statementsFor(migration, release)) {
        if (/^CREATE\s+(MATERIALIZED\s+)?VIEW/i.test(statement)) await access.command(statement);
      }
    }
  } finally {
    await liveClient.close();
  }
  await server.command(`DROP DATABASE IF EXISTS ${q(target)}`);
  logger.info(
    { live, backup },
    'switched to the rebuilt tables; the previous ones are in the backup database',
  );
  return backup;
}
