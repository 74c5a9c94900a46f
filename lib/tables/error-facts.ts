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
  severity: Severity;
  category: ErrorCategory;
  error_type: string;
  error_message: string;
  error_code: string;
  stack_trace: string;
  trace_id: string;
  span_id: string;
  agent_name: string;
  agent_id: string;
  operation: string;
  input_data: string;
  partial_output: string;
  model_name: string;
  prompt_preview: string;
  token_count: number;
  tool_name: string;
  tool_parameters: string;
  /** DetailedError.timestamp (epoch ms), or the observed time when it could not be right (see `timestamp_original_ms`). */
  timestamp_ms: number;
  duration_before_error_ms: number;
  is_retryable: 0 | 1;
  retry_count: number;
  max_retries: number;
  suggested_fixes: string[];
  related_docs: string[];
  environment: string;
  service_name: string;
  host: string;
  suppressed_count: number;
  task_id: string;
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
  ref: string;
  ref_kind: ErrorRefKind;
  trace_id: string;
  timestamp_ms: number;
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
