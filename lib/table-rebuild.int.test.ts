import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildTable, type RebuildOptions } from './table-rebuild.js';
import { serverRelease } from './migrations.js';
import { createTestDatabase, testLogger, type TestDatabase } from './test-support/helpers.js';

/**
 * A table rebuilt in a new layout on the real servers while rows keep arriving: none is lost, the
 * views reading it follow it, two runs at once rebuild it once, and a run that died midway is
 * finished by the next.
 */
let db: TestDatabase;
let before20 = false;

beforeAll(async () => {
  db = await createTestDatabase('rebuild');
  before20 = (await serverRelease(db.access))[0] < 20;
});

afterAll(async () => {
  await db.drop();
});

const replacement = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table}__rebuild AS ${table}
   ENGINE = ReplacingMergeTree(v) ORDER BY id SETTINGS index_granularity = 1024`;

async function createSource(table: string): Promise<void> {
  await db.access.command(
    `CREATE TABLE ${table} (id String, v UInt64, day Date MATERIALIZED toDate(intDiv(v, 1000)))
     ENGINE = ReplacingMergeTree(v) ORDER BY id`,
  );
  await db.access.command(`CREATE TABLE ${table}_seen (id String) ENGINE = MergeTree ORDER BY id`);
  await db.access.command(
    `CREATE MATERIALIZED VIEW ${table}_seen_mv TO ${table}_seen AS SELECT id FROM ${table}`,
  );
}

const rows = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${from + i}`, v: 1_800_000_000_000 + from + i }));

async function scalar(sql: string): Promise<string> {
  const result = await db.access.query<{ x: string | number }>(sql);
  return String(result[0]?.x);
}

async function leftovers(table: string): Promise<string[]> {
  const result = await db.access.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, '${table}__')`,
  );
  return result.map((r) => r.name);
}

describe('rebuilding a table in a new layout', () => {
  it('loses no row inserted meanwhile, keeps its views, and runs once when asked twice at once', async () => {
    await createSource('rb');
    await db.access.insert('rb', rows('a', 0, 20_000));
    let sent = 20_000;
    const writing = { stop: false };
    // a writer that keeps inserting, and inserts a batch again when the table is briefly missing
    const writer = (async () => {
      while (!writing.stop) {
        const batch = rows('a', sent, 200);
        for (;;) {
          try {
            await db.access.insert('rb', batch);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        sent += batch.length;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const options: RebuildOptions = {
      database: db.access,
      table: 'rb',
      create: replacement('rb'),
      before20,
      logger: testLogger(),
    };
    const before = sent;
    const outcomes = await Promise.all([rebuildTable(options), rebuildTable(options)]);
    // rows arrived while it was rebuilt, and a few more batches go into the rebuilt table
    const after = sent;
    expect(after).toBeGreaterThan(before);
    while (sent < after + 1_000) await new Promise((resolve) => setTimeout(resolve, 20));
    writing.stop = true;
    await writer;
    expect([...outcomes].sort()).toEqual(['already', 'rebuilt']);
    expect(
      await scalar(
        `SELECT engine_full AS x FROM system.tables WHERE database = currentDatabase() AND name = 'rb'`,
      ),
    ).toContain('index_granularity = 1024');
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rb'))).toBe(sent);
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rb_seen'))).toBe(sent);
    expect(
      Number(await scalar(`SELECT count() AS x FROM rb WHERE day = toDate(intDiv(v, 1000))`)),
    ).toBeGreaterThanOrEqual(sent);
    expect(await leftovers('rb')).toEqual([]);
    expect(await rebuildTable(options)).toBe('already');
  }, 120_000);

  it('finishes a run that died after copying, and one that died after the swap', async () => {
    await createSource('rc');
    await db.access.insert('rc', rows('c', 0, 5_000));
    const options: RebuildOptions = {
      database: db.access,
      table: 'rc',
      create: replacement('rc'),
      before20,
      logger: testLogger(),
    };
    // died after the copy: the replacement and the copying view are there, some rows copied
    await db.access.command(replacement('rc'));
    await db.access.command(
      `CREATE MATERIALIZED VIEW rc__rebuild_copy TO rc__rebuild AS SELECT *${before20 ? ', day' : ''} FROM rc`,
    );
    await db.access.command('INSERT INTO rc__rebuild SELECT * FROM rc WHERE v % 2 = 0');
    await db.access.insert('rc', rows('c', 5_000, 100));
    expect(await rebuildTable(options)).toBe('rebuilt');
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rc'))).toBe(5_100);
    expect(await leftovers('rc')).toEqual([]);
    // died after the swap: the old table is still there under the replacement's name
    await db.access.command('CREATE TABLE rc__rebuild AS rc ENGINE = ReplacingMergeTree(v) ORDER BY id');
    expect(await rebuildTable(options)).toBe('already');
    expect(await leftovers('rc')).toEqual([]);
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rc'))).toBe(5_100);
  }, 60_000);

  it('refuses a statement that does not create the replacement', async () => {
    await expect(
      rebuildTable({
        database: db.access,
        table: 'rd',
        create: 'CREATE TABLE rd_other (x UInt8) ENGINE = Memory',
        before20,
        logger: testLogger(),
      }),
    ).rejects.toThrow(/CREATE TABLE IF NOT EXISTS rd__rebuild/);
  });
});
