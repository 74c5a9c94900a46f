import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from '../lib/kafka.js';
import { toKafkaTelemetryError } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { RecordKind, type SchemaCodec } from '../schemas/codec.js';
import type { AgentMessage, DetailedError, Heartbeat } from '../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { SpanKind, Tracing, type Context } from './tracing.js';

/** An AgentMessage before the transport gives it its trace and span ids. */
export type OutgoingMessage = Omit<AgentMessage, 'trace_id' | 'span_id'>;

/** Header naming the message type, so tools can filter a queue without decoding. */
export const MESSAGE_TYPE_HEADER = 'x-message-type';

/**
 * The one producer of a process: encodes records with the registry, opens a PRODUCER span per
 * message (its ids become the message's `trace_id`/`span_id`), and carries the W3C trace context in
 * Kafka headers. Keys keep one task's messages together: a task is keyed by its id, a reply by the
 * task it answers.
 */
export class AgentTransport {
  readonly #producer: Producer;
  readonly #codec: SchemaCodec;
  readonly #tracing: Tracing;
  readonly #logger: Logger;
  #connected = false;

  constructor(options: { kafka: Kafka; codec: SchemaCodec; tracing: Tracing; logger: Logger }) {
    this.#producer = options.kafka.producer({ kafkaJS: { acks: -1 }, 'linger.ms': 5 });
    this.#codec = options.codec;
    this.#tracing = options.tracing;
    this.#logger = options.logger;
  }

  get codec(): SchemaCodec {
    return this.#codec;
  }

  async connect(): Promise<void> {
    try {
      await this.#producer.connect();
      await this.#codec.registerAll();
    } catch (error) {
      throw toKafkaTelemetryError(error, 'connecting the agents producer');
    }
    this.#connected = true;
  }

  /** Sends a message to its target's queue under `parent`; resolves to the message as sent. */
  async send(message: OutgoingMessage, parent: Context): Promise<AgentMessage> {
    const topic = queueTopic(message.target_agent);
    const span = this.#tracing.startSpan(`send ${topic}`, SpanKind.PRODUCER, parent, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.message.id': message.message_id,
      'messaging.kafka.message.key': keyOf(message),
      'agent_telemetry.message_type': message.message_type,
      'agent_telemetry.source_agent': message.source_agent,
    });
    const ids = span.spanContext();
    const full: AgentMessage = { ...message, trace_id: ids.traceId, span_id: ids.spanId };
    try {
      const value = await this.#codec.encode(RecordKind.AGENT_MESSAGE, full);
      await this.#producer.send({
        topic,
        messages: [
          {
            key: keyOf(message),
            value,
            headers: {
              ...this.#tracing.inject(this.#tracing.contextOf(span, parent)),
              [MESSAGE_TYPE_HEADER]: message.message_type,
            },
          },
        ],
      });
      return full;
    } catch (error) {
      Tracing.fail(span, error);
      throw toKafkaTelemetryError(error, `sending a ${message.message_type} to ${topic}`);
    } finally {
      span.end();
    }
  }

  /** Sends a DetailedError to `agent-telemetry-errors`, keyed by agent. */
  async sendError(record: DetailedError): Promise<void> {
    const value = await this.#codec.encode(RecordKind.DETAILED_ERROR, record);
    try {
      await this.#producer.send({ topic: ERRORS_TOPIC, messages: [{ key: record.agent_name, value }] });
    } catch (error) {
      throw toKafkaTelemetryError(error, `sending an error to ${ERRORS_TOPIC}`);
    }
  }

  /** Produces bytes as they are (the `poison` scenario writes bytes that are not Avro). */
  async sendRaw(topic: string, value: Buffer, key: string): Promise<void> {
    await this.#producer.send({ topic, messages: [{ key, value }] });
  }

  async close(): Promise<void> {
    if (!this.#connected) return;
    this.#connected = false;
    await this.#producer.flush({ timeout: 5_000 }).catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'producer flush failed');
    });
    await this.#producer.disconnect();
  }
}

function keyOf(message: OutgoingMessage): string {
  if (message.message_type === 'heartbeat') return message.source_agent;
  return message.message_type === 'task'
    ? message.message_id
    : (message.parent_message_id ?? message.message_id);
}

export interface TaskSpec {
  from: string;
  to: string;
  payload: Readonly<Record<string, unknown>>;
  jobId: string;
  attempt: number;
  maxRetries: number;
  ttlSeconds: number;
  deadline: number | null;
  priority?: AgentMessage['priority'];
  reason?: string;
  now?: number;
}

export function taskMessage(spec: TaskSpec): OutgoingMessage {
  return {
    message_id: randomUUID(),
    source_agent: spec.from,
    target_agent: spec.to,
    message_type: 'task',
    priority: spec.priority ?? 'normal',
    payload: JSON.stringify(spec.payload),
    parent_message_id: null,
    reason: spec.reason ?? null,
    timestamp: spec.now ?? Date.now(),
    ttl_seconds: spec.ttlSeconds,
    attempt: spec.attempt,
    max_retries: spec.maxRetries,
    deadline: spec.deadline,
    job_id: spec.jobId,
    started_at: null,
    llm_usage: [],
    heartbeat: null,
  };
}

/** A RESULT, ERROR or CANCEL answering `task`, from `from` back to the task's requester. */
export function replyMessage(
  task: AgentMessage,
  from: string,
  type: 'result' | 'error' | 'cancel',
  payload: Readonly<Record<string, unknown>>,
  extra: { reason?: string; llmUsage?: AgentMessage['llm_usage']; startedAtMs?: number } = {},
): OutgoingMessage {
  return {
    message_id: randomUUID(),
    source_agent: from,
    target_agent: task.source_agent,
    message_type: type,
    priority: task.priority,
    payload: JSON.stringify(payload),
    parent_message_id: task.message_id,
    reason: extra.reason ?? null,
    timestamp: Date.now(),
    ttl_seconds: null,
    attempt: task.attempt,
    max_retries: task.max_retries,
    deadline: task.deadline,
    job_id: task.job_id,
    started_at: extra.startedAtMs ?? null,
    llm_usage: extra.llmUsage ?? [],
    heartbeat: null,
  };
}

/** A CANCEL from the requester of `task` to the worker that holds it. */
export function cancelMessage(task: AgentMessage, reason: string): OutgoingMessage {
  return {
    ...replyMessage(task, task.source_agent, 'cancel', { reason }, { reason }),
    target_agent: task.target_agent,
  };
}

/** A HEARTBEAT on the agent's own queue (the processors keep the latest per agent). */
export function heartbeatMessage(agent: string, beat: Heartbeat): OutgoingMessage {
  return {
    message_id: randomUUID(),
    source_agent: agent,
    target_agent: agent,
    message_type: 'heartbeat',
    priority: 'low',
    payload: '{}',
    parent_message_id: null,
    reason: null,
    timestamp: Date.now(),
    ttl_seconds: null,
    attempt: 1,
    max_retries: 0,
    deadline: null,
    job_id: null,
    started_at: null,
    llm_usage: [],
    heartbeat: beat,
  };
}
