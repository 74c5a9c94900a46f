import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one processor process, on a registry of its own (no global state). */
export interface ProcessorMetrics {
  registry: Registry;
  consumed: Counter<'topic'>;
  insertedRows: Counter<'table'>;
  deadLettered: Counter<'code'>;
  flushFailures: Counter<'code'>;
  batchMessages: Histogram;
  insertSeconds: Histogram;
  commitSeconds: Histogram;
  buffered: Gauge;
  paused: Gauge;
  lag: Gauge<'topic' | 'partition'>;
}

export function createProcessorMetrics(options: { defaultMetrics?: boolean } = {}): ProcessorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'agent_telemetry_processor_' });
  const registers = [registry];
  return {
    registry,
    consumed: new Counter({
      name: 'agent_telemetry_consumed_messages_total',
      help: 'Kafka messages taken into batches (stored or dead-lettered), by topic',
      labelNames: ['topic'],
      registers,
    }),
    insertedRows: new Counter({
      name: 'agent_telemetry_inserted_rows_total',
      help: 'Rows inserted into ClickHouse, by table',
      labelNames: ['table'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'agent_telemetry_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by error code',
      labelNames: ['code'],
      registers,
    }),
    flushFailures: new Counter({
      name: 'agent_telemetry_flush_failures_total',
      help: 'Failed attempts to store a batch (it is retried), by error code',
      labelNames: ['code'],
      registers,
    }),
    batchMessages: new Histogram({
      name: 'agent_telemetry_batch_messages',
      help: 'Messages per stored batch',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'agent_telemetry_insert_duration_seconds',
      help: 'Time to insert one batch into ClickHouse (all tables)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'agent_telemetry_commit_duration_seconds',
      help: 'Time to commit the offsets of one batch',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    buffered: new Gauge({
      name: 'agent_telemetry_buffered_messages',
      help: 'Messages taken but not yet stored and committed',
      registers,
    }),
    paused: new Gauge({
      name: 'agent_telemetry_consumer_paused',
      help: '1 while consumption is paused (buffer full or ClickHouse unavailable)',
      registers,
    }),
    lag: new Gauge({
      name: 'agent_telemetry_consumer_lag_messages',
      help: "The processors' consumer group lag, per topic and partition (from the lag sampler)",
      labelNames: ['topic', 'partition'],
      registers,
    }),
  };
}
