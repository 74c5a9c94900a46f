import { z } from 'zod';
import { defineSlice, positiveInt } from './slice.js';

/** Which backend the LLM base URL came from. */
export type LlmBackend = 'openai' | 'litellm' | 'ollama' | 'offline';

/** `/v1` appended unless the URL already ends with it (Ollama and LiteLLM are given as host URLs). */
function withV1(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** The agents' model: an OpenAI-compatible backend, or the offline deterministic one. */
export const llmSlice = defineSlice({
  name: 'llm',
  title: 'LLM',
  summary: 'Read by the agents (`agents run`).',
  variables: {
    LLM_BASE_URL: z.url().optional().meta({
      description:
        'OpenAI-compatible base URL including `/v1` (OpenAI, vLLM, a LiteLLM proxy); unset with the two below: the offline deterministic model',
    }),
    LITELLM_BASE_URL: z
      .url()
      .optional()
      .describe('LiteLLM proxy host URL (`/v1` appended), used when `LLM_BASE_URL` is unset'),
    OLLAMA_BASE_URL: z
      .url()
      .optional()
      .describe(
        'Ollama host URL (`/v1` appended), used when `LLM_BASE_URL` and `LITELLM_BASE_URL` are unset',
      ),
    LLM_API_KEY: z.string().optional().describe('bearer token of the LLM backend'),
    LLM_MODEL: z.string().min(1).optional().meta({
      description: 'model name',
      unset: 'per backend: `gpt-4o-mini`, `llama3.2` for Ollama, `offline-deterministic` offline',
    }),
    LLM_TIMEOUT_MS: positiveInt(30_000, 600_000).describe('per-attempt timeout'),
    LLM_MAX_RETRIES: z.coerce
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('retries on 429, 5xx, timeouts and network failures'),
    LLM_PRICES: z
      .string()
      .optional()
      .describe(
        'JSON price overrides, USD per 1,000 tokens: `{"model": {"prompt_per_1k": 0.001, "completion_per_1k": 0.002}}`',
      ),
  },
  build: (e) => ({
    /** OpenAI-compatible base URL (with `/v1`); undefined selects the offline provider. */
    baseUrl:
      e.LLM_BASE_URL?.replace(/\/+$/, '') ??
      (e.LITELLM_BASE_URL === undefined ? undefined : withV1(e.LITELLM_BASE_URL)) ??
      (e.OLLAMA_BASE_URL === undefined ? undefined : withV1(e.OLLAMA_BASE_URL)),
    provider: backendOf(e),
    apiKey: e.LLM_API_KEY,
    model: e.LLM_MODEL,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxRetries: e.LLM_MAX_RETRIES,
    /** JSON price table overrides (USD per 1,000 tokens per model). */
    pricesJson: e.LLM_PRICES,
  }),
});

function backendOf(e: {
  LLM_BASE_URL?: string | undefined;
  LITELLM_BASE_URL?: string | undefined;
  OLLAMA_BASE_URL?: string | undefined;
}): LlmBackend {
  if (e.LLM_BASE_URL !== undefined) return 'openai';
  if (e.LITELLM_BASE_URL !== undefined) return 'litellm';
  return e.OLLAMA_BASE_URL !== undefined ? 'ollama' : 'offline';
}

export type LlmConfig = z.output<typeof llmSlice.schema>;
