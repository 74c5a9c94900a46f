import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedTestDatabase,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { sampleError } from '../../schemas/test-support/fixtures.js';
import { insertErrors } from '../test-support/seed.js';
import { ReadCache } from './cache.js';
import { ErrorsReadModel } from './errors.js';

/**
 * Newest-first pages on real ClickHouse: a page within the last minute is one query, older pages
 * widen their window, and unmerged copies of an error never show twice nor push another out.
 */
let db: TestDatabase;
const token = `np${uniqueToken()}`;
const now = Date.now();
/** Offsets from now, newest first: seven within the last minute, then an hour, a day and older. */
const AGES = [
  1_000,
  5_000,
  9_000,
  20_000,
  30_000,
  40_000,
  50_000,
  2 * 3_600_000,
  5 * 3_600_000,
  30 * 3_600_000,
  50 * 3_600_000,
];
const ids = AGES.map((_, i) => `${token}-e${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  db = await createMigratedTestDatabase('newest_page');
  const errors = AGES.map((age, i) =>
    sampleError({
      error_id: ids[i] ?? '',
      agent_name: `${token}-${i % 2 === 0 ? 'a' : 'b'}`,
      timestamp: now - age,
    }),
  );
  await insertErrors(db.access, errors);
  // a redelivery of two of them, stored in parts of their own until a merge
  await insertErrors(
    db.access,
    errors.filter((_, i) => i === 1 || i === 8),
  );
});

afterAll(async () => {
  await db.drop();
});

describe('newest-first pages', () => {
  it('page through every error once, newest first, whatever the page size', async () => {
    const model = new ErrorsReadModel(db.access, () => now + 100, new ReadCache({ ttlMs: 0 }));
    for (const limit of [1, 3, 4, 7, 20]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await model.page({}, limit, cursor);
        seen.push(...page.items.map((e) => e.error_id).filter((id) => id.startsWith(token)));
        if (page.next_cursor === null) break;
        cursor = page.next_cursor;
      }
      expect(seen, `limit ${limit}`).toEqual(ids);
    }
  });

  it('narrow by agent within each window', async () => {
    const model = new ErrorsReadModel(db.access, () => now + 100, new ReadCache({ ttlMs: 0 }));
    const page = await model.page({ agent: `${token}-b` }, 4);
    expect(page.items.map((e) => e.error_id)).toEqual([ids[1], ids[3], ids[5], ids[7]]);
    const rest = await model.page({ agent: `${token}-b` }, 4, page.next_cursor ?? undefined);
    expect(rest.items.map((e) => e.error_id)).toEqual([ids[9]]);
    expect(rest.next_cursor).toBeNull();
  });

  it('answer first pages from a bound shared through the read cache as without it, newer rows included', async () => {
    const cache = new ReadCache({ ttlMs: 3_600_000 });
    const cached = new ErrorsReadModel(db.access, () => now + 100, cache);
    const live = new ErrorsReadModel(db.access, () => now + 100, new ReadCache({ ttlMs: 0 }));
    const filters = [{}, { agent: `${token}-a` }, { agent: `${token}-b` }, { sinceMs: now - 10 * 3_600_000 }];
    const pageIds = async (model: ErrorsReadModel, filter: object, limit: number) =>
      (await model.page(filter, limit)).items.map((e) => e.error_id).filter((id) => id.startsWith(token));
    for (const filter of filters) {
      for (const limit of [1, 3, 7, 20]) {
        const expected = await pageIds(live, filter, limit);
        // twice: the bound looked for, then taken from the cache
        expect(await pageIds(cached, filter, limit), `${JSON.stringify(filter)} limit ${limit}`).toEqual(
          expected,
        );
        expect(await pageIds(cached, filter, limit), `${JSON.stringify(filter)} limit ${limit}`).toEqual(
          expected,
        );
      }
    }
    // newer errors after the bounds were cached: the first page shows them first
    const newer = [`${token}-n1`, `${token}-n2`];
    await insertErrors(
      db.access,
      newer.map((error_id, i) =>
        sampleError({ error_id, agent_name: `${token}-a`, timestamp: now - 100 * (i + 1) }),
      ),
    );
    expect(await pageIds(cached, { agent: `${token}-a` }, 3)).toEqual([...newer, ids[0]]);
    expect(await pageIds(cached, {}, 4)).toEqual([...newer, ids[0], ids[1]]);
    expect(cache.stats().hits).toBeGreaterThan(0);
  });
});
