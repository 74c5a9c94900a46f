import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('token bucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([1, 2, 3, 4].map(() => bucket.tryTake())).toEqual([true, true, true, false]);
    now = 400; // 0.8 tokens
    expect(bucket.tryTake()).toBe(false);
    now = 500; // 1 token
    expect(bucket.tryTake()).toBe(true);
    now = 60_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => bucket.tryTake())).toEqual([true, true, true, false]);
  });

  it('counts forced takes against the budget, down to minus the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(1, 2, () => now);
    for (let i = 0; i < 10; i++) bucket.forceTake();
    expect(bucket.tokens).toBe(-2);
    now = 3_000;
    expect(bucket.canTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });
});
