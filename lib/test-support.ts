import { randomBytes } from 'node:crypto';
import { clickHouseAccess, createClickHouseClient, type ClickHouseAccess } from './clickhouse.js';
import { loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { quoteIdentifier } from './sql.js';

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
  const serverClient = createClickHouseClient(config, { database: 'default' });
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
