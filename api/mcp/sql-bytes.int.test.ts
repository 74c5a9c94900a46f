import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../lib/test-support/helpers.js';
import { runSqlQuery } from './sql-query.js';

/**
 * `sql_query` bounded in bytes on both engines: what the API reads of an answer stops at the cap,
 * one huge row included, while the read-only profile's server-side limits stay underneath.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('sqlbytes');
});

afterAll(async () => {
  await db.drop();
});

describe('sql_query byte cap', () => {
  const limits = { maxRows: 1_000, timeoutSeconds: 20, maxBytes: 100_000 };

  it('returns the rows that fit and says it stopped at max_bytes', async () => {
    const answer = await runSqlQuery(
      db.config,
      `SELECT number, '${'x'.repeat(100)}' AS pad FROM system.numbers LIMIT 5000`,
      limits,
    );
    expect(answer.truncated_by).toBe('max_bytes');
    expect(answer.rows_truncated).toBe(true);
    expect(answer.bytes).toBeLessThanOrEqual(100_000);
    expect(answer.row_count).toBeGreaterThan(500);
    expect(answer.row_count).toBeLessThan(1_000);
    expect(answer.limits).toMatchObject({ max_bytes: 100_000, max_rows: 1_000 });
  });

  it('stops reading a single row larger than the cap (groupArray of everything)', async () => {
    const answer = await runSqlQuery(
      db.config,
      'SELECT groupArray(number) AS all FROM (SELECT number FROM system.numbers LIMIT 200000)',
      limits,
    );
    expect(answer).toMatchObject({ row_count: 0, rows: [], truncated_by: 'max_bytes', bytes: 0 });
  });

  it('returns small answers whole, and stops at max_rows before the bytes', async () => {
    const small = await runSqlQuery(db.config, 'SELECT number FROM system.numbers LIMIT 3', limits);
    expect(small).toMatchObject({ row_count: 3, truncated_by: null, rows_truncated: false });
    const many = await runSqlQuery(db.config, 'SELECT number FROM system.numbers LIMIT 5000', {
      ...limits,
      maxRows: 10,
    });
    expect(many).toMatchObject({ row_count: 10, truncated_by: 'max_rows' });
  });
});
