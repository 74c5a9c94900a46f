import { z } from 'zod';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';

/** USD per 1,000 tokens. */
export interface ModelPrice {
  prompt_per_1k: number;
  completion_per_1k: number;
}

export type PriceTable = ReadonlyMap<string, ModelPrice>;

/** Prices of common models; `LLM_PRICES` adds to or overrides them. Local models cost nothing. */
const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o': { prompt_per_1k: 0.0025, completion_per_1k: 0.01 },
  'gpt-4o-mini': { prompt_per_1k: 0.00015, completion_per_1k: 0.0006 },
  'gpt-4.1-mini': { prompt_per_1k: 0.0004, completion_per_1k: 0.0016 },
  'claude-3-5-haiku': { prompt_per_1k: 0.0008, completion_per_1k: 0.004 },
  'claude-sonnet-4': { prompt_per_1k: 0.003, completion_per_1k: 0.015 },
  'offline-deterministic': { prompt_per_1k: 0.0001, completion_per_1k: 0.0002 },
};

const PriceSchema = z.record(
  z.string().min(1),
  z.object({ prompt_per_1k: z.number().min(0), completion_per_1k: z.number().min(0) }),
);

/**
 * The price table: defaults plus the JSON object in `overridesJson`
 * (`{"model": {"prompt_per_1k": 0.001, "completion_per_1k": 0.002}}`).
 */
export function createPriceTable(overridesJson: string | undefined): PriceTable {
  const table = new Map(Object.entries(DEFAULT_PRICES));
  if (overridesJson === undefined || overridesJson.trim() === '') return table;
  let parsed: unknown;
  try {
    parsed = JSON.parse(overridesJson);
  } catch (error) {
    throw new TelemetryError(ErrorCode.CONFIG_INVALID, 'LLM_PRICES is not valid JSON', { cause: error });
  }
  const result = PriceSchema.safeParse(parsed);
  if (!result.success) {
    throw new TelemetryError(
      ErrorCode.CONFIG_INVALID,
      `LLM_PRICES: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  for (const [model, price] of Object.entries(result.data)) table.set(model, price);
  return table;
}

/**
 * Cost of a call. A model is priced by its exact name, else by the longest known prefix (so
 * `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`); unknown models cost 0.
 */
export function costOf(
  table: PriceTable,
  model: string,
  promptTokens: number,
  completionTokens: number,
): number {
  let price = table.get(model);
  if (price === undefined) {
    let best = '';
    for (const name of table.keys()) {
      if (model.startsWith(name) && name.length > best.length) best = name;
    }
    price = best === '' ? undefined : table.get(best);
  }
  if (price === undefined) return 0;
  const cost =
    (promptTokens / 1000) * price.prompt_per_1k + (completionTokens / 1000) * price.completion_per_1k;
  return Math.round(cost * 1e8) / 1e8;
}
