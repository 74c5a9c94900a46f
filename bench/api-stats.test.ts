import { describe, expect, it } from 'vitest';
import { fmtMs, formatColumns, pooledP99, summarize } from './api-stats.js';

describe('summarize', () => {
  it('gives nearest-rank percentiles, the maximum and the rate over the wall time', () => {
    const latenciesMs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    const figures = summarize({ latenciesMs, errors: 3, elapsedMs: 2_000 });
    expect(figures).toEqual({ requests: 100, errors: 3, p50Ms: 50, p99Ms: 99, maxMs: 100, perSecond: 50 });
  });

  it('has no percentiles for a run without requests', () => {
    expect(summarize({ latenciesMs: [], errors: 0, elapsedMs: 0 })).toMatchObject({
      requests: 0,
      p99Ms: undefined,
      perSecond: 0,
    });
  });
});

describe('pooledP99', () => {
  it('takes the p99 over all requests of the runs, not a mean of their p99s', () => {
    const fast = { latenciesMs: Array.from({ length: 990 }, () => 1), errors: 0, elapsedMs: 1 };
    const slow = { latenciesMs: Array.from({ length: 10 }, () => 500), errors: 0, elapsedMs: 1 };
    expect(pooledP99([fast, slow])).toBe(1);
    expect(pooledP99([fast, { ...slow, latenciesMs: [...slow.latenciesMs, 500] }])).toBe(500);
  });
});

describe('the table', () => {
  it('prints aligned columns, the first to the left', () => {
    const lines = formatColumns(
      ['route', 'p99 ms'],
      [
        ['GET /api/v1/queues', fmtMs(30)],
        ['q', fmtMs(undefined)],
      ],
    );
    expect(lines).toEqual([
      'route               p99 ms',
      'GET /api/v1/queues    30.0',
      'q                      n/a',
    ]);
  });
});
