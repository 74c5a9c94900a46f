import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient, type ClickHouseAccess } from './clickhouse.js';
import { createTestDatabase, type TestDatabase } from './test-support/helpers.js';

const DDL = (table: string): string => `
  CREATE TABLE ${table} (
    id String, u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64, i32 Int32, i64 Int64, f Float64,
    kind Enum8('task' = 1, 'result' = 2), tags Array(String), maybe Nullable(String),
    day Date MATERIALIZED toDate(toDateTime(intDiv(u64, 1000)))
  ) ENGINE = MergeTree ORDER BY id`;

const ROWS = [
  {
    id: 'a',
    u8: true,
    u16: 65535,
    u32: 4294967295,
    u64: 1_763_950_000_123,
    i32: -7,
    i64: -9_000_000_000,
    f: 0.25,
    kind: 'task',
    tags: ['x', 'y\tz'],
    maybe: null,
  },
  {
    id: 'b "quoted"\n\\ é 😀',
    u8: 0,
    u16: 1,
    u32: 2,
    u64: 3,
    i32: 4,
    i64: 5,
    f: -1e-9,
    kind: 'result',
    tags: [],
    maybe: '{"json": [1, 2]}',
  },
];

describe('RowBinary inserts against the real server', () => {
  let db: TestDatabase;
  let json: ClickHouseAccess;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase('it_rowbinary');
    const client = createClickHouseClient(db.config);
    json = clickHouseAccess(client, { encoding: 'json' });
    close = () => client.close();
    await db.access.command(DDL('via_binary'));
    await db.access.command(DDL('via_json'));
  });

  afterAll(async () => {
    await close();
    await db.drop();
  });

  it('stores exactly what the JSON path stores, materialized columns included', async () => {
    await db.access.insert('via_binary', ROWS);
    await json.insert('via_json', ROWS);
    const read = (table: string) =>
      db.access.query<Record<string, unknown>>(`SELECT *, day FROM ${table} ORDER BY id`);
    const [binary, viaJson] = await Promise.all([read('via_binary'), read('via_json')]);
    expect(binary).toHaveLength(2);
    expect(binary).toEqual(viaJson);
    expect(binary[1]?.id).toBe(ROWS[1]?.id);
    expect(binary[0]?.tags).toEqual(['x', 'y\tz']);
  });

  it('streams a body of many pieces, and a refused value late in it stores nothing and names the column', async () => {
    const big = Array.from({ length: 3_000 }, (_, i) => ({
      ...ROWS[0],
      id: `big-${i}`,
      maybe: 'x'.repeat(2_000),
    }));
    await db.access.insert('via_binary', big);
    const count = async (): Promise<number> =>
      Number(
        (
          await db.access.query<{ n: number | string }>(
            "SELECT count() AS n FROM via_binary WHERE id LIKE 'big-%'",
          )
        )[0]?.n,
      );
    expect(await count()).toBe(3_000);
    const refused = big.map((row, i) => ({
      ...row,
      id: `late-${i}`,
      kind: i === 2_900 ? 'bogus' : 'task',
    }));
    await expect(db.access.insert('via_binary', refused)).rejects.toThrow(
      /insert into via_binary: column kind: "bogus" is not a value of Enum8/,
    );
    const late = await db.access.query<{ n: number | string }>(
      "SELECT count() AS n FROM via_binary WHERE id LIKE 'late-%'",
    );
    expect(Number(late[0]?.n)).toBe(0);
    // the client and the server go on as before
    await db.access.insert('via_binary', [{ ...ROWS[0], id: 'after' }]);
  });

  it('fails with a classified error for a table that does not exist', async () => {
    await expect(db.access.insert('no_such_table', ROWS)).rejects.toMatchObject({
      code: 'CLICKHOUSE_QUERY_FAILED',
    });
  });
});
