import type { ClickHouseWriter } from '../clickhouse.js';

/** `llm_calls` (migration 0004): one row per LLM call carried in a message's `llm_usage`. */
export const LLM_CALLS = 'llm_calls';

export interface LlmCallRow {
  /** The RESULT or ERROR message whose `llm_usage` reported the call. */
  message_id: string;
  /** The call's 0-based position in that message's `llm_usage`. */
  call_index: number;
  /** The agent that made the call (the message's `source_agent`). */
  agent: string;
  /** The model called, as the agent named it. */
  model: string;
  /** The model's provider; '' when the agent did not say. */
  provider: string;
  /** Input tokens of the call; 0 when not reported. */
  prompt_tokens: number;
  /** Output tokens of the call; 0 when not reported. */
  completion_tokens: number;
  /** How long the call took (ms); 0 when not reported. */
  latency_ms: number;
  /** What the call cost, in US dollars, as the agent reported it; 0 when not reported. */
  cost_usd: number;
  /** `ok`, or the failure class (`rate_limited`, `timeout`, `error`). */
  status: string;
  /** The message's W3C trace id. */
  trace_id: string;
  /** The task the call was made for: the message's `parent_message_id`, or its own id when it has none. */
  task_id: string;
  /** The message's `sent_at_ms` (epoch ms). */
  at_ms: number;
  /**
   * When the processors read the message (epoch ms); the version that deduplication keeps the greatest of.
   */
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
