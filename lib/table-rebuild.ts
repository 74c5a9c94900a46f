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
 * 2. a materialized view `<table>__rebuild_copy` copies every insert into the table to it from
 *    then on, and the inserts already running are waited for (a view joins an insert at its start);
 * 3. the stored rows are copied (`INSERT … SELECT`; a row the view copied too is a second copy of
 *    the same version, which the table's engine folds as it folds a redelivery);
 * 4. the two swap names (`EXCHANGE TABLES` in an Atomic database; three `RENAME`s in one statement
 *    in an Ordinary one, as on ClickHouse 18.16): the views that read or write the table follow its
 *    name on both releases, so they go on with the new one;
 * 5. the copying view and the old table are dropped.
 *
 * Every step can run again: a run that died midway is finished by the next one, which finds the
 * table in its new layout after step 4 and only drops what is left. Runs on one database take
 * turns through a lock table (`<table>__rebuild_lock`, created without IF NOT EXISTS): every
 * processor runs the migrations at start, and a second swap would undo the first.
 *
 * Only a table that its writers insert into can be rebuilt so: on ClickHouse 18.16 the rows a view
 * writes into a table do not run that table's own views, so the copying view would miss them.
 * During the swap on 18.16 an insert can find no table for an instant; the processors take that
 * for a fault of the deployment, restart, and read the batch again.
 */
export interface RebuildOptions {
  database: ClickHouseExecutor & ClickHouseReader;
  table: string;
  /** `CREATE TABLE IF NOT EXISTS <table>__rebuild …`: the replacement, in the new layout. */
  create: string;
  /** Whether the server is older than 20.1 (its views must select MATERIALIZED columns). */
  before20: boolean;
  logger: Logger;
  /** How long to wait for another run's lock before failing. Default 10 minutes. */
  lockWaitMs?: number;
  /** How long to wait for the inserts running when the copying view was created. Default 60 s. */
  insertWaitMs?: number;
}

export type RebuildOutcome = 'rebuilt' | 'already';

const POLL_MS = 250;
const TABLE_ALREADY_EXISTS = '57';

export function rebuildNames(table: string): {
  replacement: string;
  copy: string;
  lock: string;
  layout: string;
  swap: string;
} {
  return {
    replacement: `${table}__rebuild`,
    copy: `${table}__rebuild_copy`,
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
    // done, by this statement or by a run that died after the swap: drop what is left
    await database.command(`DROP TABLE IF EXISTS ${id(names.copy)}`);
    await dropOld(options, names.replacement);
    return 'already';
  }
  await database.command(options.create);
  if ((await engineOf(database, names.replacement)) !== wanted) {
    throw new TelemetryError(
      ErrorCode.MIGRATION_FAILED,
      `cannot rebuild ${table}: ${names.replacement} exists in another layout; drop it and run the migrations again`,
    );
  }
  // ClickHouse 18.16 expects a view into a table with MATERIALIZED columns to select them too
  const materialized = options.before20
    ? (
        await database.query<{ name: string }>(
          `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ${quoteString(table)}
           AND default_kind = 'MATERIALIZED'`,
        )
      ).map((row) => `, ${id(row.name)}`)
    : [];
  await database.command(
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${id(names.copy)} TO ${id(names.replacement)} AS ` +
      `SELECT *${materialized.join('')} FROM ${id(table)}`,
  );
  await waitForRunningInserts(options);
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
  await database.command(`DROP TABLE IF EXISTS ${id(names.copy)}`);
  await dropOld(options, names.replacement);
  logger.info({ table }, 'table rebuilt in its new layout');
  return 'rebuilt';
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
 * Waits until the inserts running now have ended: one that started before the copying view existed
 * does not go through it, and may end after the copy of the stored rows has begun.
 */
async function waitForRunningInserts(options: RebuildOptions): Promise<void> {
  const waitMs = options.insertWaitMs ?? 60_000;
  const running = async (ids?: readonly string[]): Promise<string[]> => {
    const rows = await options.database.query<{ query_id: string }>(
      `SELECT query_id FROM system.processes WHERE lower(substring(query, 1, 6)) = 'insert'` +
        (ids === undefined ? '' : ` AND query_id IN (${ids.map(quoteString).join(', ')})`),
    );
    return rows.map((row) => row.query_id);
  };
  let ids = await running();
  const deadline = Date.now() + waitMs;
  while (ids.length > 0) {
    if (Date.now() > deadline) {
      throw new TelemetryError(
        ErrorCode.MIGRATION_FAILED,
        `cannot rebuild ${options.table}: ${ids.length} inserts still running after ${waitMs / 1000} s`,
      );
    }
    await sleep(POLL_MS);
    ids = await running(ids);
  }
}
