import { randomUUID } from 'node:crypto';
import type { ClickHouseWriter } from '../../../lib/clickhouse.js';
import { DEAD_LETTERS } from '../../../lib/tables/dead-letters.js';
import { emptyTableRows, insertTableRows, type TableRows } from '../../../lib/tables/index.js';
import { insertLagSamples, type LagSampleRow } from '../../../lib/tables/lag-samples.js';
import { MESSAGE_LOG, type MessageLogRow } from '../../../lib/tables/message-log.js';
import type { AgentMessage, ErrorCategory, Priority, Severity } from '../../../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../../../schemas/topics.js';
import { deadLetterFor } from '../../../processors/dead-letter.js';
import { mapAgentMessage, mapDetailedError } from '../../../processors/mappers.js';

/**
 * Seeds ClickHouse for integration tests the way ingest would: AgentMessage and DetailedError
 * records mapped to rows by the processors' mappers, dead letters by the processors' dead-letter
 * function, lag samples (which no record carries) as rows through their table module.
 */
export interface SeedTask {
  id?: string;
  agent: string;
  requester: string;
  atMs: number;
  priority?: Priority;
  traceId?: string;
  ttlS?: number;
  attempt?: number;
}

export interface SeedLlmCall {
  model?: string;
  provider?: string;
  promptTokens?: number;
  completionTokens?: number;
  latencyMs?: number;
  status?: string;
}

export interface SeedError {
  agent: string;
  atMs: number;
  errorType: string;
  category: ErrorCategory;
  severity?: Severity;
  message?: string;
  traceId?: string;
  taskId?: string;
  retryCount?: number;
  httpStatus?: number;
  modelName?: string;
  operation?: string;
}

export class Seeder {
  readonly #rows: TableRows = emptyTableRows();
  readonly #lagSamples: LagSampleRow[] = [];
  #offset = 0;

  /** The `message_log` rows so far, in the order the messages were added. */
  get messages(): MessageLogRow[] {
    return this.#rows[MESSAGE_LOG];
  }

  #message(
    m: Partial<AgentMessage> &
      Pick<AgentMessage, 'message_id' | 'source_agent' | 'target_agent' | 'message_type' | 'timestamp'>,
  ): void {
    const message: AgentMessage = {
      priority: 'normal',
      payload: '{}',
      trace_id: '',
      span_id: '',
      parent_message_id: null,
      reason: null,
      ttl_seconds: null,
      attempt: 1,
      max_retries: 3,
      deadline: null,
      job_id: null,
      started_at: null,
      llm_usage: [],
      heartbeat: null,
      ...m,
    };
    mapAgentMessage(
      message,
      {
        topic: queueTopic(message.target_agent),
        partition: 0,
        offset: this.#offset++,
        schemaId: 1,
        observedAtMs: message.timestamp + 5,
      },
      this.#rows,
    );
  }

  /** Any AgentMessage, with defaults for the fields not given (payload `{}`, attempt 1, no TTL). */
  message(
    m: Partial<AgentMessage> &
      Pick<AgentMessage, 'message_id' | 'source_agent' | 'target_agent' | 'message_type' | 'timestamp'>,
  ): void {
    this.#message(m);
  }

  /** A TASK from `requester` to `agent`; returns its id. */
  task(seed: SeedTask): string {
    // times are whole milliseconds, as the codec decodes them
    const t = { ...seed, atMs: Math.round(seed.atMs) };
    const id = t.id ?? randomUUID();
    this.#message({
      message_id: id,
      source_agent: t.requester,
      target_agent: t.agent,
      message_type: 'task',
      priority: t.priority ?? 'normal',
      trace_id: t.traceId ?? randomUUID().replaceAll('-', ''),
      timestamp: t.atMs,
      ttl_seconds: t.ttlS ?? null,
      attempt: t.attempt ?? 1,
    });
    return id;
  }

  /** A RESULT or ERROR from the worker answering `taskId`, with the LLM calls it reports. */
  answer(
    taskId: string,
    worker: string,
    requester: string,
    atMs: number,
    kind: 'result' | 'error' = 'result',
    traceId = '',
    calls: readonly SeedLlmCall[] = [],
    startedAtMs?: number,
  ): void {
    this.#message({
      message_id: randomUUID(),
      source_agent: worker,
      target_agent: requester,
      message_type: kind,
      parent_message_id: taskId,
      trace_id: traceId,
      timestamp: Math.round(atMs),
      started_at: startedAtMs === undefined ? null : Math.round(startedAtMs),
      llm_usage: calls.map((call) => ({
        model: call.model ?? 'llama3.1:8b',
        provider: call.provider ?? 'ollama',
        prompt_tokens: call.promptTokens ?? 600,
        completion_tokens: call.completionTokens ?? 200,
        latency_ms: call.latencyMs ?? 800,
        cost_usd: 0,
        status: call.status ?? 'ok',
      })),
    });
  }

  /** A task answered after `latencyMs`; returns the task id. */
  roundTrip(
    agent: string,
    requester: string,
    atMs: number,
    latencyMs: number,
    options: { traceId?: string; calls?: SeedLlmCall[]; kind?: 'result' | 'error'; priority?: Priority } = {},
  ): string {
    const trace = options.traceId ?? randomUUID().replaceAll('-', '');
    const id = this.task({
      agent,
      requester,
      atMs,
      traceId: trace,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    });
    this.answer(
      id,
      agent,
      requester,
      atMs + latencyMs,
      options.kind ?? 'result',
      trace,
      options.calls ?? [{}],
    );
    return id;
  }

  heartbeat(agent: string, atMs: number, state = 'idle'): void {
    this.#message({
      message_id: randomUUID(),
      source_agent: agent,
      target_agent: agent,
      message_type: 'heartbeat',
      timestamp: atMs,
      heartbeat: { state, in_flight: 0, max_concurrency: 4, host: 'seed-host', pid: 1, version: 'seed' },
    });
  }

  /** Heartbeats every `everyMs` from `fromMs` to `toMs`. */
  heartbeatsBetween(agent: string, fromMs: number, toMs: number, everyMs = 10_000): void {
    for (let at = fromMs; at <= toMs; at += everyMs) this.heartbeat(agent, at, 'busy');
  }

  error(e: SeedError): string {
    const id = randomUUID();
    mapDetailedError(
      {
        error_id: id,
        severity: e.severity ?? 'error',
        category: e.category,
        error_type: e.errorType,
        error_message: e.message ?? `${e.errorType} in ${e.agent}`,
        error_code: e.httpStatus === undefined ? null : String(e.httpStatus),
        stack_trace: null,
        trace_id: e.traceId ?? null,
        span_id: null,
        agent_name: e.agent,
        agent_id: `${e.agent}-1`,
        operation: e.operation ?? 'handle_task',
        input_data: '{}',
        partial_output: null,
        model_name: e.modelName ?? null,
        prompt_preview: null,
        token_count: null,
        tool_name: null,
        tool_parameters: '{}',
        timestamp: e.atMs,
        duration_before_error_ms: null,
        is_retryable: true,
        retry_count: e.retryCount ?? 0,
        max_retries: 3,
        suggested_fixes: [],
        related_docs: [],
        environment: 'test',
        service_name: 'seed',
        host: 'seed-host',
        // none: the processors compute it, as they do for an agent that sends none
        fingerprint: null,
        suppressed_count: 0,
        task_id: e.taskId ?? null,
        job_id: null,
        http_status: e.httpStatus ?? null,
      },
      { topic: ERRORS_TOPIC, partition: 0, offset: this.#offset++, schemaId: 2, observedAtMs: e.atMs + 5 },
      this.#rows,
    );
    return id;
  }

  /** A poison message on `topic`, as the processors dead-letter it. */
  deadLetter(topic: string, atMs: number, errorCode = 'NO_MAGIC_BYTE'): void {
    const { row } = deadLetterFor({
      topic,
      partition: 0,
      message: {
        key: null,
        value: Buffer.alloc(12),
        timestamp: String(atMs),
        attributes: 0,
        offset: String(this.#offset++),
        headers: {},
      },
      cause: { code: errorCode, reason: 'seeded poison', schemaId: -1 },
      observedAtMs: atMs,
    });
    this.#rows[DEAD_LETTERS].push(row);
  }

  lagSample(row: LagSampleRow): void {
    this.#lagSamples.push(row);
  }

  async flush(writer: ClickHouseWriter): Promise<void> {
    await Promise.all([insertTableRows(writer, this.#rows), insertLagSamples(writer, this.#lagSamples)]);
  }
}
