import { describe, expect, it } from 'vitest';
import { windowCpu } from './api-query-log.js';

describe('windowCpu', () => {
  it('counts the queries that started in the window, its last second excluded', () => {
    const bySecond = new Map([
      [99, 5],
      [100, 0.25],
      [101, 0.5],
      [102, 7],
    ]);
    expect(windowCpu(bySecond, { fromSecond: 100, toSecond: 102 })).toBe(0.75);
    // the next window starts where this one ended: no second is counted twice
    expect(windowCpu(bySecond, { fromSecond: 102, toSecond: 103 })).toBe(7);
    expect(windowCpu(bySecond, { fromSecond: 103, toSecond: 104 })).toBe(0);
  });
});
