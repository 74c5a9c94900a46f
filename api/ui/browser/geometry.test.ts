import { describe, expect, it } from 'vitest';
import { niceMax, polylinePoints } from './geometry.js';

describe('chart geometry', () => {
  it('rounds an axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 38, 120, 5_001].map(niceMax)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 50, 200, 10_000,
    ]);
    expect(niceMax(Number.NaN)).toBe(1);
  });

  it('spreads values over the width with 0 on the bottom edge and the top on the top edge', () => {
    expect(polylinePoints([0, 5, 10], 100, 50, 10)).toBe('0,50 50,25 100,0');
  });

  it('clamps values outside 0..top and draws a single value across the width', () => {
    expect(polylinePoints([-3, 20], 10, 10, 10)).toBe('0,10 10,0');
    expect(polylinePoints([4], 10, 10, 8)).toBe('0,5 10,5');
    expect(polylinePoints([], 10, 10, 8)).toBe('');
  });
});
