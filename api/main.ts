import {
  createClickHouseClient,
  lanedReader,
  type ClickHouseClient,
  type ClickHouseReader,
} from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import type { Lifecycle } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import { createCodec, createSchemaRegistry } from '../lib/registry.js';
import { createActionsBackend } from './actions/backend.js';
import type { DependencyCheck } from './health.js';
import { createKafkaView } from './kafka-view.js';
import { LiveHub } from './live-feed.js';
import { createApiMetrics } from './metrics.js';
import { buildApi, type Api } from './server.js';
import { createKafkaTap, type KafkaTap } from './ws/kafka-tap.js';

export interface ApiHandle {
  api: Api;
  port: number;
  tap: KafkaTap;
}

/**
 * Whether the ClickHouse user the API reads as is read-only: the API never writes, and a user that
 * could is a risk worth a warning (`readonly` is 1 or 2 for a read-only profile).
 */
async function isReadOnly(reader: ClickHouseReader): Promise<boolean> {
  const rows = await reader.query<{ value: string }>(
    "SELECT value FROM system.settings WHERE name = 'readonly'",
  );
  return rows[0] !== undefined && rows[0].value !== '0';
}

/**
 * ClickHouse as the API's user (`API_CLICKHOUSE_USER`, a read-only profile: the API never writes),
 * through one pool for the reads callers wait on and one for the views they share (see
 * lib/query-scope.ts), each closed by the lifecycle.
 */
export function openReadOnlyReader(config: Config, lifecycle: Lifecycle): ClickHouseReader {
  const open = (name: string, maxOpenConnections: number): ClickHouseClient => {
    const client = createClickHouseClient(
      {
        ...config,
        clickhouse: {
          ...config.clickhouse,
          username: config.api.clickhouseUser,
          password: config.api.clickhousePassword,
        },
      },
      { requestTimeoutMs: 15_000, maxOpenConnections },
    );
    lifecycle.add(name, () => client.close());
    return client;
  };
  return lanedReader({
    request: open('clickhouse-requests', config.api.clickhouseConnections),
    shared: open('clickhouse-shared', config.api.clickhouseSharedConnections),
    control: open('clickhouse-control', 1),
    requestConnections: config.api.clickhouseConnections,
    sharedConnections: config.api.clickhouseSharedConnections,
    requestQueueMs: config.api.clickhouseQueueMs,
  });
}

/**
 * The API's composition root: ClickHouse as the read-only user, a Kafka admin for live lag, the live
 * tap with its own group, the HTTP server. Every part is registered with the lifecycle, which closes
 * them in reverse order: the server first, then the tap, the admin and the ClickHouse client.
 */
export async function startApi(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<ApiHandle> {
  const reader = openReadOnlyReader(config, lifecycle);
  try {
    if (!(await isReadOnly(reader))) {
      logger.warn(
        { user: config.api.clickhouseUser },
        'the API ClickHouse user is not read-only: use a readonly profile',
      );
    }
  } catch (error) {
    logger.warn({ err: error }, 'ClickHouse not reachable at start: /ready stays 503 until it is');
  }

  const kafka = createKafka(config, logger, 'api');
  const admin = kafka.admin();
  await admin.connect();
  lifecycle.add('kafka-admin', () => admin.disconnect());
  const kafkaView = createKafkaView(admin);

  const registry = createSchemaRegistry(config);
  const codec = createCodec(config, registry);
  const metrics = createApiMetrics();
  const hub = new LiveHub();
  const tap = createKafkaTap({ config, kafka, codec, hub, logger, metrics });
  lifecycle.add('live-tap', () => tap.stop());
  await tap.start();
  let tapAssigned = false;
  void tap.assigned().then(() => {
    tapAssigned = true;
  });

  const checks: DependencyCheck[] = [
    {
      // the WebSocket feed and subscriptions push nothing until the tap has its partitions
      name: 'live_feed',
      check: () =>
        tapAssigned ? Promise.resolve() : Promise.reject(new Error('live tap has no partitions yet')),
    },
    {
      name: 'clickhouse',
      check: async () => {
        await reader.query('SELECT 1');
      },
    },
    { name: 'kafka', check: () => kafkaView.check() },
    {
      name: 'registry',
      check: async () => {
        const response = await fetch(`${config.registry.url}/subjects`, {
          signal: AbortSignal.timeout(2_000),
        });
        if (!response.ok) throw new Error(`registry answered ${response.status}`);
        await response.arrayBuffer();
      },
    },
  ];
  const actions = createActionsBackend({ config, logger, lifecycle, reader, codec });
  const api = buildApi(config, { logger, reader, kafka: kafkaView, feed: hub, checks, metrics, actions });
  lifecycle.add('http', () => api.stop());
  const port = await api.start();
  return { api, port, tap };
}
