import { describe, expect, it } from 'vitest';
import { ReadCache } from './cache.js';
import { scriptedReader } from './test-support/scripted-reader.js';
import { ERRORS, newestFirst } from './newest-page.js';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('newestFirst', () => {
  it('answers a page the last minute fills in one query, bounded by the time of its oldest row', async () => {
    const { reader, sql } = scriptedReader([[{ error_id: 'e-2' }, { error_id: 'e-1' }]]);
    const rows = await newestFirst(reader, ERRORS, ['error_id'], ["severity = 'error'"], 2, NOW);
    expect(rows).toEqual([{ error_id: 'e-2' }, { error_id: 'e-1' }]);
    expect(sql).toHaveLength(1);
    expect(sql[0]).toContain(
      `FROM error_facts PREWHERE severity = 'error' AND timestamp_ms >= ${NOW - MINUTE}`,
    );
    expect(sql[0]).toContain(
      `timestamp_ms >= (SELECT min(t) FROM (SELECT timestamp_ms AS t FROM error_facts WHERE severity = 'error' AND timestamp_ms >= ${NOW - MINUTE} ORDER BY t DESC LIMIT 2))`,
    );
    expect(sql[0]).toContain('LIMIT 1 BY error_id LIMIT 2');
  });

  it('widens the window until the page is full, then reads the rows from the fact table within the bound', async () => {
    const { reader, sql } = scriptedReader([
      [{ error_id: 'e-2' }], // last minute: 1 of 2
      [{ t: NOW - 10 }], // last hour: 1 of 2
      [{ t: NOW - 10 }, { t: NOW - 2 * HOUR }], // last day: full
      [{ error_id: 'e-2' }, { error_id: 'e-1' }],
    ]);
    const rows = await newestFirst(reader, ERRORS, ['error_id'], ["severity = 'error'"], 2, NOW);
    expect(rows).toEqual([{ error_id: 'e-2' }, { error_id: 'e-1' }]);
    expect(sql).toHaveLength(4);
    expect(sql[0]).toContain(`timestamp_ms >= ${NOW - MINUTE}`);
    expect(sql[1]).toContain(`timestamp_ms >= ${NOW - HOUR}`);
    expect(sql[2]).toContain(`timestamp_ms >= ${NOW - 24 * HOUR}`);
    // the rows are bounded by the oldest time of the page, one per id, the conditions read first
    expect(sql[3]).toContain('FROM error_facts PREWHERE');
    expect(sql[3]).toContain(`timestamp_ms >= ${NOW - 2 * HOUR}`);
    expect(sql[3]).toContain("severity = 'error'");
    expect(sql[3]).toContain('LIMIT 1 BY error_id LIMIT 2');
  });

  it('reads the keys without any bound, then the rows by key, when unmerged copies of one id filled the window', async () => {
    const { reader, sql } = scriptedReader([
      [{ error_id: 'e-2' }], // last minute: two copies of one error, one row per id
      [{ t: NOW - 10 }, { t: NOW - 10 }], // last hour: "full", but the same error twice
      [{ error_id: 'e-2' }], // one row per id within the bound
      [
        { trace_id: 'a', t: NOW - 10, id: 'e-2' },
        { trace_id: 'b', t: NOW - 5 * HOUR, id: 'e-1' },
      ],
      [{ error_id: 'e-2' }, { error_id: 'e-1' }],
    ]);
    const rows = await newestFirst(reader, ERRORS, ['error_id'], ["severity = 'error'"], 2, NOW);
    expect(rows).toHaveLength(2);
    expect(sql[3]).not.toContain('timestamp_ms >=');
    expect(sql[3]).toContain("severity = 'error'");
    expect(sql[4]).toContain('FROM errors_by_trace');
    expect(sql[4]).toContain("IN (('a', 1799999999990, 'e-2'), ('b', 1799982000000, 'e-1'))");
  });

  it('answers an empty page without reading rows', async () => {
    const { reader, sql } = scriptedReader([[], [], [], []]);
    expect(await newestFirst(reader, ERRORS, ['error_id'], [], 51, NOW)).toEqual([]);
    expect(sql).toHaveLength(4);
  });

  describe('a first page with the bound shared through the read cache', () => {
    const shared = (cache: ReadCache, sinceMs?: number) => ({
      cache,
      where: ["severity = 'error'"],
      sinceMs,
    });

    it('looks for the bound once, then reads every page from it in one query', async () => {
      const cache = new ReadCache({ ttlMs: 60_000 });
      const { reader, sql } = scriptedReader([
        [{ n: 1, t: NOW - 10 }], // last minute: 1 of 2
        [{ n: 2, t: NOW - 2 * HOUR }], // last hour: full... of the last day
        [{ error_id: 'e-2' }, { error_id: 'e-1' }],
        [{ error_id: 'e-3' }, { error_id: 'e-2' }],
      ]);
      const where = ["severity = 'error'"];
      expect(await newestFirst(reader, ERRORS, ['error_id'], where, 2, NOW, shared(cache))).toEqual([
        { error_id: 'e-2' },
        { error_id: 'e-1' },
      ]);
      expect(sql[0]).toContain(
        `SELECT count() AS n, min(t) AS t FROM (SELECT timestamp_ms AS t FROM error_facts WHERE severity = 'error' AND timestamp_ms >= ${NOW - MINUTE} ORDER BY t DESC LIMIT 2)`,
      );
      expect(sql[1]).toContain(`timestamp_ms >= ${NOW - HOUR} ORDER BY t DESC LIMIT 2`);
      // the page's own bound within the shared one, on the time column alone
      const from = `severity = 'error' AND timestamp_ms >= ${NOW - 2 * HOUR}`;
      expect(sql[2]).toContain(
        `FROM error_facts PREWHERE ${from} AND timestamp_ms >= (SELECT min(t) FROM (SELECT timestamp_ms AS t FROM error_facts WHERE ${from} ORDER BY t DESC LIMIT 2)) ORDER BY`,
      );
      // another caller, later: the same bound, and the rows newer than it
      expect(await newestFirst(reader, ERRORS, ['error_id'], where, 2, NOW + 5_000, shared(cache))).toEqual([
        { error_id: 'e-3' },
        { error_id: 'e-2' },
      ]);
      expect(sql).toHaveLength(4);
      expect(sql[3]).toBe(sql[2]);
    });

    it("reads the filter's own range when the bound is older than its since, or too few rows match", async () => {
      const cache = new ReadCache({ ttlMs: 60_000 });
      const since = NOW - MINUTE;
      const { reader, sql } = scriptedReader([
        [{ n: 2, t: NOW - 2 * MINUTE }],
        [{ error_id: 'e-2' }],
        [{ n: 0, t: 0 }],
        [{ n: 1, t: NOW - 1 }],
        [{ n: 1, t: NOW - 1 }],
        [{ n: 1, t: NOW - 1 }],
        [{ error_id: 'e-9' }],
      ]);
      const where = ["severity = 'error'", `timestamp_ms >= ${since}`];
      const page = await newestFirst(reader, ERRORS, ['error_id'], where, 2, NOW, shared(cache, since));
      expect(page).toEqual([{ error_id: 'e-2' }]);
      expect(sql[1]).toContain(`PREWHERE severity = 'error' AND timestamp_ms >= ${since} ORDER BY`);
      const other = { cache, where: ["severity = 'info'"] };
      expect(await newestFirst(reader, ERRORS, ['error_id'], other.where, 2, NOW, other)).toEqual([
        { error_id: 'e-9' },
      ]);
      expect(sql).toHaveLength(7);
      expect(sql[6]).toContain("PREWHERE severity = 'info' ORDER BY");
    });

    it('looks for the page as without the cache when unmerged copies of one id leave it short', async () => {
      const cache = new ReadCache({ ttlMs: 60_000 });
      const { reader, sql } = scriptedReader([
        [{ n: 2, t: NOW - 10 }], // two copies of one error
        [{ error_id: 'e-2' }], // one row per id within the bound
        [{ error_id: 'e-2' }, { error_id: 'e-1' }], // the last minute, as without the cache
      ]);
      const rows = await newestFirst(
        reader,
        ERRORS,
        ['error_id'],
        ["severity = 'error'"],
        2,
        NOW,
        shared(cache),
      );
      expect(rows).toEqual([{ error_id: 'e-2' }, { error_id: 'e-1' }]);
      expect(sql[2]).toContain('(SELECT min(t) FROM');
    });

    it('is not used when the cache is off', async () => {
      const { reader, sql } = scriptedReader([[{ error_id: 'e-2' }, { error_id: 'e-1' }]]);
      await newestFirst(reader, ERRORS, ['error_id'], [], 2, NOW, shared(new ReadCache({ ttlMs: 0 })));
      expect(sql).toHaveLength(1);
      expect(sql[0]).toContain('(SELECT min(t) FROM');
    });
  });
});
