import { z } from 'zod';

/** JSON shapes of the time breakdown routes (documented in OpenAPI, checked by the contract tests). */

const ms = z.number().nullable();

export const TaskTimeSchema = z.object({
  task_id: z.string(),
  agent: z.string().describe('the worker the task was sent to'),
  requester: z.string(),
  trace_id: z.string(),
  attempt: z.number().int().nullable(),
  state: z.enum(['completed', 'failed', 'pending']),
  sent_at: z.string().nullable(),
  started_at: z.string().nullable().describe("when the worker started the task (the answer's started_at)"),
  answered_at: z.string().nullable(),
  total_ms: ms.describe('sent → answered'),
  queued_ms: ms.describe('sent → started; null when the split is unknown'),
  working_ms: ms.describe('started → answered; null when the split is unknown'),
  llm_ms: ms.describe("sum of the answer's LLM call latencies"),
  other_ms: ms.describe('working − LLM: tools, code, waiting on other agents'),
  llm_calls: z.number().int(),
  split: z
    .enum(['known', 'unknown', 'pending'])
    .describe(
      'unknown: the answer does not report started_at (older or other producers), or the task was not seen',
    ),
  notes: z.array(z.string()),
});

const PartSchema = z
  .object({ tasks: z.number().int(), p50_ms: z.number(), p95_ms: z.number(), mean_ms: z.number() })
  .nullable();

export const AgentTimeSchema = z.object({
  agent: z.string(),
  tasks: z.number().int(),
  split_known: z.number().int(),
  split_unknown: z.number().int(),
  total: PartSchema,
  queued: PartSchema,
  working: PartSchema,
  llm: PartSchema,
  other: PartSchema,
  llm_share: z.number().nullable().describe('share of the working time spent in LLM calls (known splits)'),
  queue_share: z.number().nullable().describe('share of the total time spent queued (known splits)'),
});

export const AgentTimesResponseSchema = z.object({
  time_window_minutes: z.number().int(),
  window_start: z.string(),
  window_end: z.string(),
  agents: z.array(AgentTimeSchema),
  truncated: z.boolean(),
});

export const TraceTimeSchema = z.object({
  trace_id: z.string(),
  tasks: z.array(TaskTimeSchema),
  agents: z.array(AgentTimeSchema),
  totals: z.object({
    queued_ms: z.number(),
    working_ms: z.number(),
    llm_ms: z.number(),
    other_ms: z.number(),
    split_known: z.number().int(),
    split_unknown: z.number().int(),
  }),
});
