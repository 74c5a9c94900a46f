import { createApiMetrics } from '../../api/metrics.js';
import { LiveHub } from '../../api/live-feed.js';
import { buildApi, type Api } from '../../api/server.js';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';

/**
 * The API as it is built in production (every module of `api/modules.ts`, default configuration),
 * with dependencies that refuse every call: the reference pages read what it serves about itself
 * (its OpenAPI document, its MCP tools, its GraphQL SDL) and never its data. The configuration is
 * the defaults, not this process's environment, so the pages are the same on every machine.
 */
export function buildInertApi(): Api {
  const refuse = (): Promise<never> =>
    Promise.reject(new Error('the reference pages are generated without services'));
  const reader: ClickHouseReader = { query: refuse };
  return buildApi(loadConfig({}), {
    logger: createLogger({ level: 'silent', component: 'docs' }),
    reader,
    kafka: { groupLag: refuse, check: refuse },
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
    now: () => 0,
  });
}
