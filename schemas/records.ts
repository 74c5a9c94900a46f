/**
 * TypeScript shapes of the Avro records in `avro/*.avsc`. `records.test.ts` proves that these
 * types, the enum lists and the schemas agree field for field.
 *
 * Representation choices:
 * - `timestamp-millis` fields decode to epoch milliseconds (`number`), not `Date`: it is what
 *   ClickHouse stores (UInt64 milliseconds) and it avoids an allocation per field per message.
 * - Free-form objects (`payload`, `input_data`, `tool_parameters`) travel as JSON text in a string.
 */

export const MessageType = {
  TASK: 'task',
  RESULT: 'result',
  ERROR: 'error',
  HEARTBEAT: 'heartbeat',
  CANCEL: 'cancel',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Priority = {
  LOW: 'low',
  NORMAL: 'normal',
  HIGH: 'high',
  CRITICAL: 'critical',
} as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

export const Severity = {
  CRITICAL: 'critical',
  ERROR: 'error',
  WARNING: 'warning',
  INFO: 'info',
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export const ErrorCategory = {
  LLM_ERROR: 'llm_error',
  AGENT_ERROR: 'agent_error',
  TOOL_ERROR: 'tool_error',
  HANDOFF_ERROR: 'handoff_error',
  VALIDATION_ERROR: 'validation_error',
  TIMEOUT_ERROR: 'timeout_error',
  RESOURCE_ERROR: 'resource_error',
  NETWORK_ERROR: 'network_error',
  CONFIG_ERROR: 'config_error',
  UNKNOWN: 'unknown',
} as const;
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

export interface LlmCall {
  model: string;
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  cost_usd: number;
  /** `ok`, or the failure class (`rate_limited`, `timeout`, `error`). */
  status: string;
}

export interface Heartbeat {
  /** `idle`, `busy`, `draining` or `stopping`. */
  state: string;
  in_flight: number;
  max_concurrency: number;
  host: string;
  pid: number;
  version: string;
}

export interface AgentMessage {
  message_id: string;
  source_agent: string;
  target_agent: string;
  message_type: MessageType;
  priority: Priority;
  /** JSON text of an object. */
  payload: string;
  trace_id: string;
  span_id: string;
  parent_message_id: string | null;
  reason: string | null;
  /** Epoch milliseconds. */
  timestamp: number;
  ttl_seconds: number | null;
  attempt: number;
  max_retries: number;
  /** Epoch milliseconds. */
  deadline: number | null;
  job_id: string | null;
  llm_usage: LlmCall[];
  heartbeat: Heartbeat | null;
  /**
   * Epoch milliseconds at which the answering agent started the task (RESULT and ERROR); null when
   * not reported (older producers, other messages).
   */
  started_at: number | null;
}

export interface DetailedError {
  error_id: string;
  severity: Severity;
  category: ErrorCategory;
  error_type: string;
  error_message: string;
  error_code: string | null;
  stack_trace: string | null;
  trace_id: string | null;
  span_id: string | null;
  agent_name: string;
  agent_id: string | null;
  operation: string | null;
  /** JSON text of an object. */
  input_data: string | null;
  partial_output: string | null;
  model_name: string | null;
  prompt_preview: string | null;
  token_count: number | null;
  tool_name: string | null;
  /** JSON text of an object. */
  tool_parameters: string | null;
  /** Epoch milliseconds. */
  timestamp: number;
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

/** Field order of the Avro schemas, checked against them by test. */
export const AGENT_MESSAGE_FIELDS = [
  'message_id',
  'source_agent',
  'target_agent',
  'message_type',
  'priority',
  'payload',
  'trace_id',
  'span_id',
  'parent_message_id',
  'reason',
  'timestamp',
  'ttl_seconds',
  'attempt',
  'max_retries',
  'deadline',
  'job_id',
  'llm_usage',
  'heartbeat',
  'started_at',
] as const satisfies readonly (keyof AgentMessage)[];

export const DETAILED_ERROR_FIELDS = [
  'error_id',
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
  'timestamp',
  'duration_before_error_ms',
  'is_retryable',
  'retry_count',
  'max_retries',
  'suggested_fixes',
  'related_docs',
  'environment',
  'service_name',
  'host',
  'fingerprint',
  'suppressed_count',
  'task_id',
  'job_id',
  'http_status',
] as const satisfies readonly (keyof DetailedError)[];
