import type { ErrorCategory, Severity } from '../../schemas/records.js';
import type { ClickHouseWriter } from '../clickhouse.js';

/** `error_facts` (migration 0003): every DetailedError, feeding `error_groups` and `error_rollup_1m`. */
export const ERROR_FACTS = 'error_facts';
/** `error_refs` (migration 0006): error id and task id -> the error's key in `errors_by_trace`. */
export const ERROR_REFS = 'error_refs';

export interface ErrorFactRow {
  error_id: string;
  topic: string;
  partition: number;
  offset: number;
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
  observed_at_ms: number;
}

export function insertErrorFacts(writer: ClickHouseWriter, rows: readonly ErrorFactRow[]): Promise<void> {
  return writer.insert(ERROR_FACTS, rows);
}
