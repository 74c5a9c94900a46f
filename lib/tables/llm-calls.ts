import type { ClickHouseWriter } from '../clickhouse.js';

/** `llm_calls` (migration 0004): one row per LLM call carried in a message's `llm_usage`. */
export const LLM_CALLS = 'llm_calls';

export interface LlmCallRow {
  message_id: string;
  call_index: number;
  agent: string;
  model: string;
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  cost_usd: number;
  status: string;
  trace_id: string;
  task_id: string;
  at_ms: number;
  observed_at_ms: number;
}

/** The stored columns of `llm_calls`, in table order (not `event_date`, which is MATERIALIZED). */
export const LLM_CALL_COLUMNS = [
  'message_id',
  'call_index',
  'agent',
  'model',
  'provider',
  'prompt_tokens',
  'completion_tokens',
  'latency_ms',
  'cost_usd',
  'status',
  'trace_id',
  'task_id',
  'at_ms',
  'observed_at_ms',
] as const satisfies readonly (keyof LlmCallRow)[];

export function insertLlmCalls(writer: ClickHouseWriter, rows: readonly LlmCallRow[]): Promise<void> {
  return writer.insert(LLM_CALLS, rows);
}
