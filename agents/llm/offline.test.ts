import { describe, expect, it } from 'vitest';
import { LlmError } from './provider.js';
import { OfflineProvider } from './offline.js';
import { createPriceTable, costOf } from './pricing.js';

describe('offline provider', () => {
  const model = new OfflineProvider({ prices: createPriceTable(undefined), latencyMs: 1 });

  it('answers the same request the same way, with usage and cost', async () => {
    const request = {
      purpose: 'research' as const,
      messages: [{ role: 'user' as const, content: 'Goal: explain consumer lag' }],
    };
    const calls: unknown[] = [];
    const a = await model.complete(request, { onCall: (c) => calls.push(c) });
    const b = await model.complete(request);
    expect(a.text).toBe(b.text);
    expect(a.text).toContain('Findings on explain consumer');
    expect(a.promptTokens).toBeGreaterThan(0);
    expect(a.completionTokens).toBeGreaterThan(0);
    expect(a.costUsd).toBe(
      costOf(createPriceTable(undefined), 'offline-deterministic', a.promptTokens, a.completionTokens),
    );
    expect(calls).toEqual([
      expect.objectContaining({ model: 'offline-deterministic', provider: 'offline', status: 'ok' }),
    ]);
  });

  it('writes code the evaluator can run, and a JSON verdict', async () => {
    const code = await model.complete({
      purpose: 'code',
      messages: [{ role: 'user', content: 'Goal: count these words' }],
    });
    expect(code.text).toMatch(/^```js\n[\s\S]*return \{ words: words.length/);
    const review = await model.complete({
      purpose: 'review',
      messages: [{ role: 'user', content: 'Goal: x\n## Summary' }],
    });
    expect(JSON.parse(review.text)).toMatchObject({ verdict: 'approve' });
  });

  it('stops on abort and reports a timeout when the signal timed out', async () => {
    const slow = new OfflineProvider({ prices: createPriceTable(undefined), latencyMs: 5_000 });
    const statuses: string[] = [];
    const call = slow.complete(
      { purpose: 'write', messages: [{ role: 'user', content: 'Goal: x' }] },
      { signal: AbortSignal.timeout(20), onCall: (c) => statuses.push(c.status) },
    );
    await expect(call).rejects.toBeInstanceOf(LlmError);
    await expect(call).rejects.toMatchObject({ code: 'timeout' });
    expect(statuses).toEqual(['timeout']);
  });

  it('prices models by exact name, then longest prefix, with overrides', () => {
    const table = createPriceTable('{"my-model": {"prompt_per_1k": 1, "completion_per_1k": 2}}');
    expect(costOf(table, 'my-model', 1000, 500)).toBe(2);
    expect(costOf(table, 'gpt-4o-mini-2024-07-18', 1000, 0)).toBe(0.00015);
    expect(costOf(table, 'unknown', 1000, 1000)).toBe(0);
    expect(() => createPriceTable('{"x": {"prompt_per_1k": -1}}')).toThrow(/LLM_PRICES/);
  });
});
