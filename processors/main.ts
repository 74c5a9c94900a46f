import { getHeapStatistics } from 'node:v8';
import { clickHouseAccess, createClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { TelemetryError } from '../lib/errors.js';
import { startProbeServer } from '../lib/http-probe-server.js';
import { createKafka } from '../lib/kafka.js';
import type { Lifecycle } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import { MIGRATION_REQUEST_TIMEOUT_MS, migrate } from '../lib/migrations.js';
import { createCodec } from '../lib/registry.js';
import { LagSampler } from './lag-sampler.js';
import { createProcessorMetrics, type ProcessorMetrics } from './metrics.js';
import { runnerSettings } from './options.js';
import { ProcessorRunner, RunnerState } from './runner.js';

export interface ProcessorsHandle {
  runner: ProcessorRunner;
  metrics: ProcessorMetrics;
  /** Port of /metrics, /healthz and /readyz; undefined when PROCESSOR_HTTP_PORT is 0. */
  httpPort: number | undefined;
}

/**
 * Builds and starts the processors: migrations, the runner, the lag sampler and the probe server.
 * Every part is registered with the lifecycle, which closes them in reverse order on a signal.
 * `onFatal` is called if the runner stops on its own (then the process should exit non-zero).
 */
export async function startProcessors(
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
  onFatal: (error: TelemetryError) => void,
): Promise<ProcessorsHandle> {
  const metrics = createProcessorMetrics();
  // the byte budget is estimated JavaScript memory: it must fit in the heap with room for garbage
  const heapLimit = getHeapStatistics().heap_size_limit;
  if (config.processors.maxBufferedBytes > heapLimit / 2) {
    logger.warn(
      { maxBufferedBytes: config.processors.maxBufferedBytes, heapLimitBytes: heapLimit },
      'PROCESSOR_MAX_BUFFERED_BYTES is more than half the V8 heap limit: raise --max-old-space-size in NODE_OPTIONS with it',
    );
  }

  const serverClient = createClickHouseClient(config, { database: 'default' });
  const client = createClickHouseClient(config);
  lifecycle.add('clickhouse', async () => {
    await Promise.all([client.close(), serverClient.close()]);
  });
  const clickhouse = clickHouseAccess(client);
  // a client of its own: a rebuild copies a whole table in one statement
  const migrationClient = createClickHouseClient(config, { requestTimeoutMs: MIGRATION_REQUEST_TIMEOUT_MS });
  try {
    await migrate({
      server: clickHouseAccess(serverClient),
      database: clickHouseAccess(migrationClient),
      databaseName: config.clickhouse.database,
      logger,
    });
  } finally {
    await migrationClient.close();
  }

  const kafka = createKafka(config, logger, 'processors');
  const runner = new ProcessorRunner({
    kafka,
    codec: createCodec(config),
    writer: clickhouse,
    logger,
    metrics,
    ...runnerSettings(config),
    onFatal,
  });

  let httpPort: number | undefined;
  if (config.processors.httpPort > 0) {
    const probes = await startProbeServer({
      port: config.processors.httpPort,
      logger,
      registry: metrics.registry,
      isAlive: () => runner.state !== RunnerState.FAILED,
      isReady: () => runner.state === RunnerState.RUNNING,
    });
    httpPort = probes.port;
    lifecycle.add('probe-server', probes.close);
  }

  lifecycle.add('runner', () => runner.stop());
  await runner.start();

  const admin = kafka.admin();
  await admin.connect();
  lifecycle.add('admin', () => admin.disconnect());
  const sampler = new LagSampler({
    admin,
    clickhouse,
    logger,
    metrics,
    ownGroupId: config.processors.groupId,
    queueTopicPattern: config.processors.queueTopicPattern,
    intervalMs: config.lag.sampleIntervalMs,
    retentionDays: config.lag.retentionDays,
  });
  sampler.start();
  lifecycle.add('lag-sampler', () => sampler.stop());

  logger.info({ group: config.processors.groupId, httpPort }, 'processors started');
  return { runner, metrics, httpPort };
}
