import { z } from 'zod';
import { IssueSeverity } from './types.js';

/** Response shapes of the diagnosis routes: the contract's keys plus the ones this project adds. */

const iso = z.string().describe('ISO-8601 time');
const evidence = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]),
);

export const SuggestedActionSchema = z.object({
  priority: z.number().int(),
  action: z.string(),
  rationale: z.string(),
  related_issue_id: z.string(),
});

const IssueSchema = z.object({
  id: z.string(),
  kind: z.string(),
  rank: z.number().int(),
  category: z.enum([
    'error',
    'performance',
    'rate_limit',
    'resource',
    'configuration',
    'connectivity',
    'timeout',
    'cost',
  ]),
  severity: z.enum(IssueSeverity),
  title: z.string(),
  description: z.string(),
  affected_components: z.array(z.string()),
  suggested_actions: z.array(SuggestedActionSchema),
  related_trace_ids: z.array(z.string()),
  evidence,
  explained_by: z.string().nullable(),
  metadata: z.object({ kind: z.string(), score: z.number(), explained_by: z.string().nullable(), evidence }),
  detected_at: iso,
});

const CountsSchema = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  info: z.number().int(),
  total: z.number().int(),
});

const StatusSchema = z.enum(['critical', 'degraded', 'healthy']);

export const DiagnosisJsonSchema = z.object({
  metadata: z.object({
    generated_at: iso,
    time_window_minutes: z.number().int(),
    window_start: iso,
    window_end: iso,
    baseline_start: iso,
    system_status: StatusSchema,
    health_score: z.number(),
    data_gaps: z.array(z.string()),
  }),
  issues: z.object({ items: z.array(IssueSchema), counts: CountsSchema }),
  performance: z.object({
    agents: z.array(
      z.object({
        agent: z.string(),
        tasks_completed: z.number().int(),
        tasks_failed: z.number().int(),
        p50_ms: z.number(),
        p95_ms: z.number(),
        p99_ms: z.number(),
      }),
    ),
    tasks_submitted: z.number().int(),
    messages: z.number().int(),
  }),
  errors: z.object({
    recent: z.array(z.record(z.string(), z.unknown())),
    error_rate: z.number(),
    total: z.number().int(),
  }),
  rate_limits: z.object({
    any_rate_limited: z.boolean(),
    models: z.array(z.record(z.string(), z.unknown())),
  }),
  slow_traces: z.array(
    z.object({
      trace_id: z.string(),
      duration_ms: z.number(),
      started_at: iso,
      ended_at: iso,
      messages: z.number().int(),
      agents: z.array(z.string()),
      errors: z.number().int(),
    }),
  ),
  suggested_actions: z.array(SuggestedActionSchema),
  debugging_context: z.object({
    top_issue_id: z.string().nullable(),
    related_trace_ids: z.array(z.string()),
    affected_agents: z.array(z.string()),
    next_steps: z.array(z.string()),
  }),
  system_summary: z.string(),
  health_score: z.number(),
});

export const DiagnosisSummarySchema = z.object({
  format: z.literal('summary'),
  system_status: StatusSchema,
  health_score: z.number(),
  system_summary: z.string(),
  issue_counts: CountsSchema,
  error_rate: z.number(),
  any_rate_limited: z.boolean(),
  top_issues: z.array(
    z.object({
      id: z.string(),
      severity: z.string(),
      title: z.string(),
      affected_components: z.array(z.string()),
    }),
  ),
  suggested_actions: z.array(SuggestedActionSchema),
});

export const DiagnosisPromptSchema = z.object({
  format: z.literal('prompt'),
  content: z.string(),
  estimated_tokens: z.number().int(),
  max_tokens: z.number().int(),
  truncated: z.boolean(),
});

export const DiagnosisResponseSchema = z.union([
  DiagnosisJsonSchema,
  DiagnosisSummarySchema,
  DiagnosisPromptSchema,
]);

export const ClaudeErrorsSchema = z.object({
  total_error_types: z.number().int(),
  errors: z.array(
    z.object({
      fingerprint: z.string(),
      error_type: z.string(),
      error_category: z.string(),
      severity: z.string(),
      count: z.number().int(),
      first_seen: iso,
      last_seen: iso,
      affected_agents: z.array(z.string()),
      sample_message: z.string(),
      sample_trace_id: z.string().nullable(),
      sample_error_id: z.string(),
      http_status: z.number().int().nullable(),
      trend: z.string(),
      suggestions: z.array(z.string()).optional(),
    }),
  ),
  error_store_summary: z.object({
    total_errors: z.number().int(),
    by_severity: z.record(z.string(), z.number().int()),
    by_category: z.record(z.string(), z.number().int()),
    by_agent: z.record(z.string(), z.number().int()),
  }),
  source: z.literal('clickhouse'),
  raw_errors: z.array(z.record(z.string(), z.unknown())).optional(),
});
