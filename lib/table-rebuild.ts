import { setTimeout as sleep } from 'node:timers/promises';
import { clickHouseErrorCode, type ClickHouseExecutor, type ClickHouseReader } from './clickhouse.js';
import { ErrorCode, TelemetryError } from './errors.js';
import type { Logger } from './logger.js';
import { quoteIdentifier, quoteString } from './sql.js';

/**
 * Rebuilds a table in a new layout (a setting ClickHouse cannot change in place, such as
 * `index_granularity`) while its writers go on, losing nothing:
 *
 * 1. the replacement `<table>__rebuild` is created by the migration's statement;
 * 2. the table's newest block number is noted: every part it has then is in the copy of step 3,
 *    and every later insert gets a greater number (a part gets its number as it becomes visible);
 * 3. the stored rows are copied (`INSERT … SELECT`);
 * 4. the two swap names (`EXCHANGE TABLES` in an Atomic database; three `RENAME`s in one statement
 *    in an Ordinary one, as on ClickHouse 18.16): the views that read or write the table follow its
 *    name on both releases, so they go on with the new one;
 * 5. once the inserts running then have ended (one that began before the swap writes into the old
 *    table) and the old table's merges are stopped and over, its parts numbered after step 2 are
 *    copied into the new one;
 * 6. the old table is dropped.
 *
 * A row can be copied twice (a part merged across the mark), so the table's engine must fold
 * copies of a row as it folds a redelivery (ReplacingMergeTree, or aggregates such as max and
 * uniqExact). Every step can run again: a run that died midway is finished by the next one; one
 * that died after the swap left the old table under the replacement's name, and the next run copies
 * all of it again before dropping it. Runs on one database take turns through a lock table
 * (`<table>__rebuild_lock`, created without IF NOT EXISTS): every processor runs the migrations at
 * start, and a second swap would undo the first.
 *
 * During the swap on 18.16 an insert can find no table for an instant; the processors take that
 * for a fault of the deployment, restart, and read the batch again.
 */
export interface RebuildOptions {
  database: ClickHouseExecutor & ClickHouseReader;
  table: string;
  /** `CREATE TABLE IF NOT EXISTS <table>__rebuild …`: the replacement, in the new layout. */
  create: string;
  logger: Logger;
  /** How long to wait for another run's lock before failing. Default 10 minutes. */
  lockWaitMs?: number;
  /**
   * How long to wait for the inserts running at the swap to end, and then for the old table's
   * merges. Default 60 s.
   */
  insertWaitMs?: number;
}

export type RebuildOutcome = 'rebuilt' | 'already';

const POLL_MS = 250;
/** An optional database before a table's name in SQL text: `db.`, `` `my-db`. `` or `"my-db".`. */
const QUALIFIER = '(?:(?:\\w+|`[^`]+`|"[^"]+")\\.)?';
const TABLE_ALREADY_EXISTS = '57';

export function rebuildNames(table: string): {
  replacement: string;
  lock: string;
  layout: string;
  swap: string;
} {
  return {
    replacement: `${table}__rebuild`,
    lock: `${table}__rebuild_lock`,
    layout: `${table}__rebuild_layout`,
    swap: `${table}__rebuild_swap`,
  };
}

export async function rebuildTable(options: RebuildOptions): Promise<RebuildOutcome> {
  const { database, table, logger } = options;
  const names = rebuildNames(table);
  if (
    !new RegExp(`^CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+${names.replacement}\\s`).test(options.create)
  ) {
    throw new TelemetryError(
      ErrorCode.MIGRATION_FAILED,
      `a rebuild of ${table} must be a CREATE TABLE IF NOT EXISTS ${names.replacement} statement`,
    );
  }
  await acquireLock(options, names.lock);
  try {
    return await rebuildLocked(options, names);
  } finally {
    await database.command(`DROP TABLE IF EXISTS ${quoteIdentifier(names.lock)}`).catch((error: unknown) => {
      logger.warn({ table, lock: names.lock, err: error }, 'could not drop the rebuild lock');
    });
  }
}

async function acquireLock(options: RebuildOptions, lock: string): Promise<void> {
  const deadline = Date.now() + (options.lockWaitMs ?? 600_000);
  let told = false;
  for (;;) {
    try {
      await options.database.command(`CREATE TABLE ${quoteIdentifier(lock)} (at DateTime) ENGINE = Log`);
      return;
    } catch (error) {
      if (clickHouseErrorCode(error) !== TABLE_ALREADY_EXISTS) throw error;
    }
    if (Date.now() > deadline) {
      throw new TelemetryError(
        ErrorCode.MIGRATION_FAILED,
        `${options.table} is being rebuilt by another migration run, or a run was interrupted: once no ` +
          `migration runs, DROP TABLE ${lock} and run the migrations again (the rebuild resumes)`,
      );
    }
    if (!told) {
      options.logger.info(
        { table: options.table, lock },
        'waiting for another migration run rebuilding the table',
      );
      told = true;
    }
    await sleep(POLL_MS);
  }
}

async function engineOf(database: ClickHouseReader, table: string): Promise<string | undefined> {
  const rows = await database.query<{ engine_full: string }>(
    `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = ${quoteString(table)}`,
  );
  return rows[0]?.engine_full;
}

async function rebuildLocked(
  options: RebuildOptions,
  names: ReturnType<typeof rebuildNames>,
): Promise<RebuildOutcome> {
  const { database, table, logger } = options;
  const id = quoteIdentifier;
  // the layout wanted, from an empty table made by the same statement
  await database.command(`DROP TABLE IF EXISTS ${id(names.layout)}`);
  await database.command(options.create.replace(names.replacement, names.layout));
  const wanted = await engineOf(database, names.layout);
  await database.command(`DROP TABLE ${id(names.layout)}`);
  const current = await engineOf(database, table);
  if (current === undefined) {
    throw new TelemetryError(ErrorCode.MIGRATION_FAILED, `cannot rebuild ${table}: no such table`);
  }
  if (current === wanted) {
    // done, by this statement or by a run that died after the swap: the old table left under the
    // replacement's name may hold rows the dead run had not copied yet, so they are copied again
    // (copies fold like redeliveries) before it goes
    if ((await engineOf(database, names.replacement)) !== undefined) {
      await database.command(`INSERT INTO ${id(table)} SELECT * FROM ${id(names.replacement)}`);
      await dropOld(options, names.replacement);
    }
    return 'already';
  }
  // the tables whose inserts write into this one, found before anything changes
  const writers = [table, ...(await viewSources(database, table))];
  await database.command(options.create);
  if ((await engineOf(database, names.replacement)) !== wanted) {
    throw new TelemetryError(
      ErrorCode.MIGRATION_FAILED,
      `cannot rebuild ${table}: ${names.replacement} exists in another layout; drop it and run the migrations again`,
    );
  }
  // every part the table has now is in the copy below; every later insert gets a greater block number
  const mark = await newestBlock(database, table);
  logger.info({ table }, 'copying the table into its new layout');
  await database.command(`INSERT INTO ${id(names.replacement)} SELECT * FROM ${id(table)}`);
  const engine = await database.query<{ engine: string }>(
    'SELECT engine FROM system.databases WHERE name = currentDatabase()',
  );
  await database.command(
    engine[0]?.engine === 'Atomic'
      ? `EXCHANGE TABLES ${id(table)} AND ${id(names.replacement)}`
      : `RENAME TABLE ${id(table)} TO ${id(names.swap)}, ${id(names.replacement)} TO ${id(table)}, ` +
          `${id(names.swap)} TO ${id(names.replacement)}`,
  );
  // what reached the old table after the mark (during the copy, or from an insert that began
  // before the swap, once those inserts have ended) is copied over
  await waitForRunningInserts(options, writers);
  await copyPartsAfter(options, names.replacement, mark);
  await dropOld(options, names.replacement);
  logger.info({ table }, 'table rebuilt in its new layout');
  return 'rebuilt';
}

/**
 * Copies into the table the rows of the old one's parts numbered after `mark`, once nothing
 * changes its parts: its inserts have ended, and its merges are stopped and the running ones are
 * over. The copy names the parts in a subquery and reads them by name; a merge that ended between
 * the two would replace parts named in the list by one that is not, and their rows would not be
 * read. The old table is dropped next, so its merges are not started again. A user refused
 * `SYSTEM STOP MERGES` gets the whole old table copied instead (copies fold like redeliveries).
 */
export async function copyPartsAfter(
  options: Pick<RebuildOptions, 'database' | 'table' | 'logger' | 'insertWaitMs'>,
  old: string,
  mark: number,
): Promise<void> {
  const { database, table } = options;
  const into = `INSERT INTO ${quoteIdentifier(table)} SELECT * FROM ${quoteIdentifier(old)}`;
  try {
    await database.command(`SYSTEM STOP MERGES ${quoteIdentifier(old)}`);
  } catch (error) {
    options.logger.warn(
      { table, old, err: error },
      "the old table's merges could not be stopped: copying all of it instead of the parts after the copy",
    );
    await database.command(into);
    return;
  }
  await waitUntilNone(
    options,
    async () => {
      const rows = await database.query<{ n: string | number }>(
        `SELECT count() AS n FROM system.merges WHERE database = currentDatabase() AND table = ${quoteString(old)}`,
      );
      return Number(rows[0]?.n ?? 0);
    },
    (_n, seconds) => `merges of ${old} still running ${seconds} s after they were stopped`,
  );
  await database.command(
    `${into} WHERE _part IN (SELECT name FROM system.parts WHERE database = currentDatabase()
       AND table = ${quoteString(old)} AND active AND max_block_number > ${mark})`,
  );
}

/** The greatest block number of the table's parts (0 when it has none): later inserts get greater ones. */
async function newestBlock(database: ClickHouseReader, table: string): Promise<number> {
  const rows = await database.query<{ n: string | number }>(
    `SELECT max(max_block_number) AS n FROM system.parts WHERE database = currentDatabase()
     AND table = ${quoteString(table)}`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** The old table, once swapped out; a server that refuses to drop a table that large says so in the log. */
async function dropOld(options: RebuildOptions, old: string): Promise<void> {
  try {
    await options.database.command(`DROP TABLE IF EXISTS ${quoteIdentifier(old)}`);
  } catch (error) {
    options.logger.warn(
      { table: options.table, old, err: error },
      `the table's old copy could not be dropped; drop ${old} by hand`,
    );
  }
}

/**
 * Waits until the inserts that write into the table running now have ended: one that began before
 * the swap writes into the old table, and must be done before its parts are copied. Those are the
 * inserts into `tables`: the table and those whose materialized views write into it (`TO <table>`;
 * a view finds its target when the insert into its source begins). An insert that names its table
 * in any other way than `INSERT INTO [db.]table` is not seen; the processors' are.
 */
async function waitForRunningInserts(options: RebuildOptions, tables: readonly string[]): Promise<void> {
  const into = insertInto(tables);
  const running = async (ids?: readonly string[]): Promise<string[]> => {
    const rows = await options.database.query<{ query_id: string; query: string }>(
      `SELECT query_id, substring(query, 1, 300) AS query FROM system.processes
       WHERE lower(substring(query, 1, 6)) = 'insert'` +
        (ids === undefined ? '' : ` AND query_id IN (${ids.map(quoteString).join(', ')})`),
    );
    return rows.filter((row) => into.test(row.query)).map((row) => row.query_id);
  };
  let ids: string[] | undefined;
  await waitUntilNone(
    options,
    async () => (ids = await running(ids)).length,
    (n, seconds) => `${n} inserts still running after ${seconds} s`,
  );
}

/**
 * Asks `remaining` every POLL_MS until it answers 0; once `insertWaitMs` (60 s) has passed, the
 * rebuild fails with what `still` says of what remains.
 */
async function waitUntilNone(
  options: Pick<RebuildOptions, 'table' | 'insertWaitMs'>,
  remaining: () => Promise<number>,
  still: (n: number, seconds: number) => string,
): Promise<void> {
  const waitMs = options.insertWaitMs ?? 60_000;
  const deadline = Date.now() + waitMs;
  for (let n = await remaining(); n > 0; n = await remaining()) {
    if (Date.now() > deadline) {
      throw new TelemetryError(
        ErrorCode.MIGRATION_FAILED,
        `cannot rebuild ${options.table}: ${still(n, waitMs / 1000)}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Matches the text of an insert into one of `tables` (names of letters, digits and `_`). */
export function insertInto(tables: readonly string[]): RegExp {
  return new RegExp(`^\\s*INSERT\\s+INTO\\s+${QUALIFIER}[\`"]?(?:${tables.join('|')})[\`"]?[\\s(]`, 'i');
}

/** Matches the definition of a materialized view that writes into `table` (`… TO [db.]table`). */
export function viewInto(table: string): RegExp {
  return new RegExp(`\\sTO\\s+${QUALIFIER}[\`"]?${table}[\`"]?[\\s(]`, 'i');
}

/** The tables of the database whose materialized views write into `table` (`… TO [db.]table`). */
async function viewSources(database: ClickHouseReader, table: string): Promise<string[]> {
  const rows = await database.query<{ name: string; engine: string; create_query: string; views: string[] }>(
    `SELECT name, engine, create_table_query AS create_query, dependencies_table AS views
     FROM system.tables WHERE database = currentDatabase()`,
  );
  const target = viewInto(table);
  const writers = new Set(
    rows
      .filter((row) => row.engine === 'MaterializedView' && target.test(row.create_query))
      .map((row) => row.name),
  );
  return rows.filter((row) => row.views.some((view) => writers.has(view))).map((row) => row.name);
}
