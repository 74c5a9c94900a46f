import { z } from 'zod';

/**
 * Response shapes of the REST routes: the contract's keys and types (shared/reference/
 * rest-contract.md) plus the keys this project adds. They document the routes in OpenAPI and the
 * contract tests check real answers against them.
 */
const nullableString = z.string().nullable();
const iso = z.string().describe('ISO-8601 time');
const counts = z.record(z.string(), z.number().int());

export const ApiMessageSchema = z.object({
  message_id: z.string(),
  source_agent: z.string(),
  target_agent: z.string(),
  message_type: z.enum(['task', 'result', 'error', 'heartbeat', 'cancel']),
  priority: z.enum(['low', 'normal', 'high', 'critical']),
  payload: z.record(z.string(), z.unknown()),
  trace_id: z.string(),
  span_id: z.string(),
  parent_message_id: nullableString,
  reason: nullableString,
  timestamp: iso,
  ttl_seconds: z.number().int().nullable(),
  attempt: z.number().int(),
  max_retries: z.number().int(),
  deadline: nullableString,
  job_id: nullableString,
  queue_topic: z.string(),
});

export const ApiErrorSchema = z.object({
  error_id: z.string(),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  category: z.string(),
  error_type: z.string(),
  error_message: z.string(),
  error_code: nullableString,
  stack_trace: nullableString,
  trace_id: nullableString,
  span_id: nullableString,
  agent_name: z.string(),
  agent_id: nullableString,
  operation: nullableString,
  input_data: z.record(z.string(), z.unknown()).nullable(),
  partial_output: nullableString,
  model_name: nullableString,
  prompt_preview: nullableString,
  token_count: z.number().int().nullable(),
  tool_name: nullableString,
  tool_parameters: z.record(z.string(), z.unknown()).nullable(),
  timestamp: iso,
  duration_before_error_ms: z.number().nullable(),
  is_retryable: z.boolean(),
  retry_count: z.number().int(),
  max_retries: z.number().int(),
  suggested_fixes: z.array(z.string()),
  related_docs: z.array(z.string()),
  environment: nullableString,
  service_name: nullableString,
  host: nullableString,
  fingerprint: nullableString,
  suppressed_count: z.number().int(),
  task_id: nullableString,
  job_id: nullableString,
  http_status: z.number().int().nullable(),
});

export const ErrorSummarySchema = z.object({
  total_errors: z.number().int(),
  by_severity: counts,
  by_category: counts,
  by_agent: counts,
});

const LagStatusSchema = z.enum(['OK', 'WARN', 'ERR', 'STOP', 'STALL', 'REWIND']);

export const QueueFieldsSchema = z.object({
  agent_name: z.string(),
  queue_topic: z.string(),
  consumer_group: z.string(),
  lag: z.number().int().nullable(),
  lag_source: z.enum(['kafka', 'lag_samples', 'none']),
  lag_status: LagStatusSchema,
  lag_partition_status: LagStatusSchema,
  partitions: z.array(
    z.object({
      partition: z.number().int(),
      end_offset: z.number().int(),
      committed_offset: z.number().int(),
      lag: z.number().int(),
      status: LagStatusSchema,
    }),
  ),
  consumer_members: z.number().int().nullable(),
  total_messages: z.number().int(),
  pending_tasks: z.number().int(),
  oldest_pending_task_id: nullableString,
  oldest_pending_submitted_at: nullableString,
  oldest_pending_age_seconds: z.number().nullable(),
});

export const QueuesSchema = z.object({
  queues: z.array(QueueFieldsSchema.extend({ pending: z.array(ApiMessageSchema) })),
  total_messages: z.number().int(),
});

export const QueueSchema = QueueFieldsSchema.extend({
  messages: z.array(ApiMessageSchema),
  pending: z.array(ApiMessageSchema),
  next_cursor: nullableString,
});

export const TaskViewSchema = z.object({
  task_id: z.string(),
  agent_name: z.string(),
  requester: z.string(),
  priority: z.string(),
  state: z.enum(['pending', 'completed', 'failed', 'cancelled', 'expired']),
  attempt: z.number().int(),
  max_retries: z.number().int(),
  submitted_at: iso,
  age_seconds: z.number(),
  expires_at: nullableString,
  deadline: nullableString,
  resolved_at: nullableString,
  latency_ms: z.number().nullable(),
  resolved_by: nullableString,
  trace_id: nullableString,
  job_id: nullableString,
});

export const QueuePendingSchema = z.object({
  agent_name: z.string(),
  pending_count: z.number().int(),
  tasks: z.array(ApiMessageSchema),
  task_states: z.array(TaskViewSchema),
});

export const ErrorsSchema = z.object({
  total: z.number().int(),
  errors: z.array(ApiErrorSchema),
  summary: ErrorSummarySchema,
  next_cursor: nullableString,
});

export const ErrorGroupSchema = z.object({
  fingerprint: z.string(),
  error_type: z.string(),
  category: z.string(),
  severity: z.string(),
  operation: nullableString,
  count: z.number().int(),
  first_seen: iso,
  last_seen: iso,
  agents: z.array(z.string()),
  sample_error_id: z.string(),
  sample_message: z.string(),
  sample_trace_id: nullableString,
  trend: z.object({
    buckets: z.array(z.number().int()),
    bucket_minutes: z.number().int(),
    direction: z.enum(['new', 'rising', 'falling', 'steady', 'quiet']),
  }),
});

export const TraceSummarySchema = z.object({
  trace_id: z.string(),
  started_at: iso,
  ended_at: iso,
  duration_ms: z.number(),
  agents: z.array(z.string()),
  message_count: z.number().int(),
  error_count: z.number().int(),
  status: z.enum(['failed', 'pending', 'completed']),
});

export const TimelineEntrySchema = z.object({
  kind: z.enum(['message', 'error']),
  at: iso,
  offset_ms: z.number(),
  agent_name: z.string(),
  summary: z.string(),
  message: ApiMessageSchema.optional(),
  error: ApiErrorSchema.optional(),
});

export interface TraceNodeShape {
  message: z.infer<typeof ApiMessageSchema>;
  errors: z.infer<typeof ApiErrorSchema>[];
  children: TraceNodeShape[];
}
export const TraceNodeSchema: z.ZodType<TraceNodeShape> = z.lazy(() =>
  z.object({
    message: ApiMessageSchema,
    errors: z.array(ApiErrorSchema),
    children: z.array(TraceNodeSchema),
  }),
);

export const TraceSchema = TraceSummarySchema.extend({
  roots: z.array(TraceNodeSchema),
  unattached_errors: z.array(ApiErrorSchema),
  timeline: z.array(TimelineEntrySchema),
  messages: z.array(ApiMessageSchema),
  errors: z.array(ApiErrorSchema),
});

export const AgentSchema = z.object({
  agent_name: z.string(),
  queue_topic: z.string(),
  liveness: z.enum(['alive', 'silent', 'dead', 'unknown']),
  last_heartbeat: nullableString,
  heartbeat_state: nullableString,
  in_flight: z.number().int().nullable(),
  max_concurrency: z.number().int().nullable(),
  host: nullableString,
  version: nullableString,
  window_minutes: z.number().int(),
  tasks_received: z.number().int(),
  results_sent: z.number().int(),
  errors_sent: z.number().int(),
  errors_reported: z.number().int(),
  throughput_per_minute: z.number(),
  error_rate: z.number(),
  llm: z.object({
    calls: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    cost_usd: z.number(),
    rate_limited: z.number().int(),
    failed: z.number().int(),
    tokens_per_minute: z.number(),
    requests_per_minute: z.number(),
    avg_latency_ms: z.number(),
    models: z.array(z.string()),
  }),
});

export const TaskHistorySchema = z.object({
  task_id: z.string(),
  states: z.array(TaskViewSchema),
  messages: z.array(ApiMessageSchema),
  errors: z.array(ApiErrorSchema),
  trace_id: nullableString,
});
