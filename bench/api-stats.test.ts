import { describe, expect, it } from 'vitest';
import { formatTable, overhead, pooledP99, summarize } from './api-stats.js';

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

describe('overhead and the table', () => {
  const api = summarize({ latenciesMs: [10, 20, 30], errors: 1, elapsedMs: 1_000 });
  const direct = summarize({ latenciesMs: [5, 10, 15], errors: 0, elapsedMs: 1_000 });

  it('divides the API p99 by the direct p99', () => {
    expect(overhead(api, direct)).toBe(2);
    expect(overhead(api, undefined)).toBeUndefined();
  });

  it('prints one aligned line per route with the ratio', () => {
    const lines = formatTable([{ route: 'GET /api/v1/queues', api, direct }]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^route\s+requests\s+errors\s+p50 ms\s+p99 ms\s+max ms\s+req\/s\s+direct p99\s+ratio$/,
    );
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      'GET /api/v1/queues',
      '3',
      '1',
      '20.0',
      '30.0',
      '30.0',
      '3',
      '15.0',
      '2.00',
    ]);
    expect(lines[0]?.length).toBe(lines[1]?.length);
  });
});
