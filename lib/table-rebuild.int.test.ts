import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPartsAfter, rebuildTable, type RebuildOptions } from './table-rebuild.js';
import { createTestDatabase, testLogger, type TestDatabase } from './test-support/helpers.js';

/**
 * A table rebuilt in a new layout on the real servers while rows keep arriving: none is lost, the
 * views reading it follow it, two runs at once rebuild it once, and a run that died midway is
 * finished by the next.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rebuild');
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

/**
 * `table` as the processors write task_lifecycle: inserts go into `<table>_in` (Null), whose view
 * aggregates them into the table, taking `secondsPerRow` a row (so that an insert lasts a while).
 */
async function createViewFed(table: string, secondsPerRow: number): Promise<void> {
  await db.access.command(`CREATE TABLE ${table}_in (id String, v UInt64) ENGINE = Null`);
  await db.access.command(
    `CREATE TABLE ${table} (id String, v AggregateFunction(max, UInt64))
     ENGINE = AggregatingMergeTree() ORDER BY id`,
  );
  await db.access.command(
    `CREATE MATERIALIZED VIEW ${table}_mv TO ${table} AS
     SELECT id, maxState(v) AS v FROM ${table}_in WHERE sleepEachRow(${secondsPerRow}) = 0 GROUP BY id`,
  );
}

/** The rebuild of a table made by createViewFed into 1,024-row granules. */
const viewFedReplacement = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table}__rebuild AS ${table}
   ENGINE = AggregatingMergeTree() ORDER BY id SETTINGS index_granularity = 1024`;

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

/**
 * Runs `rebuild` while two writers insert batches of 100 rows (`<prefix>-<n>` from `from` on) into
 * `into`, inserting a batch again when the table is briefly missing; the first row of each batch
 * written, once the rebuild has ended and the writers stopped 200 ms later.
 */
async function writeDuring(
  into: string,
  prefix: string,
  from: number,
  rebuild: () => Promise<unknown>,
): Promise<number[]> {
  let next = from;
  const writing = { stop: false };
  const written: number[] = [];
  const writers = [0, 1].map(async () => {
    while (!writing.stop) {
      const first = next;
      next += 100;
      for (;;) {
        try {
          await db.access.insert(into, rows(prefix, first, 100));
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      written.push(first);
    }
  });
  await rebuild();
  await new Promise((resolve) => setTimeout(resolve, 200));
  writing.stop = true;
  await Promise.all(writers);
  return written;
}

describe('rebuilding a table in a new layout', () => {
  it('loses no row inserted meanwhile, keeps its views, and runs once when asked twice at once', async () => {
    await createSource('rb');
    await db.access.insert('rb', rows('a', 0, 20_000));
    let sent = 20_000;
    const writing = { stop: false };
    // a writer that keeps inserting, and inserts a batch again when the table is briefly missing
    const batches: { start: number; end: number }[] = [];
    const writer = (async () => {
      while (!writing.stop) {
        const batch = rows('a', sent, 200);
        const start = Date.now();
        for (;;) {
          try {
            await db.access.insert('rb', batch);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        batches.push({ start, end: Date.now() });
        sent += batch.length;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const options: RebuildOptions = {
      database: db.access,
      table: 'rb',
      create: replacement('rb'),
      logger: testLogger(),
    };
    const rebuildStart = Date.now();
    const outcomes = await Promise.all([rebuildTable(options), rebuildTable(options)]);
    const rebuildEnd = Date.now();
    // a few more batches go into the rebuilt table
    const after = sent;
    while (sent < after + 1_000) await new Promise((resolve) => setTimeout(resolve, 20));
    writing.stop = true;
    await writer;
    // inserts were under way while it was rebuilt
    expect(batches.some((b) => b.start < rebuildEnd && b.end > rebuildStart)).toBe(true);
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

  it('loses no row over repeated rebuilds while two writers insert', async () => {
    // the copy, the swap and the inserts that began before it meet in different orders each time
    for (let k = 0; k < 6; k++) {
      const table = `rs${k}`;
      await createSource(table);
      await db.access.insert(table, rows('s', 0, 20_000));
      const written = await writeDuring(table, 's', 20_000, () =>
        rebuildTable({ database: db.access, table, create: replacement(table), logger: testLogger() }),
      );
      const stored = new Set(
        (await db.access.query<{ id: string }>(`SELECT DISTINCT id FROM ${table}`)).map((r) => r.id),
      );
      expect(
        written.filter((from) => !stored.has(`s-${from}`)),
        `batches missing from ${table}`,
      ).toEqual([]);
    }
  }, 120_000);

  it('loses no row of a table its materialized view writes into, over repeated rebuilds', async () => {
    // the view takes 50 ms a batch, so that inserts into the Null table span the swap
    for (let k = 0; k < 4; k++) {
      const table = `rv${k}`;
      await createViewFed(table, 0.0005);
      await db.access.command(
        `INSERT INTO ${table} SELECT id, maxState(v) AS v
         FROM (SELECT concat('v-', toString(number)) AS id, number AS v FROM numbers(20000)) GROUP BY id`,
      );
      const written = await writeDuring(`${table}_in`, 'v', 20_000, () =>
        rebuildTable({ database: db.access, table, create: viewFedReplacement(table), logger: testLogger() }),
      );
      const stored = new Set(
        (await db.access.query<{ id: string }>(`SELECT id FROM ${table} GROUP BY id`)).map((r) => r.id),
      );
      expect(
        written.filter((from) => !stored.has(`v-${from}`)),
        `batches missing from ${table}`,
      ).toEqual([]);
      expect(stored.size).toBe(20_000 + written.length * 100);
      expect(await leftovers(table)).toEqual([]);
    }
  }, 120_000);

  it('waits for an insert through a view that began before the swap', async () => {
    // the view finds its target as the insert into its source begins: on an Atomic database an
    // insert running at the swap goes on into the old table, whose parts are copied once it ends
    await createViewFed('rw', 0.02);
    const slow = db.access.command(
      `INSERT INTO rw_in SELECT concat('w-', toString(number)) AS id, number AS v FROM numbers(100)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rebuildTable({
      database: db.access,
      table: 'rw',
      create: viewFedReplacement('rw'),
      logger: testLogger(),
    });
    await slow;
    expect(Number(await scalar('SELECT count() AS x FROM (SELECT id FROM rw GROUP BY id)'))).toBe(100);
    expect(await leftovers('rw')).toEqual([]);
  }, 60_000);

  it('finishes a run that died after copying, and one that died after the swap', async () => {
    await createSource('rc');
    await db.access.insert('rc', rows('c', 0, 5_000));
    const options: RebuildOptions = {
      database: db.access,
      table: 'rc',
      create: replacement('rc'),
      logger: testLogger(),
    };
    // died after copying some rows, before the swap
    await db.access.command(replacement('rc'));
    await db.access.command('INSERT INTO rc__rebuild SELECT * FROM rc WHERE v % 2 = 0');
    await db.access.insert('rc', rows('c', 5_000, 100));
    expect(await rebuildTable(options)).toBe('rebuilt');
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rc'))).toBe(5_100);
    expect(await leftovers('rc')).toEqual([]);
    // died after the swap: the old table, with rows the new one lacks, under the replacement's name
    await db.access.command('CREATE TABLE rc__rebuild AS rc ENGINE = ReplacingMergeTree(v) ORDER BY id');
    await db.access.insert('rc__rebuild', rows('c', 5_100, 50));
    expect(await rebuildTable(options)).toBe('already');
    expect(await leftovers('rc')).toEqual([]);
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rc'))).toBe(5_150);
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rc_seen'))).toBe(5_150);
  }, 60_000);

  it('copies the parts after the mark once the old table stops merging, or all of it when refused', async () => {
    // a merge that ends between naming the parts and reading them would hide their rows, so the
    // old table's merges are stopped before the copy; it is dropped next
    await db.access.command(
      'CREATE TABLE rm (id String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY id',
    );
    await db.access.command('CREATE TABLE rm_old AS rm');
    await db.access.command('SYSTEM STOP MERGES rm_old');
    await db.access.insert('rm_old', rows('m', 0, 100));
    await db.access.insert('rm_old', rows('m', 100, 100));
    const mark = Number(
      await scalar(
        `SELECT max(max_block_number) AS x FROM system.parts WHERE database = currentDatabase() AND table = 'rm_old'`,
      ),
    );
    for (let i = 0; i < 5; i++) await db.access.insert('rm_old', rows('m', 200 + i * 100, 100));
    // every row after the mark; one before it only in a part merged across the mark
    await db.access.command('SYSTEM START MERGES rm_old');
    await copyPartsAfter({ database: db.access, table: 'rm', logger: testLogger() }, 'rm_old', mark);
    expect(
      Number(await scalar(`SELECT uniqExact(id) AS x FROM rm WHERE v >= ${rows('m', 200, 1)[0]?.v}`)),
    ).toBe(500);
    await expect(db.access.command('OPTIMIZE TABLE rm_old FINAL')).rejects.toThrow(/cancel|abort/i);
    // a user refused SYSTEM STOP MERGES: every row of the old table is copied
    const refused: RebuildOptions['database'] = {
      query: (sql) => db.access.query(sql),
      command: async (sql) => {
        if (sql.startsWith('SYSTEM')) throw new Error('Code: 497. DB::Exception: Not enough privileges');
        return db.access.command(sql);
      },
    };
    await db.access.command('TRUNCATE TABLE rm');
    await copyPartsAfter({ database: refused, table: 'rm', logger: testLogger() }, 'rm_old', mark);
    expect(Number(await scalar('SELECT uniqExact(id) AS x FROM rm'))).toBe(700);
  });

  it('refuses a statement that does not create the replacement', async () => {
    await expect(
      rebuildTable({
        database: db.access,
        table: 'rd',
        create: 'CREATE TABLE rd_other (x UInt8) ENGINE = Memory',
        logger: testLogger(),
      }),
    ).rejects.toThrow(/CREATE TABLE IF NOT EXISTS rd__rebuild/);
  });
});
