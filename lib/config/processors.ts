import { z } from 'zod';
import { defineSlice, port, positiveInt } from './slice.js';

/**
 * The stream processors and the lag sampler. The `processors` part is named as the runner's
 * options are (`processors/runner.ts`), so the runner takes it as it is; `httpPort` is the
 * processors' probe server.
 */
export const processorsSlice = defineSlice({
  name: 'processors',
  title: 'Processors',
  summary:
    'Read by `agent-telemetry processors` and `replay` (the shared consume, batch, insert, commit runner).',
  variables: {
    PROCESSOR_GROUP_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-"')
      .refine((group) => !group.startsWith('agent-'), 'must not be an agent group (agent-<name>)')
      .default('telemetry-processors')
      .describe(
        "the processors' consumer group (may not start with `agent-`); the diagnosis reads its progress too",
      ),
    PROCESSOR_QUEUE_TOPIC_PATTERN: z
      .string()
      .refine(
        (pattern) => pattern.startsWith('^'),
        'must start with "^" (a regular expression, as librdkafka expects)',
      )
      .refine((pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .default('^agent-queue-.*')
      .describe(
        "agent queue topics observed (a regular expression starting with `^`, subscribed by pattern so a new agent's topic is picked up)",
      ),
    PROCESSOR_BATCH_SIZE: positiveInt(5_000, 1_000_000).describe(
      'store a batch once it holds this many messages',
    ),
    PROCESSOR_FLUSH_INTERVAL_MS: positiveInt(1_000, 60_000).describe(
      'store a non-empty batch at least this often (counted from the previous store: a steady stream is stored once per interval, a message after a quiet spell at once)',
    ),
    PROCESSOR_MAX_BUFFERED: positiveInt(10_000, 10_000_000).describe(
      'stop taking messages above this many in hand (stored or not yet)',
    ),
    PROCESSOR_MAX_BUFFERED_BYTES: positiveInt(64 * 1024 * 1024, 16 * 1024 * 1024 * 1024).describe(
      'stop taking messages above this many bytes in hand (estimated: 3 × key and value + 512 per message)',
    ),
    PROCESSOR_REVOKE_TIMEOUT_MS: positiveInt(10_000, 240_000).describe(
      'on a revoke, how long the batches in hand may take to be stored before they are let go uncommitted',
    ),
    PROCESSOR_MAX_STORES_IN_FLIGHT: positiveInt(2, 8).describe(
      'batches inserted at once (commits stay in batch order)',
    ),
    PROCESSOR_MAX_POLL_BATCH: positiveInt(2_000, 100_000).describe(
      'messages per consumer callback (`js.consumer.max.batch.size`)',
    ),
    PROCESSOR_CONSUMER_CACHE_MS: positiveInt(1_500, 60_000).describe(
      'milliseconds of consumption the client fetches ahead into memory (`js.consumer.max.cache.size.per.worker.ms`)',
    ),
    PROCESSOR_METADATA_REFRESH_MS: positiveInt(5_000, 600_000).describe(
      "how soon a new agent's queue is picked up",
    ),
    PROCESSOR_POISON_MAX_RATIO: z.coerce
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('stop instead of dead-lettering when undecodable messages exceed this share of the window'),
    PROCESSOR_POISON_WINDOW: positiveInt(1_000, 1_000_000).describe(
      'messages over which the poison ratio is measured',
    ),
    PROCESSOR_POISON_MIN_MESSAGES: positiveInt(100, 1_000_000).describe(
      'messages seen before the poison ratio may stop the processors',
    ),
    PROCESSOR_HTTP_PORT: port(9464).describe('`/metrics`, `/healthz`, `/readyz`; `0` turns them off'),
    LAG_SAMPLE_INTERVAL_MS: positiveInt(5_000, 3_600_000).describe('consumer lag sampling period'),
    LAG_RETENTION_DAYS: positiveInt(7, 3_650).describe('days of lag samples kept'),
  },
  build: (e) => ({
    processors: {
      groupId: e.PROCESSOR_GROUP_ID,
      queueTopicPattern: new RegExp(e.PROCESSOR_QUEUE_TOPIC_PATTERN),
      batchSize: e.PROCESSOR_BATCH_SIZE,
      flushIntervalMs: e.PROCESSOR_FLUSH_INTERVAL_MS,
      maxBufferedMessages: e.PROCESSOR_MAX_BUFFERED,
      maxBufferedBytes: e.PROCESSOR_MAX_BUFFERED_BYTES,
      revokeFlushTimeoutMs: e.PROCESSOR_REVOKE_TIMEOUT_MS,
      maxStoresInFlight: e.PROCESSOR_MAX_STORES_IN_FLIGHT,
      maxPollBatch: e.PROCESSOR_MAX_POLL_BATCH,
      consumerCacheMs: e.PROCESSOR_CONSUMER_CACHE_MS,
      metadataRefreshMs: e.PROCESSOR_METADATA_REFRESH_MS,
      poison: {
        maxRatio: e.PROCESSOR_POISON_MAX_RATIO,
        window: e.PROCESSOR_POISON_WINDOW,
        minMessages: e.PROCESSOR_POISON_MIN_MESSAGES,
      },
      httpPort: e.PROCESSOR_HTTP_PORT,
    },
    lag: { sampleIntervalMs: e.LAG_SAMPLE_INTERVAL_MS, retentionDays: e.LAG_RETENTION_DAYS },
  }),
});

export type ProcessorsConfig = z.output<typeof processorsSlice.schema>;
