import { randomUUID } from 'node:crypto';
import type { ClickHouseWriter } from '../../lib/clickhouse.js';
import { errorFingerprint } from '../../lib/fingerprint.js';
import { insertDeadLetters, type DeadLetterRow } from '../../lib/tables/dead-letters.js';
import { insertErrorFacts, type ErrorFactRow } from '../../lib/tables/error-facts.js';
import { insertHeartbeats, type HeartbeatRow } from '../../lib/tables/heartbeats.js';
import { insertLagSamples, type LagSampleRow } from '../../lib/tables/lag-samples.js';
import { insertLlmCalls, type LlmCallRow } from '../../lib/tables/llm-calls.js';
import { insertMessageLog, type MessageLogRow } from '../../lib/tables/message-log.js';
import {
  insertTaskEvents,
  PRIORITY_RANK,
  resolutionEvent,
  type TaskEventRow,
} from '../../lib/tables/task-lifecycle.js';
import type { ErrorCategory, Priority, Severity } from '../../schemas/records.js';
import { queueTopic } from '../../schemas/topics.js';

/**
 * Builds rows as the processors write them (same tables, same conventions: a resolution under both
 * agents, fingerprints from `lib/fingerprint.ts`) for integration tests that seed ClickHouse
 * directly through `lib/tables/*`.
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
  readonly messages: MessageLogRow[] = [];
  readonly taskEvents: TaskEventRow[] = [];
  readonly llmCalls: LlmCallRow[] = [];
  readonly heartbeats: HeartbeatRow[] = [];
  readonly errors: ErrorFactRow[] = [];
  readonly deadLetters: DeadLetterRow[] = [];
  readonly lagSamples: LagSampleRow[] = [];
  #offset = 0;

  #message(
    row: Partial<MessageLogRow> &
      Pick<MessageLogRow, 'message_id' | 'source_agent' | 'target_agent' | 'message_type' | 'sent_at_ms'>,
  ): void {
    this.messages.push({
      topic: queueTopic(row.target_agent),
      partition: 0,
      offset: this.#offset++,
      schema_id: 1,
      priority: 'normal',
      trace_id: '',
      span_id: '',
      parent_message_id: '',
      reason: '',
      payload: '{}',
      ttl_seconds: 0,
      attempt: 1,
      max_retries: 3,
      deadline_ms: 0,
      job_id: '',
      observed_at_ms: row.sent_at_ms + 5,
      ...row,
    });
  }

  /** A TASK from `requester` to `agent`; returns its id. */
  task(seed: SeedTask): string {
    // times are whole milliseconds, as the codec decodes them
    const t = { ...seed, atMs: Math.round(seed.atMs) };
    const id = t.id ?? randomUUID();
    const priority = t.priority ?? 'normal';
    const trace = t.traceId ?? randomUUID().replaceAll('-', '');
    this.#message({
      message_id: id,
      source_agent: t.requester,
      target_agent: t.agent,
      message_type: 'task',
      priority,
      trace_id: trace,
      sent_at_ms: t.atMs,
      ttl_seconds: t.ttlS ?? 0,
      attempt: t.attempt ?? 1,
    });
    this.taskEvents.push({
      agent: t.agent,
      task_id: id,
      has_task: 1,
      requester: t.requester,
      target: t.agent,
      priority: PRIORITY_RANK[priority],
      attempt: t.attempt ?? 1,
      max_retries: 3,
      submitted_at_ms: t.atMs,
      expires_at_ms: t.ttlS === undefined || t.ttlS === 0 ? 0 : t.atMs + t.ttlS * 1000,
      deadline_ms: 0,
      trace_id: trace,
      job_id: '',
      resolved_key: 0,
      resolved_by: '',
      observed_at_ms: t.atMs + 5,
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
  ): void {
    atMs = Math.round(atMs);
    const id = randomUUID();
    this.#message({
      message_id: id,
      source_agent: worker,
      target_agent: requester,
      message_type: kind,
      parent_message_id: taskId,
      trace_id: traceId,
      sent_at_ms: atMs,
    });
    for (const agent of new Set([worker, requester])) {
      this.taskEvents.push(
        resolutionEvent({
          agent,
          taskId,
          resolvedAtMs: atMs,
          resolution: kind === 'result' ? 'completed' : 'failed',
          resolvedBy: id,
          observedAtMs: atMs + 5,
        }),
      );
    }
    calls.forEach((call, index) => {
      this.llmCalls.push({
        message_id: id,
        call_index: index,
        agent: worker,
        model: call.model ?? 'llama3.1:8b',
        provider: call.provider ?? 'ollama',
        prompt_tokens: call.promptTokens ?? 600,
        completion_tokens: call.completionTokens ?? 200,
        latency_ms: call.latencyMs ?? 800,
        cost_usd: 0,
        status: call.status ?? 'ok',
        trace_id: traceId,
        task_id: taskId,
        at_ms: atMs,
        observed_at_ms: atMs + 5,
      });
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
    const id = randomUUID();
    this.#message({
      message_id: id,
      source_agent: agent,
      target_agent: agent,
      message_type: 'heartbeat',
      sent_at_ms: atMs,
    });
    this.heartbeats.push({
      agent,
      message_id: id,
      state,
      in_flight: 0,
      max_concurrency: 4,
      host: 'seed-host',
      pid: 1,
      version: 'seed',
      sent_at_ms: atMs,
      observed_at_ms: atMs + 5,
    });
  }

  /** Heartbeats every `everyMs` from `fromMs` to `toMs`. */
  heartbeatsBetween(agent: string, fromMs: number, toMs: number, everyMs = 10_000): void {
    for (let at = fromMs; at <= toMs; at += everyMs) this.heartbeat(agent, at, 'busy');
  }

  error(e: SeedError): string {
    const id = randomUUID();
    const message = e.message ?? `${e.errorType} in ${e.agent}`;
    const operation = e.operation ?? 'handle_task';
    this.errors.push({
      error_id: id,
      topic: 'agent-telemetry-errors',
      partition: 0,
      offset: this.#offset++,
      schema_id: 2,
      fingerprint: errorFingerprint({
        error_type: e.errorType,
        category: e.category,
        agent_name: e.agent,
        operation,
        error_message: message,
        stack_trace: null,
      }),
      severity: e.severity ?? 'error',
      category: e.category,
      error_type: e.errorType,
      error_message: message,
      error_code: e.httpStatus === undefined ? '' : String(e.httpStatus),
      stack_trace: '',
      trace_id: e.traceId ?? '',
      span_id: '',
      agent_name: e.agent,
      agent_id: `${e.agent}-1`,
      operation,
      input_data: '{}',
      partial_output: '',
      model_name: e.modelName ?? '',
      prompt_preview: '',
      token_count: 0,
      tool_name: '',
      tool_parameters: '{}',
      timestamp_ms: e.atMs,
      duration_before_error_ms: 0,
      is_retryable: 1,
      retry_count: e.retryCount ?? 0,
      max_retries: 3,
      suggested_fixes: [],
      related_docs: [],
      environment: 'test',
      service_name: 'seed',
      host: 'seed-host',
      suppressed_count: 0,
      task_id: e.taskId ?? '',
      job_id: '',
      http_status: e.httpStatus ?? 0,
      observed_at_ms: e.atMs + 5,
    });
    return id;
  }

  deadLetter(topic: string, atMs: number, errorCode = 'NO_MAGIC_BYTE'): void {
    this.deadLetters.push({
      topic,
      partition: 0,
      offset: this.#offset++,
      error_code: errorCode,
      reason: 'seeded poison',
      schema_id: -1,
      size_bytes: 12,
      observed_at_ms: atMs,
    });
  }

  lagSample(row: LagSampleRow): void {
    this.lagSamples.push(row);
  }

  async flush(writer: ClickHouseWriter): Promise<void> {
    await Promise.all([
      insertMessageLog(writer, this.messages),
      insertTaskEvents(writer, this.taskEvents),
      insertLlmCalls(writer, this.llmCalls),
      insertHeartbeats(writer, this.heartbeats),
      insertErrorFacts(writer, this.errors),
      insertDeadLetters(writer, this.deadLetters),
      insertLagSamples(writer, this.lagSamples),
    ]);
  }
}
