import { describe, expect, it } from 'vitest';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { ERRORS, newestFirst } from './newest-page.js';

/** A reader that answers each query with the next canned result and keeps the SQL. */
function scripted(results: unknown[][]): { reader: ClickHouseReader; sql: string[] } {
  const sql: string[] = [];
  return {
    sql,
    reader: {
      query: <T>(text: string): Promise<T[]> => {
        sql.push(text.replace(/\s+/g, ' '));
        return Promise.resolve((results.shift() ?? []) as T[]);
      },
    },
  };
}

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('newestFirst', () => {
  it('widens the window until the page is full, then reads the rows from the fact table within the bound', async () => {
    const { reader, sql } = scripted([
      [{ t: NOW - 10 }], // last minute: 1 of 2
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
    const { reader, sql } = scripted([
      [{ t: NOW - 10 }, { t: NOW - 10 }], // last minute: "full", but the same error twice
      [{ error_id: 'e-2' }], // one row per id within the bound
      [
        { trace_id: 'a', t: NOW - 10, id: 'e-2' },
        { trace_id: 'b', t: NOW - 5 * HOUR, id: 'e-1' },
      ],
      [{ error_id: 'e-2' }, { error_id: 'e-1' }],
    ]);
    const rows = await newestFirst(reader, ERRORS, ['error_id'], ["severity = 'error'"], 2, NOW);
    expect(rows).toHaveLength(2);
    expect(sql[2]).not.toContain('timestamp_ms >=');
    expect(sql[2]).toContain("severity = 'error'");
    expect(sql[3]).toContain('FROM errors_by_trace');
    expect(sql[3]).toContain("IN (('a', 1799999999990, 'e-2'), ('b', 1799982000000, 'e-1'))");
  });

  it('answers an empty page without reading rows', async () => {
    const { reader, sql } = scripted([[], [], [], []]);
    expect(await newestFirst(reader, ERRORS, ['error_id'], [], 51, NOW)).toEqual([]);
    expect(sql).toHaveLength(4);
  });
});
