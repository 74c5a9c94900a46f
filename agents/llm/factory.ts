import type { Config } from '../../lib/config.js';
import { OfflineProvider } from './offline.js';
import { OpenAiCompatibleProvider } from './openai.js';
import { createPriceTable, type PriceTable } from './pricing.js';
import type { LlmProvider } from './provider.js';

const DEFAULT_MODELS: Readonly<Record<Config['llm']['provider'], string>> = {
  openai: 'gpt-4o-mini',
  litellm: 'gpt-4o-mini',
  ollama: 'llama3.2',
  offline: 'offline-deterministic',
};

/**
 * The configured model backend: the OpenAI-compatible HTTP provider when a base URL is configured
 * (`LLM_BASE_URL`, `LITELLM_BASE_URL` or `OLLAMA_BASE_URL`), else the offline deterministic one.
 */
export function createLlmProvider(
  config: Config,
  prices: PriceTable = createPriceTable(config.llm.pricesJson),
  offlineLatencyMs?: number,
): LlmProvider {
  const model = config.llm.model ?? DEFAULT_MODELS[config.llm.provider];
  if (config.llm.baseUrl === undefined) {
    return new OfflineProvider({
      model,
      prices,
      ...(offlineLatencyMs === undefined ? {} : { latencyMs: offlineLatencyMs }),
    });
  }
  return new OpenAiCompatibleProvider({
    baseUrl: config.llm.baseUrl,
    model,
    providerName: config.llm.provider,
    ...(config.llm.apiKey === undefined ? {} : { apiKey: config.llm.apiKey }),
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    prices,
  });
}
