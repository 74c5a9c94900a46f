import { type ErrorCategory } from '../../schemas/records.js';
import type { Classification } from './classifier.js';

interface Advice {
  fixes: string[];
  docs: string[];
}

const BY_CATEGORY: Readonly<Record<ErrorCategory, Advice>> = {
  llm_error: {
    fixes: [
      'Check the model provider status and the model name the agent uses',
      'Lower the request rate or raise the provider quota; spread calls over more keys or deployments',
      'Keep retries with exponential backoff and jitter; honour Retry-After',
    ],
    docs: [
      'https://platform.openai.com/docs/guides/rate-limits',
      'https://docs.litellm.ai/docs/proxy/reliability',
    ],
  },
  agent_error: {
    fixes: [
      'Read the stack trace: the failure is in the agent code',
      'Add a test reproducing the task input',
    ],
    docs: [],
  },
  tool_error: {
    fixes: [
      'Check the tool parameters recorded with the error',
      'Validate the model-generated tool input before running it',
      'Give the tool a timeout and a clear error message the model can act on',
    ],
    docs: [],
  },
  handoff_error: {
    fixes: [
      'Look at the errors of the target agent for the same job: the handoff failed because the worker did',
      'Check that the target agent is running and consuming its queue (heartbeats, consumer lag)',
      'Tune the per-step timeout and max_retries of the orchestrator',
    ],
    docs: [],
  },
  validation_error: {
    fixes: [
      'Compare the input with the schema the agent expects',
      'Check that every producer encodes with the same schema registry (poison messages end in the DLQ)',
    ],
    docs: [
      'https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html',
    ],
  },
  timeout_error: {
    fixes: [
      'Find the slow dependency: model latency, tool runtime or a busy worker',
      'Raise the timeout only if the work is legitimately slower; otherwise reduce the work per task',
      'Check the deadline and TTL the requester sets',
    ],
    docs: [],
  },
  resource_error: {
    fixes: ['Check memory, file descriptors and disk of the agent host', 'Lower the agent concurrency'],
    docs: [],
  },
  network_error: {
    fixes: [
      'Check that the endpoint is reachable from the agent (DNS, port, firewall)',
      'Check the configured base URL (LLM_BASE_URL, LITELLM_BASE_URL, OLLAMA_BASE_URL)',
    ],
    docs: [],
  },
  config_error: {
    fixes: ['Fix the configuration (API key, model name, URLs) and restart the agent'],
    docs: [],
  },
  unknown: { fixes: ['Inspect the stack trace and the input data'], docs: [] },
};

const BY_CODE: Readonly<Record<string, string>> = {
  rate_limited: 'The provider answered 429: reduce concurrency or request a higher rate limit',
  TOOL_SYNTAX: 'The generated code does not parse: ask the model for plain JavaScript in one fenced block',
  TOOL_TIMEOUT: 'The evaluated code ran past its time limit: look for unbounded loops in the generated code',
  STEP_TIMEOUT: 'No answer from the worker within the step timeout: is it alive (heartbeats) and not stuck?',
  RETRIES_EXHAUSTED: 'Every attempt of the step failed: fix the root cause in the worker named in the error',
  DECODE_NO_MAGIC_BYTE: 'A producer wrote bytes that are not Avro in the Confluent wire format to this queue',
};

/** Suggested fixes and related documents for an error of this classification. */
export function adviceFor(classification: Classification): Advice {
  const base = BY_CATEGORY[classification.category];
  const specific = classification.errorCode === null ? undefined : BY_CODE[classification.errorCode];
  return { fixes: specific === undefined ? base.fixes : [specific, ...base.fixes], docs: base.docs };
}
