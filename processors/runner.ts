import { setTimeout as sleep } from 'node:timers/promises';
import type { SchemaCodec } from '../schemas/codec.js';
import { DLQ_TOPIC, ERRORS_TOPIC } from '../schemas/topics.js';
import type { ClickHouseWriter } from '../lib/clickhouse.js';
import { type TelemetryError, toTelemetryError } from '../lib/errors.js';
import {
  type Consumer,
  type Kafka,
  KafkaErrorCodes,
  type Producer,
  toKafkaTelemetryError,
} from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { insertRows, WRITTEN_TABLES } from '../lib/tables/index.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { Batch } from './batch.js';
import { Intake } from './intake.js';
import type { ProcessorMetrics } from './metrics.js';

/** Options of the runner; `processors/options.ts` builds them from the configuration. */
export interface RunnerOptions {
  kafka: Kafka;
  codec: SchemaCodec;
  writer: ClickHouseWriter;
  logger: Logger;
  metrics: ProcessorMetrics;
  /** Consumer group of the processors; never one of the agents' groups. */
  groupId: string;
  /** Agent queue topics to observe besides the errors topic (default `^agent-queue-.*`). */
  queueTopicPattern: RegExp;
  /** Store a batch once this many messages are buffered. */
  batchSize: number;
  /** Store a non-empty batch at least this often (freshness). */
  flushIntervalMs: number;
  /** Above this many buffered messages (in hand plus being stored), consumption pauses. */
  maxBufferedMessages: number;
  /**
   * Batches stored at once. With 2, one batch is inserted while the previous one is committed and the
   * next one fills; commits stay in batch order, so a later batch is never committed before an earlier one.
   */
  maxStoresInFlight: number;
  /** How often subscribed topic patterns are re-evaluated (a new agent's queue is picked up). */
  metadataRefreshMs: number;
  /** Messages handed to one eachBatch call (`js.consumer.max.batch.size`). */
  maxPollBatch: number;
  /** Milliseconds of consumption the client caches ahead (`js.consumer.max.cache.size.per.worker.ms`). */
  consumerCacheMs: number;
  poison: { window: number; maxRatio: number; minMessages: number };
  retry: { initialMs: number; maxMs: number };
  /** On a revoke, how long to try to store and commit what is in hand before letting it go. */
  revokeFlushTimeoutMs: number;
  /** Called once if the runner stops on its own (poison ratio, an insert that cannot succeed). */
  onFatal?: (error: TelemetryError) => void;
  now?: () => number;
}

export const RunnerState = {
  CREATED: 'created',
  STARTING: 'starting',
  RUNNING: 'running',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  FAILED: 'failed',
} as const;
export type RunnerState = (typeof RunnerState)[keyof typeof RunnerState];

/** Read through a function: the flag changes while a store awaits, which narrowing cannot see. */
function isAbandoned(entry: { abandoned: boolean } | undefined): boolean {
  return entry?.abandoned === true;
}

/** A batch being stored. `committed` resolves true once its offsets are committed, false otherwise. */
interface StoreEntry {
  batch: Batch;
  done: Promise<void>;
  committed: Promise<boolean>;
  abandoned: boolean;
}

interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * The one runner that touches Kafka for the processors: subscribe, decode, buffer, store, commit,
 * pause, shut down. Delivery is at-least-once into idempotent tables: a batch's rows are inserted and
 * its dead letters produced, and only then are its offsets committed.
 *
 * Backpressure: the buffer is bounded. When it is full, or while a batch cannot be stored
 * (ClickHouse down), the consumer callback waits for room before it returns, so no further messages
 * are delivered (librdkafka's own prefetch queue is bounded too) and consumption resumes by itself
 * once a batch is stored. Waiting in the callback rather than calling the client's pause(): pausing
 * drops the client's prefetched messages, and partitions that had delivered nothing yet were not
 * always fetched again after resume(). A wait longer than `max.poll.interval.ms` (5 min) makes the
 * consumer rejoin its group; nothing was committed meanwhile, so that costs a re-read, not data.
 */
export class ProcessorRunner {
  readonly #o: RunnerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #intake: Intake;
  #state: RunnerState = RunnerState.CREATED;
  #current: Batch;
  /** Batches being stored, oldest first (at most `maxStoresInFlight`). */
  #storing: StoreEntry[] = [];
  #assigned: TopicPartition[] = [];
  /** eachBatch calls waiting for room in the buffer. */
  #capacityWaiters: (() => void)[] = [];
  #storeFailing = false;
  #timer: NodeJS.Timeout | undefined;
  #inBatch = 0;
  #idle: (() => void) | undefined;
  readonly #stopSignal = new AbortController();
  #stopped: Promise<void> | undefined;
  #fatal: TelemetryError | undefined;

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'processor-runner', group: options.groupId });
    this.#now = options.now ?? Date.now;
    this.#current = new Batch(this.#now());
    this.#intake = new Intake({
      codec: options.codec,
      logger: this.#log,
      metrics: options.metrics,
      poison: options.poison,
      now: this.#now,
      batch: () => this.#current,
      backoff: (attempt) => this.#backoff(attempt),
      stopSignal: this.#stopSignal.signal,
      isRunning: () => this.#isRunning(),
      onFatal: (error) => {
        this.#fail(error);
      },
    });
    this.#consumer = options.kafka.consumer({
      kafkaJS: { groupId: options.groupId, fromBeginning: true, autoCommit: false },
      'js.consumer.max.batch.size': options.maxPollBatch,
      'js.consumer.max.cache.size.per.worker.ms': options.consumerCacheMs,
      'topic.metadata.refresh.interval.ms': options.metadataRefreshMs,
      // eager protocol: a revoke takes every partition, so what is in hand can be stored or let go whole
      'partition.assignment.strategy': 'range,roundrobin',
      'fetch.wait.max.ms': 100,
      // librdkafka's prefetch queue: 16 MiB instead of 64 MiB keeps the process small; a batch is
      // stored long before the queue runs dry
      'queued.max.messages.kbytes': 16_384,
      rebalance_cb: (error: KafkaJS.KafkaJSError, assignment: TopicPartition[]) =>
        this.#onRebalance(error, assignment),
    });
    this.#producer = options.kafka.producer({
      kafkaJS: { acks: -1, idempotent: true },
      'linger.ms': 5,
    });
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Messages taken but not yet committed. */
  get buffered(): number {
    return this.#storing.reduce((sum, entry) => sum + entry.batch.messages, this.#current.messages);
  }

  async start(): Promise<void> {
    if (this.#state !== RunnerState.CREATED) throw new Error(`runner cannot start from state ${this.#state}`);
    this.#state = RunnerState.STARTING;
    try {
      await this.#producer.connect();
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: [this.#o.queueTopicPattern, ERRORS_TOPIC] });
      await this.#consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      this.#state = RunnerState.FAILED;
      throw toKafkaTelemetryError(error, 'starting the processors consumer');
    }
    this.#state = RunnerState.RUNNING;
    const tick = Math.max(10, Math.floor(this.#o.flushIntervalMs / 4));
    this.#timer = setInterval(() => {
      if (this.#current.messages > 0 && this.#now() - this.#current.startedAtMs >= this.#o.flushIntervalMs) {
        this.#kickStore();
      }
    }, tick);
    this.#log.info(
      {
        batchSize: this.#o.batchSize,
        flushIntervalMs: this.#o.flushIntervalMs,
        maxBuffered: this.#o.maxBufferedMessages,
      },
      'processors consuming',
    );
  }

  /**
   * Graceful stop: no new messages are taken, the batch in hand is stored and committed (retrying
   * while ClickHouse is unavailable, until the caller's deadline ends the process), then the consumer
   * leaves its group and the producer flushes. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const failed = this.#state === RunnerState.FAILED;
    if (!failed) this.#state = RunnerState.STOPPING;
    clearInterval(this.#timer);
    this.#releaseCapacity();
    await this.#waitIdle();
    if (!failed) {
      try {
        await Promise.all(this.#storing.map((entry) => entry.done));
        if (this.#current.messages > 0) await this.#storeBatch(this.#swap());
      } catch (error) {
        this.#log.error(
          { err: error },
          'could not store the last batch; its messages stay uncommitted and will be re-read',
        );
      }
    }
    this.#stopSignal.abort();
    await this.#consumer.disconnect().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'consumer disconnect failed');
    });
    await this.#producer.disconnect().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'producer disconnect failed');
    });
    if (!failed) this.#state = RunnerState.STOPPED;
    this.#log.info({ state: this.#state }, 'processors stopped');
  }

  async #eachBatch(payload: KafkaJS.EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.#state !== RunnerState.RUNNING) return; // nothing resolved: the library seeks back
    this.#inBatch += 1;
    try {
      let lastTaken: string | undefined;
      let taken = 0;
      for (const message of batch.messages) {
        if (!this.#isRunning() || !payload.isRunning() || payload.isStale()) break;
        const taking = this.#intake.take(batch.topic, batch.partition, message);
        const outcome = typeof taking === 'string' ? taking : await taking;
        if (outcome !== 'taken') break;
        lastTaken = message.offset;
        taken += 1;
      }
      if (lastTaken !== undefined) payload.resolveOffset(lastTaken);
      if (taken > 0) this.#o.metrics.consumed.inc({ topic: batch.topic }, taken);
      this.#o.metrics.buffered.set(this.buffered);
      if (this.#current.messages >= this.#storeThreshold()) this.#kickStore();
      await this.#waitForCapacity();
    } finally {
      this.#inBatch -= 1;
      if (this.#inBatch === 0) this.#idle?.();
    }
  }

  #backoff(attempt: number): number {
    return Math.min(this.#o.retry.maxMs, this.#o.retry.initialMs * 2 ** Math.min(attempt - 1, 16));
  }

  /** Resolves once there is room in the buffer and batches can be stored, or the runner stops. */
  async #waitForCapacity(): Promise<void> {
    const full = (): boolean =>
      this.#isRunning() && (this.#storeFailing || this.buffered >= this.#o.maxBufferedMessages);
    if (!full()) return;
    this.#o.metrics.paused.set(1);
    this.#log.debug(
      { buffered: this.buffered, storeFailing: this.#storeFailing },
      'consumption waiting for room',
    );
    while (full()) {
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
    }
    this.#o.metrics.paused.set(0);
  }

  #releaseCapacity(): void {
    for (const resolve of this.#capacityWaiters.splice(0)) resolve();
  }

  /** A batch is stored once it reaches the batch size, or sooner when the buffer bound is lower. */
  #storeThreshold(): number {
    return Math.min(this.#o.batchSize, this.#o.maxBufferedMessages);
  }

  #swap(): Batch {
    const batch = this.#current;
    this.#current = new Batch(this.#now());
    return batch;
  }

  /** Starts storing the batch in hand unless `maxStoresInFlight` stores are in flight already. */
  #kickStore(): void {
    if (this.#storing.length >= this.#o.maxStoresInFlight || this.#current.messages === 0) return;
    if (this.#state !== RunnerState.RUNNING) return;
    const batch = this.#swap();
    const previous = this.#storing.at(-1)?.committed;
    let settle: (ok: boolean) => void = () => undefined;
    const entry: StoreEntry = {
      batch,
      abandoned: false,
      done: Promise.resolve(),
      committed: new Promise<boolean>((resolve) => (settle = resolve)),
    };
    entry.done = this.#storeBatch(batch, entry, previous)
      .then(
        (committed) => {
          settle(committed);
        },
        (error: unknown) => {
          settle(false);
          if (!entry.abandoned) this.#fail(toTelemetryError(error));
        },
      )
      .finally(() => {
        this.#storing = this.#storing.filter((other) => other !== entry);
        this.#o.metrics.buffered.set(this.buffered);
        this.#releaseCapacity();
        // a full batch may have built up meanwhile
        if (this.#current.messages >= this.#storeThreshold()) this.#kickStore();
      });
    this.#storing.push(entry);
  }

  /**
   * Inserts the batch's rows, then (once the previous batch is committed) produces its dead letters and
   * commits its offsets; retries outages. Resolves true once committed, false when it gave up because
   * it was abandoned or the previous batch was not committed (its messages are then re-read).
   */
  async #storeBatch(
    batch: Batch,
    entry?: { abandoned: boolean },
    previous?: Promise<boolean>,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (isAbandoned(entry)) return false;
      try {
        const started = performance.now();
        await Promise.all(
          WRITTEN_TABLES.map(async (table) => {
            const rows = batch.rows[table];
            if (rows.length === 0) return;
            await insertRows(this.#o.writer, table, rows);
            this.#o.metrics.insertedRows.inc({ table }, rows.length);
          }),
        );
        this.#o.metrics.insertSeconds.observe((performance.now() - started) / 1000);
        // offsets are committed in batch order: a later batch must not cover an earlier one's messages
        if (previous !== undefined && !(await previous)) return false;
        await this.#produceDeadLetters(batch);
        if (isAbandoned(entry)) return false;
        await this.#commit(batch);
        this.#o.metrics.batchMessages.observe(batch.messages);
        if (this.#storeFailing) this.#log.info({ attempt }, 'storing batches again');
        this.#storeFailing = false;
        return true;
      } catch (error) {
        const failure = toTelemetryError(error);
        this.#o.metrics.flushFailures.inc({ code: failure.code });
        if (!failure.retryable) throw failure;
        if (this.#stopSignal.signal.aborted) throw failure;
        this.#storeFailing = true;
        const delay = this.#backoff(attempt);
        this.#log.warn(
          { err: failure, code: failure.code, attempt, delayMs: delay, messages: batch.messages },
          'batch not stored; consumption waits, retrying',
        );
        try {
          await sleep(delay, undefined, { signal: this.#stopSignal.signal });
        } catch {
          throw failure;
        }
      }
    }
  }

  async #produceDeadLetters(batch: Batch): Promise<void> {
    if (batch.deadLetters.length === 0) return;
    try {
      await this.#producer.send({ topic: DLQ_TOPIC, messages: batch.deadLetters });
    } catch (error) {
      throw toKafkaTelemetryError(error, 'producing dead letters');
    }
  }

  async #commit(batch: Batch): Promise<void> {
    const assigned = new Set(this.#assigned.map((tp) => `${tp.topic}\u0000${tp.partition}`));
    const commits = batch.commits().filter((c) => assigned.has(`${c.topic}\u0000${c.partition}`));
    if (commits.length === 0) return;
    const started = performance.now();
    try {
      await this.#consumer.commitOffsets(commits);
    } catch (error) {
      throw toKafkaTelemetryError(error, 'committing offsets');
    }
    this.#o.metrics.commitSeconds.observe((performance.now() - started) / 1000);
  }

  async #onRebalance(error: KafkaJS.KafkaJSError, assignment: TopicPartition[]): Promise<void> {
    if (error.code === KafkaErrorCodes.ERR__ASSIGN_PARTITIONS) {
      this.#assigned = assignment.map(({ topic, partition }) => ({ topic, partition }));
      this.#log.info({ partitions: this.#assigned.length }, 'partitions assigned');
      return;
    }
    if (error.code !== KafkaErrorCodes.ERR__REVOKE_PARTITIONS) return;
    this.#log.info({ partitions: assignment.length }, 'partitions revoked: storing what is in hand first');
    await this.#drainForRevoke();
    this.#assigned = [];
  }

  /** Stores and commits everything in hand before a revoke completes, or lets it go after a timeout. */
  async #drainForRevoke(): Promise<void> {
    if (this.#state === RunnerState.FAILED) return;
    const timeout = sleep(this.#o.revokeFlushTimeoutMs, 'timeout' as const, { ref: false });
    const inFlight = [...this.#storing];
    const own = { abandoned: false };
    const drain = (async () => {
      await Promise.all(inFlight.map((entry) => entry.done));
      if (this.#current.messages > 0) await this.#storeBatch(this.#swap(), own);
      return 'stored' as const;
    })();
    const outcome = await Promise.race([drain, timeout]).catch(() => 'failed' as const);
    if (outcome !== 'stored') {
      own.abandoned = true;
      for (const entry of inFlight) entry.abandoned = true;
      const dropped = this.#current.messages;
      this.#current = new Batch(this.#now());
      this.#log.warn(
        { outcome, dropped },
        'could not store the batch before the revoke; its offsets stay uncommitted and the next owner re-reads them',
      );
    }
  }

  #fail(error: TelemetryError): void {
    if (this.#state === RunnerState.FAILED) return;
    this.#fatal = error;
    this.#state = RunnerState.FAILED;
    this.#log.fatal({ err: error, code: error.code }, 'processors stopping on a fatal error');
    this.#releaseCapacity();
    this.#o.onFatal?.(error);
  }

  #isRunning(): boolean {
    return this.#state === RunnerState.RUNNING;
  }

  get fatalError(): TelemetryError | undefined {
    return this.#fatal;
  }

  #waitIdle(): Promise<void> {
    if (this.#inBatch === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = () => {
        this.#idle = undefined;
        resolve();
      };
    });
  }
}
