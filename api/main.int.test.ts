import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import { TelemetryError } from '../lib/errors.js';
import { migrate } from '../lib/migrations.js';
import { Lifecycle } from '../lib/lifecycle.js';
import {
  createTestDatabase,
  eventually,
  testLogger,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import { startApi, type ApiHandle } from './main.js';

/** The composition root against the real stack: dependency checks, metrics, the read-only user. */
let db: TestDatabase;
let lifecycle: Lifecycle;
let handle: ApiHandle;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase('apimain');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  const config = { ...db.config, api: { ...db.config.api, port: 0, host: '127.0.0.1' } };
  lifecycle = new Lifecycle({ logger: testLogger(), deadlineMs: 30_000 });
  handle = await startApi(config, testLogger(), lifecycle);
  base = `http://127.0.0.1:${handle.port}`;
});

afterAll(async () => {
  await lifecycle.shutdown('test done');
  await db.drop();
});

describe('agent-telemetry api', () => {
  it('is live and ready once ClickHouse, Kafka, the registry and the live feed answer', async () => {
    // the live tap gets its partitions shortly after start; readiness waits for it
    const ok = await eventually(async () => (await fetch(`${base}/ready`)).status === 200, 30_000);
    if (!ok) process.stdout.write(await (await fetch(`${base}/ready`)).text());
    expect(ok).toBe(true);
    const health = await fetch(`${base}/health`);
    const body = (await health.json()) as Record<string, unknown>;
    expect(health.status).toBe(200);
    expect(body).toMatchObject({
      status: 'healthy',
      active_connections: 0,
      checks: {
        clickhouse: { status: 'ok' },
        kafka: { status: 'ok' },
        registry: { status: 'ok' },
        live_feed: { status: 'ok' },
      },
    });
    expect(Number.isNaN(Date.parse(String(body.timestamp)))).toBe(false);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });

  it('serves Prometheus metrics, GraphiQL and the OpenAPI description', async () => {
    await fetch(`${base}/api/v1/errors/summary`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'agent_telemetry_api_requests_total{route="/api/v1/errors/summary",method="GET",status="200"} 1',
    );
    expect(metrics).toContain('process_cpu_user_seconds_total');
    const graphiql = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.headers.get('content-type')).toContain('text/html');
    const openapi = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/queues/{agent}/pending');
  });

  it('reads ClickHouse as a user that cannot write', async () => {
    const client = createClickHouseClient({
      ...db.config,
      clickhouse: {
        ...db.config.clickhouse,
        username: db.config.api.clickhouseUser,
        password: db.config.api.clickhousePassword,
      },
    });
    try {
      const reader = clickHouseAccess(client);
      expect(await reader.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      const write = reader.command(`CREATE TABLE ${db.name}.must_not_exist (x UInt8) ENGINE = Memory`);
      await expect(write).rejects.toBeInstanceOf(TelemetryError);
      const tables = await db.access.query<{ name: string }>(
        `SELECT name FROM system.tables WHERE database = '${db.name}' AND name = 'must_not_exist'`,
      );
      expect(tables).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
