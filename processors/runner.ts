import { setTimeout as sleep } from 'node:timers/promises';
import type { SchemaCodec } from '../schemas/codec.js';
import { DLQ_TOPIC, ERRORS_TOPIC } from '../schemas/topics.js';
import type { ClickHouseWriter } from '../lib/clickhouse.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import {
  type Consumer,
  type Kafka,
  KafkaErrorCodes,
  type Producer,
  toKafkaTelemetryError,
} from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { insertRows } from '../lib/tables/index.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { Batch } from './batch.js';
import { deadLetterFor } from './dead-letter.js';
import { Intake } from './intake.js';
import type { ProcessorMetrics } from './metrics.js';
import { backoffDelay, StorePipeline, type StoreOutcome } from './store-pipeline.js';

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
   * Above this many bytes buffered (in hand plus being stored, estimated by `messageBytes`),
   * consumption pauses; a batch is stored once it holds its share of them.
   */
  maxBufferedBytes: number;
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

interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * The one runner that touches Kafka for the processors: subscribe, decode, buffer, hand batches to
 * the ordered store pipeline (insert, dead letters, commit: `store-pipeline.ts`), pause, shut down.
 * Delivery is at-least-once into idempotent tables: a batch's offsets are committed only after its
 * rows are inserted and its dead letters produced, and after every batch before it was committed.
 *
 * Backpressure: the buffer is bounded in messages and in bytes. When it is full, or while a batch
 * cannot be stored (ClickHouse down), the consumer callback waits for room before it returns, so no
 * further messages are delivered (librdkafka's own prefetch queue is bounded too) and consumption
 * resumes by itself once a batch is stored. Waiting in the callback rather than calling the client's
 * pause(): pausing drops the client's prefetched messages, and partitions that had delivered nothing
 * yet were not always fetched again after resume(). A wait longer than `max.poll.interval.ms` (5 min)
 * makes the consumer rejoin its group; nothing was committed meanwhile, so that costs a re-read.
 */
export class ProcessorRunner {
  readonly #o: RunnerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #intake: Intake;
  readonly #pipeline: StorePipeline;
  #state: RunnerState = RunnerState.CREATED;
  #current: Batch;
  #assigned: TopicPartition[] = [];
  /** eachBatch calls waiting for room in the buffer. */
  #capacityWaiters: (() => void)[] = [];
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
      backoff: (attempt) => backoffDelay(options.retry, attempt),
      stopSignal: this.#stopSignal.signal,
      isRunning: () => this.#isRunning(),
    });
    const metrics = options.metrics;
    this.#pipeline = new StorePipeline({
      logger: this.#log,
      retry: options.retry,
      steps: {
        insert: (table, rows) => insertRows(options.writer, table, rows),
        produceDeadLetters: (letters) => this.#produceDeadLetters(letters),
        commit: (batch) => this.#commit(batch),
        rejectedMessage: ({ topic, partition, message }, cause) => {
          metrics.deadLettered.inc({ code: cause.code });
          const value = message.value;
          const schemaId = value !== null && value.length >= 5 && value[0] === 0 ? value.readInt32BE(1) : -1;
          return deadLetterFor({
            topic,
            partition,
            message,
            cause: { ...cause, schemaId },
            observedAtMs: this.#now(),
          });
        },
      },
      onStalled: (stalled) => {
        if (stalled) this.#log.warn('storing batches failed: consumption waits until they are stored');
        else this.#log.info('storing batches again');
        this.#releaseCapacity();
      },
      onRetry: (code) => {
        metrics.flushFailures.inc({ code });
      },
      onInserted: (table, rows, seconds) => {
        metrics.insertedRows.inc({ table }, rows);
        metrics.insertSeconds.observe(seconds);
      },
      onCommitted: (batch, seconds) => {
        metrics.batchMessages.observe(batch.messages);
        metrics.commitSeconds.observe(seconds);
      },
    });
    this.#consumer = options.kafka.consumer({
      kafkaJS: { groupId: options.groupId, fromBeginning: true, autoCommit: false },
      'js.consumer.max.batch.size': options.maxPollBatch,
      'js.consumer.max.cache.size.per.worker.ms': options.consumerCacheMs,
      'topic.metadata.refresh.interval.ms': options.metadataRefreshMs,
      // eager protocol: a revoke takes every partition, so what is in hand can be stored or let go whole
      'partition.assignment.strategy': 'range,roundrobin',
      // a fetch waits for 64 KiB or 100 ms, whichever comes first: answered at its first byte, it
      // carried a few records of a steady stream per round trip (at 2,000 msg/s the processors
      // spent 0.23 of a core, 0.14 with these), and a batch is stored every 200 ms anyway
      'fetch.wait.max.ms': 100,
      'fetch.min.bytes': 64 * 1024,
      // librdkafka's prefetch: 4 MiB queued and 4 MiB per fetch response instead of 64 MiB and
      // 50 MiB keep the process small (a message still arrives whole whatever its size); the
      // queue holds more than one poll batch of typical messages, so consumption never waits on it
      'queued.max.messages.kbytes': 4_096,
      'fetch.max.bytes': 4 * 1024 * 1024,
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
    return this.#current.messages + this.#pipeline.messagesInFlight;
  }

  /** Estimated bytes of the messages taken but not yet committed. */
  get bufferedBytes(): number {
    return this.#current.bytes + this.#pipeline.bytesInFlight;
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
    // a batch's age counts from the previous store (when it was swapped in), so a steady stream is
    // stored once per interval, and a message that comes an interval or more after the previous
    // store at the next tick
    const tick = Math.max(10, Math.min(50, Math.floor(this.#o.flushIntervalMs / 4)));
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
        maxBufferedBytes: this.#o.maxBufferedBytes,
      },
      'processors consuming',
    );
  }

  /**
   * Graceful stop: no new messages are taken, the batch in hand is stored and committed after the
   * batches in flight (retrying while ClickHouse is unavailable, until the caller's deadline ends the
   * process), then the consumer leaves its group and the producer flushes. Idempotent.
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
      if (this.#current.messages > 0) void this.#pipeline.submit(this.#swap());
      const outcome = await this.#pipeline.drain();
      if (outcome !== 'committed') {
        this.#log.error({ outcome }, 'the last batches were not committed; their messages will be re-read');
      }
    }
    this.#pipeline.close();
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
        const outcome = 'kind' in taking ? taking : await taking;
        if (outcome.kind === 'stopped') break;
        if (outcome.kind === 'fatal') {
          this.#fail(outcome.error);
          break;
        }
        // the batch in hand now: a store may have swapped it while the registry was asked
        this.#current.add(batch.topic, batch.partition, message, outcome);
        lastTaken = message.offset;
        taken += 1;
        if (this.#storeDue()) this.#kickStore();
      }
      if (lastTaken !== undefined) payload.resolveOffset(lastTaken);
      if (taken > 0) this.#o.metrics.consumed.inc({ topic: batch.topic }, taken);
      this.#o.metrics.buffered.set(this.buffered);
      await this.#waitForCapacity();
    } finally {
      this.#inBatch -= 1;
      if (this.#inBatch === 0) this.#idle?.();
    }
  }

  /** Resolves once there is room in the buffer and batches can be stored, or the runner stops. */
  async #waitForCapacity(): Promise<void> {
    const full = (): boolean =>
      this.#isRunning() &&
      (this.#pipeline.stalled ||
        this.buffered >= this.#o.maxBufferedMessages ||
        this.bufferedBytes >= this.#o.maxBufferedBytes);
    if (!full()) return;
    this.#o.metrics.paused.set(1);
    this.#log.debug(
      { buffered: this.buffered, bytes: this.bufferedBytes, stalled: this.#pipeline.stalled },
      'consumption waiting for room',
    );
    while (full()) {
      // a batch that filled up while stores were in flight goes as soon as one finishes
      this.#kickStore();
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
    }
    this.#o.metrics.paused.set(0);
  }

  #releaseCapacity(): void {
    for (const resolve of this.#capacityWaiters.splice(0)) resolve();
  }

  /**
   * The batch in hand is stored once it reaches the batch size or its share of the byte bound (each
   * store in flight and the batch in hand hold one share), or sooner when the message bound is lower.
   */
  #storeDue(): boolean {
    const current = this.#current;
    return (
      current.messages >= Math.min(this.#o.batchSize, this.#o.maxBufferedMessages) ||
      current.bytes >= this.#o.maxBufferedBytes / (this.#o.maxStoresInFlight + 1)
    );
  }

  #swap(): Batch {
    const batch = this.#current;
    this.#current = new Batch(this.#now());
    return batch;
  }

  /** Starts storing the batch in hand unless `maxStoresInFlight` stores are in flight already. */
  #kickStore(): void {
    if (this.#pipeline.inFlight >= this.#o.maxStoresInFlight || this.#current.messages === 0) return;
    if (this.#state !== RunnerState.RUNNING) return;
    void this.#pipeline.submit(this.#swap()).then((outcome) => {
      this.#stored(outcome);
    });
  }

  #stored(outcome: StoreOutcome): void {
    if (outcome === 'failed' && this.#isRunning()) {
      this.#fail(
        new TelemetryError(
          ErrorCode.CLICKHOUSE_QUERY_FAILED,
          'a batch could not be stored (see the error before this one); its messages stay uncommitted',
        ),
      );
    }
    this.#o.metrics.buffered.set(this.buffered);
    this.#releaseCapacity();
    if (this.#storeDue()) this.#kickStore();
  }

  async #produceDeadLetters(letters: readonly KafkaJS.Message[]): Promise<void> {
    try {
      await this.#producer.send({ topic: DLQ_TOPIC, messages: [...letters] });
    } catch (error) {
      throw toKafkaTelemetryError(error, 'producing dead letters');
    }
  }

  async #commit(batch: Batch): Promise<void> {
    const assigned = new Set(this.#assigned.map((tp) => `${tp.topic}\u0000${tp.partition}`));
    const commits = batch.commits().filter((c) => assigned.has(`${c.topic}\u0000${c.partition}`));
    if (commits.length === 0) return;
    try {
      await this.#consumer.commitOffsets(commits);
    } catch (error) {
      throw toKafkaTelemetryError(error, 'committing offsets');
    }
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

  /**
   * Before a revoke completes: the batch in hand joins the stores in flight, and all of them get
   * `revokeFlushTimeoutMs` to be stored and committed. What is not committed by then is abandoned
   * whole (no dead letters, no commit; the partitions' next owner re-reads it). Nothing taken after
   * this point belongs to these stores, so a late store can never commit another assignment's
   * messages.
   */
  async #drainForRevoke(): Promise<void> {
    if (this.#state === RunnerState.FAILED) return;
    if (this.#current.messages > 0) void this.#pipeline.submit(this.#swap());
    const timeout = sleep(this.#o.revokeFlushTimeoutMs, 'timeout' as const, { ref: false });
    const outcome = await Promise.race([this.#pipeline.drain(), timeout]);
    if (outcome !== 'committed') {
      const dropped = this.#pipeline.abandon();
      this.#log.warn(
        { outcome, dropped },
        'could not store the batches in hand before the revoke; their offsets stay uncommitted and the next owner re-reads them',
      );
    }
  }

  #fail(error: TelemetryError): void {
    if (this.#state === RunnerState.FAILED) return;
    this.#fatal = error;
    this.#state = RunnerState.FAILED;
    this.#log.fatal({ err: error, code: error.code }, 'processors stopping on a fatal error');
    this.#pipeline.close();
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
