import { clickHouseAccess, createClickHouseClient } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { createKafka } from '../../lib/kafka.js';
import { testLogger } from '../../lib/test-support/helpers.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';

/**
 * The API of an integration test: built (not started) over the test database as the stack's
 * read-only ClickHouse user, with a real Kafka admin for live lag and a live feed of its own.
 * `close()` stops it and closes the clients.
 */
export async function buildTestApi(
  config: Config,
  clientId: string,
): Promise<{ api: Api; close(): Promise<void> }> {
  const reader = createClickHouseClient({
    ...config,
    clickhouse: {
      ...config.clickhouse,
      username: config.api.clickhouseUser,
      password: config.api.clickhousePassword,
    },
  });
  const admin = createKafka(config, testLogger(), clientId).admin();
  await admin.connect();
  const api = buildApi(config, {
    logger: testLogger(),
    reader: clickHouseAccess(reader),
    kafka: createKafkaView(admin),
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
  });
  return {
    api,
    async close() {
      await api.stop();
      await admin.disconnect();
      await reader.close();
    },
  };
}
