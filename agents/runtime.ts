import { hostname } from 'node:os';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { type Consumer, type Kafka, toKafkaTelemetryError } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { CodecError } from '../schemas/codec-errors.js';
import { RecordKind, type SchemaCodec } from '../schemas/codec.js';
import type { AgentMessage, LlmCall } from '../schemas/records.js';
import { queueTopic } from '../schemas/topics.js';
import type { ErrorCollector } from './errors/collector.js';
import { DeadlineExceededError, TaskCancelledError } from './errors/types.js';
import { PendingRequests } from './requests.js';
import { effectiveDeadline, errorReplyPayload, parsePayload, raceAbort } from './task-helpers.js';
import type { LlmProvider } from './llm/provider.js';
import { OffsetTracker } from './offsets.js';
import { Semaphore } from './semaphore.js';
import { createTaskContext, type TaskContext } from './task-context.js';
import { SpanKind, Tracing, type Context } from './tracing.js';
import { heartbeatMessage, replyMessage, type AgentTransport } from './transport.js';

export type TaskHandler = (context: TaskContext) => Promise<Record<string, unknown>>;

export interface AgentRuntimeOptions {
  name: string;
  kafka: Kafka;
  transport: AgentTransport;
  collector: ErrorCollector;
  tracing: Tracing;
  logger: Logger;
  llm: LlmProvider;
  handler: TaskHandler;
  /** Tasks handled at once. */
  maxConcurrency: number;
  heartbeatMs: number;
  /** On shutdown, how long in-flight tasks may run on before they are cancelled and answered so. */
  drainMs: number;
  /** TTL of the subtasks this agent sends. */
  taskTtlSeconds: number;
  version?: string;
}

export const AgentState = {
  CREATED: 'created',
  IDLE: 'idle',
  BUSY: 'busy',
  DRAINING: 'draining',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

interface InFlight {
  task: AgentMessage;
  controller: AbortController;
  /** Set when a CANCEL came from someone other than the task's requester (an operator, the API). */
  cancelledByThirdParty: boolean;
}

/**
 * One agent over its queue `agent-queue-<name>`, in consumer group `agent-<name>`: TASKs are handled
 * concurrently up to a limit and answered with a RESULT or ERROR to the requester's queue (same trace,
 * `parent_message_id` = the task); CANCELs abort the task they name (a CANCEL from anyone but the
 * requester, such as an operator's through the API, is passed on to the requester, which would
 * otherwise wait for an answer that never comes); replies to this agent's own
 * subtasks wake their waiters; HEARTBEATs go out on a period. Offsets are committed once every earlier
 * message of the partition was handled, so a crash re-delivers what was not finished.
 */
export class AgentRuntime {
  readonly name: string;
  readonly #o: AgentRuntimeOptions;
  readonly #log: Logger;
  readonly #consumer: Consumer;
  readonly #topic: string;
  readonly #slots: Semaphore;
  readonly #offsets = new OffsetTracker();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #requests: PendingRequests;
  readonly #running = new Set<Promise<void>>();
  readonly #codec: SchemaCodec;
  #state: AgentState = AgentState.CREATED;
  #heartbeat: NodeJS.Timeout | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;
  readonly #shutdown = new AbortController();

  constructor(options: AgentRuntimeOptions) {
    this.#o = options;
    this.name = options.name;
    this.#log = options.logger.child({ agent: options.name });
    this.#topic = queueTopic(options.name);
    this.#codec = options.transport.codec;
    this.#slots = new Semaphore(options.maxConcurrency);
    this.#requests = new PendingRequests({
      agent: options.name,
      transport: options.transport,
      taskTtlSeconds: options.taskTtlSeconds,
    });
    this.#consumer = options.kafka.consumer({
      kafkaJS: { groupId: `agent-${options.name}`, fromBeginning: true, autoCommit: false },
      'topic.metadata.refresh.interval.ms': 5_000,
      'fetch.wait.max.ms': 50,
    });
  }

  get state(): AgentState {
    return this.#state;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(): Promise<void> {
    try {
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: [this.#topic] });
      await this.#consumer.run({ eachMessage: (payload) => this.#eachMessage(payload) });
    } catch (error) {
      throw toKafkaTelemetryError(error, `starting agent ${this.name}`);
    }
    this.#state = AgentState.IDLE;
    this.#sendHeartbeat();
    this.#heartbeat = setInterval(() => {
      this.#sendHeartbeat();
    }, this.#o.heartbeatMs);
    this.#log.info({ topic: this.#topic, maxConcurrency: this.#o.maxConcurrency }, 'agent consuming');
  }

  /**
   * Graceful stop: intake stops, in-flight tasks get `drainMs` to finish, the rest are cancelled and
   * answered with a CANCEL; then offsets are committed and the consumer leaves its group. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    if (this.#state === AgentState.CREATED) {
      this.#state = AgentState.STOPPED;
      return;
    }
    this.#state = AgentState.DRAINING;
    this.#sendHeartbeat();
    const assignment = this.#consumer.assignment();
    if (assignment.length > 0)
      this.#consumer.pause(assignment.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
    const drained = await Promise.race([
      Promise.all([...this.#running]).then(() => true),
      new Promise<boolean>((resolve) =>
        setTimeout(() => {
          resolve(false);
        }, this.#o.drainMs).unref(),
      ),
    ]);
    this.#state = AgentState.STOPPING;
    if (!drained) {
      this.#log.warn({ inFlight: this.#inFlight.size }, 'drain time over: cancelling in-flight tasks');
      this.#shutdown.abort(new TaskCancelledError('agent shutting down'));
      await Promise.all([...this.#running]);
    }
    clearInterval(this.#heartbeat);
    clearTimeout(this.#commitTimer);
    await this.#commit();
    this.#sendHeartbeat();
    await this.#consumer.disconnect().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'consumer disconnect failed');
    });
    this.#state = AgentState.STOPPED;
    this.#log.info('agent stopped');
  }

  async #eachMessage({ partition, message }: KafkaJS.EachMessagePayload): Promise<void> {
    const offset = Number(message.offset);
    this.#offsets.begin(partition, offset);
    let handedOff = false;
    try {
      const decoded = await this.#decode(message.value, partition, offset);
      if (decoded === undefined) return;
      const parent = this.#o.tracing.extract(message.headers);
      switch (decoded.message_type) {
        case 'task': {
          await this.#slots.acquire();
          if (this.#state === AgentState.DRAINING || this.#state === AgentState.STOPPING) {
            // paused while waiting for a slot: left uncommitted, so the next owner reads it again
            this.#slots.release();
            handedOff = true;
            return;
          }
          handedOff = true;
          const running: Promise<void> = this.#handleTask(decoded, parent, partition, offset).finally(() => {
            this.#slots.release();
            this.#running.delete(running);
            this.#offsets.finish(partition, offset);
            this.#scheduleCommit();
          });
          this.#running.add(running);
          return;
        }
        case 'result':
        case 'error':
        case 'cancel':
          this.#onAnswerOrCancel(decoded);
          return;
        case 'heartbeat':
          return;
      }
    } finally {
      if (!handedOff) {
        this.#offsets.finish(partition, offset);
        this.#scheduleCommit();
      }
    }
  }

  /** Decodes a queue message; an undecodable one is reported and skipped (the processors dead-letter it). */
  async #decode(value: Buffer | null, partition: number, offset: number): Promise<AgentMessage | undefined> {
    if (value === null) return undefined;
    try {
      const decoded = this.#codec.tryDecodeCached(value) ?? (await this.#codec.decodeAny(value));
      if (decoded.kind !== RecordKind.AGENT_MESSAGE) {
        throw new CodecError('UNEXPECTED_RECORD', `expected an AgentMessage, got ${decoded.kind}`, {
          schemaId: decoded.schemaId,
        });
      }
      return decoded.value;
    } catch (error) {
      this.#o.collector.record(error, {
        agent: this.name,
        operation: 'consume',
        input: {
          topic: this.#topic,
          partition,
          offset,
          bytes: value.length,
          head_hex: value.subarray(0, 16).toString('hex'),
        },
      });
      this.#log.warn({ err: error, partition, offset }, 'undecodable message skipped');
      return undefined;
    }
  }

  #onAnswerOrCancel(message: AgentMessage): void {
    const parent = message.parent_message_id;
    if (parent === null) return;
    if (this.#requests.settle(message)) return;
    if (message.message_type === 'cancel') {
      const running = this.#inFlight.get(parent);
      if (running !== undefined) {
        running.cancelledByThirdParty = message.source_agent !== running.task.source_agent;
        running.controller.abort(new TaskCancelledError(message.reason ?? 'cancelled by requester'));
      }
      return;
    }
    this.#log.debug({ parent, type: message.message_type }, 'late answer to a subtask nobody waits for');
  }

  async #handleTask(task: AgentMessage, remote: Context, partition: number, offset: number): Promise<void> {
    const t = this.#o.tracing;
    const consume = t.startSpan(`process ${this.#topic}`, SpanKind.CONSUMER, remote, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': this.#topic,
      'messaging.consumer.group.name': `agent-${this.name}`,
      'messaging.destination.partition.id': String(partition),
      'messaging.kafka.offset': offset,
      'messaging.kafka.message.key': task.message_id,
      'messaging.message.id': task.message_id,
    });
    const invoke = t.startSpan(`invoke_agent ${this.name}`, SpanKind.INTERNAL, t.contextOf(consume, remote), {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': this.name,
      'gen_ai.agent.id': `${this.name}@${hostname()}:${process.pid}`,
      'agent_telemetry.task_id': task.message_id,
      'agent_telemetry.job_id': task.job_id ?? '',
      'agent_telemetry.attempt': task.attempt,
    });
    const otel = t.contextOf(invoke, t.contextOf(consume, remote));
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.#shutdown.signal]);
    const started = Date.now();
    const deadline = effectiveDeadline(task);
    let timer: NodeJS.Timeout | undefined;
    const inFlight: InFlight = { task, controller, cancelledByThirdParty: false };
    this.#inFlight.set(task.message_id, inFlight);
    if (this.#state === AgentState.IDLE) {
      // a change of state is news: report it now rather than at the next period
      this.#state = AgentState.BUSY;
      this.#sendHeartbeat();
    }
    let payload: Record<string, unknown> = {};
    let usage: readonly LlmCall[] = [];
    try {
      payload = parsePayload(task.payload);
      if (deadline !== undefined) {
        if (deadline <= started)
          throw new DeadlineExceededError(deadline, `task ${task.message_id} arrived after its deadline`);
        timer = setTimeout(() => {
          controller.abort(new DeadlineExceededError(deadline, `task ${task.message_id}`));
        }, deadline - started);
      }
      const context = createTaskContext({
        agent: this.name,
        task,
        payload,
        signal,
        otel,
        llm: this.#o.llm,
        tracing: t,
        collector: this.#o.collector,
        request: (parent, target, body, options) =>
          this.#requests.request(parent, task, target, body, options),
      });
      usage = context.usage;
      const output = await raceAbort(this.#o.handler(context), signal);
      await this.#o.transport.send(
        replyMessage(
          task,
          this.name,
          'result',
          { output, duration_ms: Date.now() - started },
          { llmUsage: [...context.usage], startedAtMs: started },
        ),
        otel,
      );
      invoke.setAttribute('agent_telemetry.outcome', 'result');
    } catch (raw) {
      const error: unknown = signal.aborted ? (signal.reason as unknown) : raw;
      Tracing.fail(invoke, error);
      await this.#answerFailure(
        task,
        payload,
        error,
        otel,
        started,
        invoke.spanContext().spanId,
        [...usage],
        inFlight.cancelledByThirdParty,
      ).catch((sendError: unknown) => {
        this.#log.error({ err: sendError, task: task.message_id }, 'could not answer a failed task');
      });
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(task.message_id);
      // the state may have moved on to draining while the task ran
      if (this.#inFlight.size === 0 && (this.#state as AgentState) === AgentState.BUSY) {
        this.#state = AgentState.IDLE;
        this.#sendHeartbeat();
      }
      invoke.end();
      consume.end();
    }
  }

  async #answerFailure(
    task: AgentMessage,
    payload: Record<string, unknown>,
    error: unknown,
    otel: Context,
    started: number,
    spanId: string,
    usage: LlmCall[],
    cancelledByThirdParty: boolean,
  ): Promise<void> {
    if (error instanceof TaskCancelledError) {
      // cancelled by the requester: it knows already; by our shutdown: tell it so it can retry
      // elsewhere; by an operator: tell it so that it stops waiting
      if (this.#shutdown.signal.aborted || cancelledByThirdParty) {
        await this.#o.transport.send(
          replyMessage(
            task,
            this.name,
            'cancel',
            { reason: error.reason },
            { reason: error.reason, llmUsage: usage, startedAtMs: started },
          ),
          otel,
        );
      }
      return;
    }
    const record = this.#o.collector.record(error, {
      agent: this.name,
      operation: 'task',
      taskId: task.message_id,
      jobId: task.job_id,
      traceId: task.trace_id,
      spanId,
      input: payload,
      retryCount: task.attempt - 1,
      maxRetries: task.max_retries,
      startedAtMs: started,
    });
    await this.#o.transport.send(
      replyMessage(task, this.name, 'error', errorReplyPayload(error, record?.error_id ?? null, this.name), {
        reason: error instanceof Error ? error.message.slice(0, 500) : String(error),
        llmUsage: usage,
        startedAtMs: started,
      }),
      otel,
    );
  }

  #scheduleCommit(): void {
    this.#commitTimer ??= setTimeout(() => {
      this.#commitTimer = undefined;
      void this.#commit();
    }, 100);
  }

  async #commit(): Promise<void> {
    const commits = this.#offsets.takeCommits();
    if (commits.length === 0) return;
    try {
      await this.#consumer.commitOffsets(
        commits.map(({ partition, offset }) => ({ topic: this.#topic, partition, offset: String(offset) })),
      );
    } catch (error) {
      // a partition moved away in a rebalance: its next owner re-reads from the last commit
      this.#log.warn({ err: error }, 'offset commit failed');
    }
  }

  #sendHeartbeat(): void {
    const state =
      this.#state === AgentState.CREATED || this.#state === AgentState.STOPPED
        ? AgentState.STOPPING
        : this.#state;
    const message = heartbeatMessage(this.name, {
      state,
      in_flight: this.#inFlight.size,
      max_concurrency: this.#o.maxConcurrency,
      host: hostname(),
      pid: process.pid,
      version: this.#o.version ?? '0.1.0',
    });
    this.#o.transport.send(message, this.#o.tracing.extract(undefined)).catch((error: unknown) => {
      this.#log.warn({ err: error }, 'heartbeat not sent');
    });
  }
}
