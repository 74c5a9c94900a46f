import { describe, expect, it } from 'vitest';
import { PoisonGuard } from './poison-guard.js';

describe('PoisonGuard', () => {
  it('trips only above the ratio and after the minimum number of messages', () => {
    const guard = new PoisonGuard({ window: 10, maxRatio: 0.5, minMessages: 4 });
    expect(guard.record(true)).toBe(false);
    expect(guard.record(true)).toBe(false);
    expect(guard.record(true)).toBe(false);
    expect(guard.record(true)).toBe(true);
  });

  it('forgets messages that slid out of the window', () => {
    const guard = new PoisonGuard({ window: 4, maxRatio: 0.5, minMessages: 4 });
    for (const poison of [true, true, false, false]) guard.record(poison);
    expect(guard.ratio()).toBe(0.5);
    expect(guard.record(false)).toBe(false);
    expect(guard.record(false)).toBe(false);
    expect(guard.ratio()).toBe(0);
    expect(guard.seen).toBe(4);
  });
});
