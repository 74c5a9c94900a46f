import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedTestDatabase,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { sampleError } from '../../schemas/test-support/fixtures.js';
import { insertErrors } from '../test-support/seed.js';
import { ReadCache } from './cache.js';
import { ErrorsReadModel, type ErrorFilter } from './errors.js';

/**
 * Error totals over a time bound, which share their whole minutes through the cache and count the
 * part-minutes at the ends for each caller: the same number as one count over the bound, on real
 * ClickHouse, wherever the bound falls.
 */
let db: TestDatabase;
const token = `tot${uniqueToken()}`;
/** A minute boundary; every error below is placed around it. */
const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const agent = `${token}-a`;
const other = `${token}-b`;
let seq = 0;

async function report(
  offsetMs: number,
  who = agent,
  severity: 'error' | 'critical' = 'error',
): Promise<void> {
  await insertErrors(db.access, [
    sampleError({ error_id: `${token}-e${seq++}`, agent_name: who, severity, timestamp: minute + offsetMs }),
  ]);
}

/** The count the split must equal: one query over the whole bound. */
const uncached = (): ErrorsReadModel =>
  new ErrorsReadModel(db.access, () => minute + 600_000, new ReadCache({ ttlMs: 0 }));

beforeAll(async () => {
  db = await createMigratedTestDatabase('errors_total');
  for (const offset of [-30_000, 10_000, 50_000, 70_000, 125_000, 179_999, 180_000]) await report(offset);
  await report(50_000, other);
  await report(70_000, agent, 'critical');
});

afterAll(async () => {
  await db.drop();
});

describe('error totals over a time bound', () => {
  it('equal one count over the bound wherever it falls in a minute', async () => {
    const cache = new ReadCache({ ttlMs: 60_000 });
    const split = new ErrorsReadModel(db.access, () => minute + 600_000, cache);
    const bounds: [number | undefined, number | undefined][] = [
      [minute, undefined],
      [minute + 20_000, undefined],
      [minute + 20_000, minute + 100_000],
      [minute + 20_000, minute + 40_000],
      [minute + 20_000, minute + 55_000],
      [undefined, minute + 125_000],
      [undefined, minute + 125_001],
      [minute - 45_000, minute + 180_000],
      [minute + 179_999, minute + 180_001],
    ];
    const expected = [8, 7, 4, 0, 2, 6, 7, 8, 2];
    for (const [i, [sinceMs, untilMs]] of bounds.entries()) {
      const filter: ErrorFilter = { sinceMs, untilMs };
      const exact = await uncached().total(filter);
      expect(exact, JSON.stringify(filter)).toBe(expected[i]);
      expect(await split.total(filter), JSON.stringify(filter)).toBe(exact);
      // with the other filters as well
      for (const narrower of [{ agent }, { severity: 'critical' as const }, { agent: other }]) {
        const more = { ...filter, ...narrower };
        expect(await split.total(more), JSON.stringify(more)).toBe(await uncached().total(more));
      }
    }
  });

  it('share the whole minutes between callers in the same minute and count the ends for each', async () => {
    const cache = new ReadCache({ ttlMs: 60_000 });
    const split = new ErrorsReadModel(db.access, () => minute + 600_000, cache);
    const filter = { agent: other, sinceMs: minute + 20_000 };
    expect(await split.total(filter)).toBe(1);
    const before = cache.stats().misses;
    // one error in the part-minute of the bound, one in its whole minutes
    await report(30_000, other);
    await report(130_000, other);
    // a caller later in the same minute: its own part-minute is counted now, the whole minutes come
    // from the cache (up to its TTL old, like every shared count)
    expect(await split.total({ ...filter, sinceMs: minute + 25_000 })).toBe(2);
    expect(cache.stats().misses).toBe(before);
    expect(await uncached().total({ ...filter, sinceMs: minute + 25_000 })).toBe(3);
  });
});
