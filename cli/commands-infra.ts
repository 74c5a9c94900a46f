import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { MIGRATION_REQUEST_TIMEOUT_MS, migrate } from '../lib/migrations.js';
import { ensureTopics, plannedTopics } from '../lib/topics.js';
import { repoRoot } from '../lib/repo-root.js';

/** Runs `scripts/stack.sh <args>` with the terminal attached; resolves to its exit code. */
export function runStackScript(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), 'scripts', 'stack.sh'), ...args], {
      stdio: 'inherit',
      env,
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

export async function runTopics(config: Config, logger: Logger, out: NodeJS.WritableStream): Promise<number> {
  const admin = createKafka(config, logger, 'admin').admin();
  await admin.connect();
  try {
    const result = await ensureTopics(admin, plannedTopics(config));
    for (const topic of result.created) {
      out.write(`created  ${topic} (${config.topics.partitions} partitions)\n`);
    }
    for (const { topic, partitions } of result.existing) {
      const note =
        partitions < config.topics.partitions
          ? `, fewer than the ${config.topics.partitions} configured`
          : '';
      out.write(`exists   ${topic} (${partitions} partitions${note})\n`);
    }
    return 0;
  } finally {
    await admin.disconnect();
  }
}

export async function runMigrate(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream,
): Promise<number> {
  const serverClient = createClickHouseClient(config, { database: 'default' });
  const databaseClient = createClickHouseClient(config, { requestTimeoutMs: MIGRATION_REQUEST_TIMEOUT_MS });
  try {
    const result = await migrate({
      server: clickHouseAccess(serverClient),
      database: clickHouseAccess(databaseClient),
      databaseName: config.clickhouse.database,
      logger,
    });
    for (const migration of result.applied) out.write(`applied  ${migration.name}\n`);
    out.write(
      `database ${config.clickhouse.database}: ${result.applied.length} applied now, ${result.alreadyApplied} already applied\n`,
    );
    return 0;
  } finally {
    await Promise.all([serverClient.close(), databaseClient.close()]);
  }
}
