import type { AgentMessage, DetailedError } from '../records.js';

/** A TASK with every optional field set, for tests and benchmarks. */
export function sampleTask(overrides: Partial<AgentMessage> = {}): AgentMessage {
  return {
    message_id: '0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01',
    source_agent: 'orchestrator',
    target_agent: 'researcher',
    message_type: 'task',
    priority: 'high',
    payload: JSON.stringify({ goal: 'summarize the incident', step: 1 }),
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    parent_message_id: null,
    reason: 'plan step 1 of 3',
    timestamp: 1_764_000_000_000,
    ttl_seconds: 300,
    attempt: 1,
    max_retries: 2,
    deadline: 1_764_000_300_000,
    job_id: 'job-1',
    llm_usage: [],
    heartbeat: null,
    started_at: null,
    ...overrides,
  };
}

/** A RESULT answering {@link sampleTask}, with one LLM call. */
export function sampleResult(overrides: Partial<AgentMessage> = {}): AgentMessage {
  return sampleTask({
    message_id: '0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a02',
    source_agent: 'researcher',
    target_agent: 'orchestrator',
    message_type: 'result',
    parent_message_id: '0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01',
    payload: JSON.stringify({ summary: 'three findings' }),
    ttl_seconds: null,
    deadline: null,
    started_at: 1_764_000_000_000,
    llm_usage: [
      {
        model: 'llama3.1:8b',
        provider: 'ollama',
        prompt_tokens: 812,
        completion_tokens: 231,
        latency_ms: 1840,
        cost_usd: 0.00042,
        status: 'ok',
      },
    ],
    ...overrides,
  });
}

/** A DetailedError with every field set. */
export function sampleError(overrides: Partial<DetailedError> = {}): DetailedError {
  return {
    error_id: '9a1d2c3b-0000-4000-8000-000000000001',
    severity: 'error',
    category: 'llm_error',
    error_type: 'RateLimitError',
    error_message: 'rate limit exceeded for model llama3.1:8b',
    error_code: '429',
    stack_trace: 'RateLimitError: rate limit exceeded\n    at callModel (agents/llm/openai.ts:88:11)',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b8',
    agent_name: 'researcher',
    agent_id: 'researcher-7f9c',
    operation: 'llm_call',
    input_data: JSON.stringify({ goal: 'summarize the incident' }),
    partial_output: null,
    model_name: 'llama3.1:8b',
    prompt_preview: 'You are a researcher. Summarize…',
    token_count: 812,
    tool_name: null,
    tool_parameters: null,
    timestamp: 1_764_000_001_000,
    duration_before_error_ms: 1840.5,
    is_retryable: true,
    retry_count: 1,
    max_retries: 3,
    suggested_fixes: ['Back off and retry with jitter', 'Raise the tpm limit of the model'],
    related_docs: ['https://docs.litellm.ai/docs/proxy/rate_limit_tiers'],
    environment: 'test',
    service_name: 'researcher',
    host: 'node-1',
    fingerprint: 'f3a9c0d1',
    suppressed_count: 0,
    task_id: '0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01',
    job_id: 'job-1',
    http_status: 429,
    ...overrides,
  };
}
