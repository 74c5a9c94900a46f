import { clickHouseAccess, createClickHouseClient, type ClickHouseReader } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { createKafka } from '../../lib/kafka.js';
import type { Lifecycle } from '../../lib/lifecycle.js';
import type { Logger } from '../../lib/logger.js';
import type { SchemaCodec } from '../../schemas/codec.js';
import { createActionsKafka } from './kafka.js';
import { ActionsService } from './service.js';

/**
 * The actions' parts, when API_ACTIONS=on and API_AUTH_TOKEN are set: a ClickHouse connection as
 * the writer user (CLICKHOUSE_USER) used for `action_log` inserts only, and a producer. Otherwise
 * `undefined`, and the start-up log says why (the action routes answer 403 with the same words).
 */
export function createActionsBackend(options: {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  reader: ClickHouseReader;
  codec: SchemaCodec;
  now?: () => number;
}): ActionsService | undefined {
  const { config, logger, lifecycle } = options;
  const actions = config.api.actions;
  if (!actions.enabled) {
    if (actions.requested) logger.warn(actions.refusal);
    else
      logger.info(
        'actions off (cancel, retry, dead-letter replay answer 403): set API_ACTIONS=on with API_AUTH_TOKEN',
      );
    return undefined;
  }
  const writer = createClickHouseClient(config, { requestTimeoutMs: 15_000 });
  lifecycle.add('actions-clickhouse', () => writer.close());
  const kafka = createActionsKafka({
    kafka: createKafka(config, logger, 'actions'),
    codec: options.codec,
    logger,
  });
  lifecycle.add('actions-producer', () => kafka.close());
  logger.warn(
    { auditUser: config.clickhouse.username },
    'actions ON: cancel, retry and dead-letter replay produce to Kafka; every request is audited in action_log',
  );
  return new ActionsService({
    reader: options.reader,
    audit: clickHouseAccess(writer, { encoding: 'json' }),
    kafka,
    logger: logger.child({ part: 'actions' }),
    now: options.now ?? Date.now,
    dlqScanMs: actions.dlqScanMs,
  });
}
