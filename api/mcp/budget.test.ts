import { describe, expect, it } from 'vitest';
import { fitBudget } from './budget.js';

describe('fitBudget', () => {
  it('keeps an answer that fits as it is', () => {
    const value = { a: [1, 2, 3], b: 'short' };
    expect(fitBudget(value, 1_000)).toEqual({ value, truncated: null });
  });

  it('cuts long texts and lists until the answer fits, and says so', () => {
    const value = { errors: Array.from({ length: 200 }, (_v, i) => ({ id: i, stack: 'x'.repeat(2_000) })) };
    const fitted = fitBudget(value, 5_000);
    expect(JSON.stringify(fitted.value).length).toBeLessThanOrEqual(5_000);
    expect(fitted.truncated).toMatch(/narrow the question/);
    const errors = fitted.value.errors as unknown[];
    expect(errors[errors.length - 1]).toMatch(/more items$/);
  });
});
