import type { ErrorFactRow } from '../../lib/tables/error-facts.js';
import type { MessageLogRow } from '../../lib/tables/message-log.js';
import type { AgentMessage, DetailedError } from '../../schemas/records.js';
import { queueTopic } from '../../schemas/topics.js';
import { senderDate } from '../../schemas/times.js';
import type { LiveEvent } from '../live-feed.js';

/**
 * The contract's JSON shapes (shared/reference/rest-contract.md): AgentMessage and DetailedError
 * with their old field names, times as ISO-8601, free-form objects as objects. New fields are
 * added, never renamed. Built from a ClickHouse row (queries) or a decoded record (the live feed),
 * so that REST, GraphQL and the WebSocket give the same object for the same message.
 */
export interface ApiMessage {
  message_id: string;
  source_agent: string;
  target_agent: string;
  message_type: string;
  priority: string;
  payload: Record<string, unknown>;
  trace_id: string;
  span_id: string;
  parent_message_id: string | null;
  reason: string | null;
  timestamp: string;
  ttl_seconds: number | null;
  attempt: number;
  max_retries: number;
  deadline: string | null;
  job_id: string | null;
  queue_topic: string;
}

export interface ApiError {
  error_id: string;
  severity: string;
  category: string;
  error_type: string;
  error_message: string;
  error_code: string | null;
  stack_trace: string | null;
  trace_id: string | null;
  span_id: string | null;
  agent_name: string;
  agent_id: string | null;
  operation: string | null;
  input_data: Record<string, unknown> | null;
  partial_output: string | null;
  model_name: string | null;
  prompt_preview: string | null;
  token_count: number | null;
  tool_name: string | null;
  tool_parameters: Record<string, unknown> | null;
  timestamp: string;
  duration_before_error_ms: number | null;
  is_retryable: boolean;
  retry_count: number;
  max_retries: number;
  suggested_fixes: string[];
  related_docs: string[];
  environment: string | null;
  service_name: string | null;
  host: string | null;
  fingerprint: string | null;
  suppressed_count: number;
  task_id: string | null;
  job_id: string | null;
  http_status: number | null;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** JSON text of an object; anything else is kept under `value` (or `raw` when it is not JSON). */
export function jsonObject(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    return { value: parsed };
  } catch {
    return { raw: text };
  }
}

const orNull = (value: string | null | undefined): string | null =>
  value === '' || value === undefined ? null : value;

/** 64-bit integers come from ClickHouse's JSON formats as strings. */
export type WireRow<T> = { [K in keyof T]: T[K] extends number ? number | string : T[K] };

export function messageFromRow(row: WireRow<MessageLogRow>): ApiMessage {
  const ttl = Number(row.ttl_seconds);
  const deadline = Number(row.deadline_ms);
  return {
    message_id: row.message_id,
    source_agent: row.source_agent,
    target_agent: row.target_agent,
    message_type: row.message_type,
    priority: row.priority,
    payload: jsonObject(row.payload),
    trace_id: row.trace_id,
    span_id: row.span_id,
    parent_message_id: orNull(row.parent_message_id),
    reason: orNull(row.reason),
    timestamp: isoTime(Number(row.sent_at_ms)),
    ttl_seconds: ttl > 0 ? ttl : null,
    attempt: Number(row.attempt),
    max_retries: Number(row.max_retries),
    deadline: senderDate(deadline)?.toISOString() ?? null,
    job_id: orNull(row.job_id),
    queue_topic: row.topic,
  };
}

export function messageFromRecord(
  value: AgentMessage,
  topic: string = queueTopic(value.target_agent),
): ApiMessage {
  return {
    message_id: value.message_id,
    source_agent: value.source_agent,
    target_agent: value.target_agent,
    message_type: value.message_type,
    priority: value.priority,
    payload: jsonObject(value.payload),
    trace_id: value.trace_id,
    span_id: value.span_id,
    parent_message_id: orNull(value.parent_message_id),
    reason: orNull(value.reason),
    timestamp: isoTime(value.timestamp),
    ttl_seconds: value.ttl_seconds ?? null,
    attempt: value.attempt,
    max_retries: value.max_retries,
    deadline: senderDate(value.deadline ?? 0)?.toISOString() ?? null,
    job_id: orNull(value.job_id),
    queue_topic: topic,
  };
}

/** A live record as the API shows it: dated by the time it is stored under. */
export function liveMessage(event: Extract<LiveEvent, { kind: 'message' }>): ApiMessage {
  return messageFromRecord({ ...event.value, timestamp: event.timeMs }, event.topic);
}

export function liveError(event: Extract<LiveEvent, { kind: 'error' }>): ApiError {
  return errorFromRecord({ ...event.value, timestamp: event.timeMs });
}

const objectOrNull = (text: string | null | undefined): Record<string, unknown> | null =>
  text === null || text === undefined || text === '' ? null : jsonObject(text);

export function errorFromRow(row: WireRow<ErrorFactRow>): ApiError {
  const tokens = Number(row.token_count);
  const duration = Number(row.duration_before_error_ms);
  const status = Number(row.http_status);
  return {
    error_id: row.error_id,
    severity: row.severity,
    category: row.category,
    error_type: row.error_type,
    error_message: row.error_message,
    error_code: orNull(row.error_code),
    stack_trace: orNull(row.stack_trace),
    trace_id: orNull(row.trace_id),
    span_id: orNull(row.span_id),
    agent_name: row.agent_name,
    agent_id: orNull(row.agent_id),
    operation: orNull(row.operation),
    input_data: objectOrNull(row.input_data),
    partial_output: orNull(row.partial_output),
    model_name: orNull(row.model_name),
    prompt_preview: orNull(row.prompt_preview),
    token_count: tokens > 0 ? tokens : null,
    tool_name: orNull(row.tool_name),
    tool_parameters: objectOrNull(row.tool_parameters),
    timestamp: isoTime(Number(row.timestamp_ms)),
    duration_before_error_ms: duration > 0 ? duration : null,
    is_retryable: Number(row.is_retryable) === 1,
    retry_count: Number(row.retry_count),
    max_retries: Number(row.max_retries),
    suggested_fixes: row.suggested_fixes,
    related_docs: row.related_docs,
    environment: orNull(row.environment),
    service_name: orNull(row.service_name),
    host: orNull(row.host),
    fingerprint: orNull(row.fingerprint),
    suppressed_count: Number(row.suppressed_count),
    task_id: orNull(row.task_id),
    job_id: orNull(row.job_id),
    http_status: status > 0 ? status : null,
  };
}

/** Storage keeps absent numbers as 0, so the live shape says `null` for 0 as the stored one does. */
const positiveOrNull = (value: number | null): number | null => (value === null || value <= 0 ? null : value);

export function errorFromRecord(value: DetailedError): ApiError {
  return {
    error_id: value.error_id,
    severity: value.severity,
    category: value.category,
    error_type: value.error_type,
    error_message: value.error_message,
    error_code: orNull(value.error_code),
    stack_trace: orNull(value.stack_trace),
    trace_id: orNull(value.trace_id),
    span_id: orNull(value.span_id),
    agent_name: value.agent_name,
    agent_id: orNull(value.agent_id),
    operation: orNull(value.operation),
    input_data: objectOrNull(value.input_data),
    partial_output: orNull(value.partial_output),
    model_name: orNull(value.model_name),
    prompt_preview: orNull(value.prompt_preview),
    token_count: positiveOrNull(value.token_count),
    tool_name: orNull(value.tool_name),
    tool_parameters: objectOrNull(value.tool_parameters),
    timestamp: isoTime(value.timestamp),
    duration_before_error_ms: positiveOrNull(value.duration_before_error_ms),
    is_retryable: value.is_retryable,
    retry_count: value.retry_count,
    max_retries: value.max_retries,
    suggested_fixes: value.suggested_fixes,
    related_docs: value.related_docs,
    environment: orNull(value.environment),
    service_name: orNull(value.service_name),
    host: orNull(value.host),
    fingerprint: orNull(value.fingerprint),
    suppressed_count: value.suppressed_count,
    task_id: orNull(value.task_id),
    job_id: orNull(value.job_id),
    http_status: positiveOrNull(value.http_status),
  };
}
