import { randomUUID } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../lib/config.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import { type Consumer, type Kafka, toKafkaTelemetryError } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { ensureTopics } from '../lib/topics.js';
import { RecordKind, type SchemaCodec } from '../schemas/codec.js';
import type { AgentMessage } from '../schemas/records.js';
import { queueTopic } from '../schemas/topics.js';
import { ROOT_CONTEXT, SpanKind, type Tracing } from './tracing.js';
import { cancelMessage, taskMessage, type AgentTransport } from './transport.js';

export interface JobClientOptions {
  config: Config;
  kafka: Kafka;
  transport: AgentTransport;
  tracing: Tracing;
  logger: Logger;
  /** The requester's agent name; answers come to `agent-queue-<name>`. Default `cli`. */
  name?: string;
  /** The orchestrator jobs go to. Default `orchestrator`. */
  orchestrator?: string;
}

export interface SubmitOptions {
  /** The job's deadline, from now. */
  timeoutMs: number;
  maxRetries?: number;
  stepTimeoutMs?: number;
  priority?: AgentMessage['priority'];
}

export interface SubmittedJob {
  task: AgentMessage;
  /** The orchestrator's answer: RESULT, ERROR or CANCEL. */
  answer: Promise<AgentMessage>;
}

/**
 * Submits jobs to the orchestrator and receives its answers on the client's own queue, in a consumer
 * group of its own that starts at the end of the queue (answers to other clients are skipped).
 */
export class JobClient {
  readonly name: string;
  readonly orchestrator: string;
  readonly #o: JobClientOptions;
  readonly #consumer: Consumer;
  readonly #groupId: string;
  readonly #waiting = new Map<string, (message: AgentMessage) => void>();
  readonly #codec: SchemaCodec;

  constructor(options: JobClientOptions) {
    this.#o = options;
    this.name = options.name ?? 'cli';
    this.orchestrator = options.orchestrator ?? 'orchestrator';
    this.#groupId = `agent-telemetry-client-${this.name}-${randomUUID().slice(0, 8)}`;
    this.#codec = options.transport.codec;
    this.#consumer = options.kafka.consumer({
      kafkaJS: { groupId: this.#groupId, fromBeginning: false, autoCommit: true },
      'fetch.wait.max.ms': 50,
    });
  }

  async start(): Promise<void> {
    const admin = this.#o.kafka.admin();
    try {
      await admin.connect();
      const plans = [this.name, this.orchestrator].map((agent) => ({
        topic: queueTopic(agent),
        numPartitions: this.#o.config.topics.partitions,
        replicationFactor: this.#o.config.topics.replicationFactor,
      }));
      await ensureTopics(admin, plans);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    try {
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: [queueTopic(this.name)] });
      await this.#consumer.run({ eachMessage: (payload) => this.#eachMessage(payload) });
    } catch (error) {
      throw toKafkaTelemetryError(error, 'starting the job client');
    }
    // answers written before the partitions are assigned would be skipped (the group starts at the end)
    const deadline = Date.now() + 30_000;
    while (this.#consumer.assignment().length === 0) {
      if (Date.now() > deadline)
        throw new TelemetryError(
          ErrorCode.KAFKA_UNAVAILABLE,
          `no partition of ${queueTopic(this.name)} assigned within 30 s`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async submit(goal: string, options: SubmitOptions): Promise<SubmittedJob> {
    const jobId = randomUUID();
    const now = Date.now();
    const span = this.#o.tracing.startSpan(
      `invoke_agent ${this.orchestrator}`,
      SpanKind.CLIENT,
      ROOT_CONTEXT,
      {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': this.orchestrator,
        'agent_telemetry.job_id': jobId,
      },
    );
    const outgoing = taskMessage({
      from: this.name,
      to: this.orchestrator,
      payload: {
        goal,
        ...(options.maxRetries === undefined ? {} : { max_retries: options.maxRetries }),
        ...(options.stepTimeoutMs === undefined ? {} : { step_timeout_ms: options.stepTimeoutMs }),
      },
      jobId,
      attempt: 1,
      maxRetries: 0,
      ttlSeconds: Math.ceil(options.timeoutMs / 1000),
      deadline: now + options.timeoutMs,
      priority: options.priority ?? 'normal',
      now,
    });
    const answer = new Promise<AgentMessage>((resolve) => {
      this.#waiting.set(outgoing.message_id, resolve);
    }).finally(() => {
      span.end();
    });
    const task = await this.#o.transport.send(outgoing, this.#o.tracing.contextOf(span));
    return { task, answer };
  }

  /** Asks the orchestrator to cancel a job (Ctrl-C on `agents submit`). */
  async cancel(task: AgentMessage, reason: string): Promise<void> {
    await this.#o.transport.send(cancelMessage(task, reason), ROOT_CONTEXT);
  }

  async #eachMessage({ message }: KafkaJS.EachMessagePayload): Promise<void> {
    if (message.value === null) return;
    let decoded;
    try {
      decoded = this.#codec.tryDecodeCached(message.value) ?? (await this.#codec.decodeAny(message.value));
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'undecodable message on the client queue skipped');
      return;
    }
    if (decoded.kind !== RecordKind.AGENT_MESSAGE) return;
    const parent = decoded.value.parent_message_id;
    const resolve = parent === null ? undefined : this.#waiting.get(parent);
    if (resolve === undefined || parent === null) return;
    this.#waiting.delete(parent);
    resolve(decoded.value);
  }

  /** Leaves the group and deletes it (a client group is of no use once the client is gone). */
  async close(): Promise<void> {
    await this.#consumer.disconnect().catch(() => undefined);
    const admin = this.#o.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.#groupId]);
    } catch (error) {
      this.#o.logger.debug({ err: error, group: this.#groupId }, 'client group not deleted');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
