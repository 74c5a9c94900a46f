import type { ErrorCategory, Severity } from '../../schemas/records.js';
import type { ClickHouseWriter } from '../clickhouse.js';
import { quoteString } from '../sql.js';

/** `error_facts` (migration 0003): every DetailedError, feeding `error_groups` and `error_rollup_1m`. */
export const ERROR_FACTS = 'error_facts';
/** `errors_by_trace` (migration 0006): every column of `error_facts`, sorted by (trace_id, timestamp_ms, error_id). */
export const ERRORS_BY_TRACE = 'errors_by_trace';
/** The materialized view that copies `error_facts` into `errors_by_trace`. */
export const ERRORS_BY_TRACE_MV = 'errors_by_trace_mv';
/** `error_refs` (migration 0006): error id and task id -> the error's key in `errors_by_trace`. */
export const ERROR_REFS = 'error_refs';
/** The materialized view that fills `error_refs` from `error_facts`. */
export const ERROR_REFS_MV = 'error_refs_mv';

export interface ErrorFactRow {
  error_id: string;
  /** The Kafka topic the record was read from. */
  topic: string;
  /** Its Kafka partition. */
  partition: number;
  /** Its offset in that partition. */
  offset: number;
  /** The schema registry id of the writer's schema (from the wire header). */
  schema_id: number;
  fingerprint: string;
  /** How severe the agent judged the error; the Enum8 value orders it (1 `critical` is the most severe). */
  severity: Severity;
  /** What kind of failure it was, as the agent classified it. */
  category: ErrorCategory;
  error_type: string;
  /** The error's message, as the agent reported it. */
  error_message: string;
  error_code: string;
  /** The stack trace; '' when none was sent. */
  stack_trace: string;
  /** The W3C trace id of the work that failed; '' when none was sent. */
  trace_id: string;
  /** The W3C span id of the operation that failed; '' when none was sent. */
  span_id: string;
  /** The agent that reported the error (the name its queue and messages use). */
  agent_name: string;
  agent_id: string;
  operation: string;
  input_data: string;
  /** What the operation produced before it failed; '' when none was sent. */
  partial_output: string;
  /** The model called, for LLM errors; '' when none was sent. */
  model_name: string;
  /** The start of the prompt, for LLM errors; '' when none was sent. */
  prompt_preview: string;
  /** Tokens involved in the failed call; 0 when none was sent. */
  token_count: number;
  /** The tool called, for tool errors; '' when none was sent. */
  tool_name: string;
  tool_parameters: string;
  /** DetailedError.timestamp (epoch ms), or the observed time when it could not be right (see `timestamp_original_ms`). */
  timestamp_ms: number;
  /** How long the operation ran before it failed (ms); 0 when not sent. */
  duration_before_error_ms: number;
  /** 1 when the agent reported the error as retryable, else 0. */
  is_retryable: 0 | 1;
  /** Retries already made of the failed operation, as the agent reported it. */
  retry_count: number;
  /** Retries the agent allows for the operation, as it reported it. */
  max_retries: number;
  /** Fixes the agent suggests; empty when none. */
  suggested_fixes: string[];
  /** Links to documents about the error; empty when none. */
  related_docs: string[];
  /** The deployment environment the agent runs in; '' when none was sent. */
  environment: string;
  /** The service the agent belongs to; '' when none was sent. */
  service_name: string;
  /** The host the agent runs on; '' when none was sent. */
  host: string;
  suppressed_count: number;
  task_id: string;
  /** The end-to-end job the failed work belongs to; '' when none was sent. */
  job_id: string;
  http_status: number;
  /** When the processors read the record (epoch ms); the version that deduplication keeps the greatest of. */
  observed_at_ms: number;
  /** The sender's own timestamp when it could not be right and `timestamp_ms` is the observed time; else 0 (migration 0007). */
  timestamp_original_ms: number;
}

/** The stored columns of `error_facts` and `errors_by_trace`, in table order (not `event_date`, which is MATERIALIZED). */
export const ERROR_FACT_COLUMNS = [
  'error_id',
  'topic',
  'partition',
  'offset',
  'schema_id',
  'fingerprint',
  'severity',
  'category',
  'error_type',
  'error_message',
  'error_code',
  'stack_trace',
  'trace_id',
  'span_id',
  'agent_name',
  'agent_id',
  'operation',
  'input_data',
  'partial_output',
  'model_name',
  'prompt_preview',
  'token_count',
  'tool_name',
  'tool_parameters',
  'timestamp_ms',
  'duration_before_error_ms',
  'is_retryable',
  'retry_count',
  'max_retries',
  'suggested_fixes',
  'related_docs',
  'environment',
  'service_name',
  'host',
  'suppressed_count',
  'task_id',
  'job_id',
  'http_status',
  'observed_at_ms',
  'timestamp_original_ms',
] as const satisfies readonly (keyof ErrorFactRow)[];

/** What an `error_refs` row names: the error itself, or the task it was reported for. */
export type ErrorRefKind = 'error' | 'task';

export interface ErrorRefRow {
  /** The id looked up: the error's own id, or the task it was reported for. */
  ref: string;
  /** `error` when `ref` is the error's own id, `task` when it is its `task_id`. */
  ref_kind: ErrorRefKind;
  /** The error's trace id; with `timestamp_ms` and `error_id`, its key in `errors_by_trace`. */
  trace_id: string;
  /** The error's `timestamp_ms` (epoch ms). */
  timestamp_ms: number;
  /** The error's id (equal to `ref` when `ref_kind` is `error`). */
  error_id: string;
}

/** The columns of `error_refs`; all of them are its key. */
export const ERROR_REF_COLUMNS = [
  'ref',
  'ref_kind',
  'trace_id',
  'timestamp_ms',
  'error_id',
] as const satisfies readonly (keyof ErrorRefRow)[];

export function insertErrorFacts(writer: ClickHouseWriter, rows: readonly ErrorFactRow[]): Promise<void> {
  return writer.insert(ERROR_FACTS, rows);
}

/** A condition on `errors_by_trace`: the keys of the errors `error_refs` finds for `ref` as `kind`. */
export function errorRefsCondition(ref: string, kind: ErrorRefKind): string {
  return `(trace_id, timestamp_ms, error_id) IN (SELECT trace_id, timestamp_ms, error_id FROM ${ERROR_REFS}
    WHERE ref = ${quoteString(ref)} AND ref_kind = ${quoteString(kind)})`;
}
