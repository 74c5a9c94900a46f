import type { AgentMessage, DetailedError } from '../schemas/records.js';
import { EARLIEST_PLAUSIBLE_MS, plausibleTime } from '../schemas/times.js';
import { errorFingerprint } from '../lib/fingerprint.js';
import { ERROR_FACTS } from '../lib/tables/error-facts.js';
import { HEARTBEATS } from '../lib/tables/heartbeats.js';
import { emptyTableRows, type TableRows } from '../lib/tables/index.js';
import { LLM_CALLS } from '../lib/tables/llm-calls.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import {
  PRIORITY_RANK,
  resolutionEvent,
  TASK_EVENTS,
  type Resolution,
  type TaskEventRow,
} from '../lib/tables/task-lifecycle.js';

/**
 * Pure mapping from a decoded record (plus where and when it was read) to table rows. No I/O, no
 * clock: the receive time comes in with the source, so replaying a record gives the same rows.
 */

/** Where a record was read and when. */
export interface Source {
  topic: string;
  partition: number;
  offset: number;
  schemaId: number;
  observedAtMs: number;
  /**
   * The Kafka record's timestamp (when the producer or broker recorded it): the reference a sender's
   * own timestamp is checked against, the same when the topic is replayed. `observedAtMs` without it.
   */
  recordedAtMs?: number;
}

/** A record that decoded but cannot be mapped (for example an empty id); it goes to the DLQ. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
  readonly code = 'INVALID_RECORD';
}

const RESOLUTIONS: Partial<Record<AgentMessage['message_type'], Resolution>> = {
  result: 'completed',
  error: 'failed',
  cancel: 'cancelled',
};

/**
 * The stored start of work: the sender's `started_at` when it can be right (from 2000 and not after
 * the answer itself was sent), else 0, which readers show as unknown rather than as a made-up split.
 */
export function plausibleStart(startedAtMs: number | null, sentAtMs: number): number {
  if (startedAtMs === null || !Number.isFinite(startedAtMs)) return 0;
  return startedAtMs >= EARLIEST_PLAUSIBLE_MS && startedAtMs <= sentAtMs ? Math.trunc(startedAtMs) : 0;
}

function taskRow(message: AgentMessage, atMs: number, observedAtMs: number): TaskEventRow {
  const ttl = message.ttl_seconds ?? 0;
  return {
    agent: message.target_agent,
    task_id: message.message_id,
    has_task: 1,
    requester: message.source_agent,
    target: message.target_agent,
    priority: PRIORITY_RANK[message.priority],
    attempt: message.attempt,
    max_retries: message.max_retries,
    submitted_at_ms: atMs,
    expires_at_ms: ttl > 0 ? atMs + ttl * 1000 : 0,
    deadline_ms: message.deadline ?? 0,
    trace_id: message.trace_id,
    job_id: message.job_id ?? '',
    resolved_key: 0,
    resolved_by: '',
    observed_at_ms: observedAtMs,
  };
}

/** Rows of one AgentMessage read from an agent queue. */
export function mapAgentMessage(
  message: AgentMessage,
  source: Source,
  into: TableRows = emptyTableRows(),
): TableRows {
  if (message.message_id === '') throw new InvalidRecordError('AgentMessage with an empty message_id');
  if (message.target_agent === '')
    throw new InvalidRecordError(`AgentMessage ${message.message_id} has no target_agent`);
  const { atMs, originalMs } = plausibleTime(message.timestamp, source.recordedAtMs ?? source.observedAtMs);
  into[MESSAGE_LOG].push({
    message_id: message.message_id,
    topic: source.topic,
    partition: source.partition,
    offset: source.offset,
    schema_id: source.schemaId,
    source_agent: message.source_agent,
    target_agent: message.target_agent,
    message_type: message.message_type,
    priority: message.priority,
    trace_id: message.trace_id,
    span_id: message.span_id,
    parent_message_id: message.parent_message_id ?? '',
    reason: message.reason ?? '',
    payload: message.payload,
    ttl_seconds: message.ttl_seconds ?? 0,
    attempt: message.attempt,
    max_retries: message.max_retries,
    deadline_ms: message.deadline ?? 0,
    job_id: message.job_id ?? '',
    sent_at_ms: atMs,
    sent_at_original_ms: originalMs,
    started_at_ms: plausibleStart(message.started_at, atMs),
    observed_at_ms: source.observedAtMs,
  });

  if (message.message_type === 'task') {
    into[TASK_EVENTS].push(taskRow(message, atMs, source.observedAtMs));
  } else {
    const resolution = RESOLUTIONS[message.message_type];
    const parent = message.parent_message_id;
    if (resolution !== undefined && parent !== null && parent !== '') {
      // written under both agents of the message: the task row sits under one of them
      for (const agent of new Set([message.source_agent, message.target_agent])) {
        into[TASK_EVENTS].push(
          resolutionEvent({
            agent,
            taskId: parent,
            resolvedAtMs: atMs,
            resolution,
            resolvedBy: message.message_id,
            observedAtMs: source.observedAtMs,
          }),
        );
      }
    }
  }

  message.llm_usage.forEach((call, index) => {
    into[LLM_CALLS].push({
      message_id: message.message_id,
      call_index: index,
      agent: message.source_agent,
      model: call.model,
      provider: call.provider,
      prompt_tokens: call.prompt_tokens,
      completion_tokens: call.completion_tokens,
      latency_ms: call.latency_ms,
      cost_usd: call.cost_usd,
      status: call.status,
      trace_id: message.trace_id,
      task_id: message.parent_message_id ?? message.message_id,
      at_ms: atMs,
      observed_at_ms: source.observedAtMs,
    });
  });

  if (message.message_type === 'heartbeat') {
    const beat = message.heartbeat;
    into[HEARTBEATS].push({
      agent: message.source_agent,
      message_id: message.message_id,
      state: beat?.state ?? 'unknown',
      in_flight: beat?.in_flight ?? 0,
      max_concurrency: beat?.max_concurrency ?? 0,
      host: beat?.host ?? '',
      pid: beat?.pid ?? 0,
      version: beat?.version ?? '',
      sent_at_ms: atMs,
      observed_at_ms: source.observedAtMs,
    });
  }
  return into;
}

/** Rows of one DetailedError read from agent-telemetry-errors. */
export function mapDetailedError(
  error: DetailedError,
  source: Source,
  into: TableRows = emptyTableRows(),
): TableRows {
  if (error.error_id === '') throw new InvalidRecordError('DetailedError with an empty error_id');
  const { atMs, originalMs } = plausibleTime(error.timestamp, source.recordedAtMs ?? source.observedAtMs);
  into[ERROR_FACTS].push({
    error_id: error.error_id,
    topic: source.topic,
    partition: source.partition,
    offset: source.offset,
    schema_id: source.schemaId,
    fingerprint:
      error.fingerprint !== null && error.fingerprint !== '' ? error.fingerprint : errorFingerprint(error),
    severity: error.severity,
    category: error.category,
    error_type: error.error_type,
    error_message: error.error_message,
    error_code: error.error_code ?? '',
    stack_trace: error.stack_trace ?? '',
    trace_id: error.trace_id ?? '',
    span_id: error.span_id ?? '',
    agent_name: error.agent_name,
    agent_id: error.agent_id ?? '',
    operation: error.operation ?? '',
    input_data: error.input_data ?? '',
    partial_output: error.partial_output ?? '',
    model_name: error.model_name ?? '',
    prompt_preview: error.prompt_preview ?? '',
    token_count: error.token_count ?? 0,
    tool_name: error.tool_name ?? '',
    tool_parameters: error.tool_parameters ?? '',
    timestamp_ms: atMs,
    timestamp_original_ms: originalMs,
    duration_before_error_ms: error.duration_before_error_ms ?? 0,
    is_retryable: error.is_retryable ? 1 : 0,
    retry_count: error.retry_count,
    max_retries: error.max_retries,
    suggested_fixes: error.suggested_fixes,
    related_docs: error.related_docs,
    environment: error.environment ?? '',
    service_name: error.service_name ?? '',
    host: error.host ?? '',
    suppressed_count: error.suppressed_count,
    task_id: error.task_id ?? '',
    job_id: error.job_id ?? '',
    http_status: error.http_status ?? 0,
    observed_at_ms: source.observedAtMs,
  });
  return into;
}
