import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { migrationsDirectory } from '../schemas/schema-files.js';
import type { ClickHouseExecutor, ClickHouseReader, ClickHouseWriter } from './clickhouse.js';
import { ErrorCode, TelemetryError } from './errors.js';
import type { Logger } from './logger.js';
import { quoteIdentifier, quoteString } from './sql.js';
import { rebuildTable } from './table-rebuild.js';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  /**
   * Checksums of earlier texts of this migration that a database may have recorded, from its
   * `-- amends: <sha256>` lines: an amendment that only current ClickHouse needed, whose tables
   * are the same, so a database that applied the earlier text is not asked to apply it again.
   */
  amends: string[];
  statements: Statement[];
}

/**
 * One statement of a migration. `when` (a `-- when clickhouse < 20.1` line right before it) limits
 * it to servers of those releases: the one place where ClickHouse 18.16 and current releases need
 * different SQL. A migration's checksum covers every variant, so it is the same on every server.
 */
export interface Statement {
  sql: string;
  when?: ReleaseCondition;
  /**
   * The table this statement's replacement rebuilds (a `-- rebuild <table>` line right before it):
   * the statement creates `<table>__rebuild` in the new layout, and lib/table-rebuild.ts copies the
   * table into it and swaps them while the writers go on.
   */
  rebuild?: string;
}

export interface ReleaseCondition {
  op: '<' | '>=';
  /** `[major, minor]` */
  release: [number, number];
}

/** A ClickHouse release as `[major, minor]`, from `version()` (`18.16.1`, `26.9.2.1`). */
export type Release = [number, number];

export function parseRelease(version: string): Release {
  const [major, minor] = version.trim().split('.').map(Number);
  if (major === undefined || !Number.isFinite(major)) throw new Error(`not a ClickHouse version: ${version}`);
  return [major, Number.isFinite(minor) ? (minor ?? 0) : 0];
}

/** The release of the server `reader` talks to. */
export async function serverRelease(reader: ClickHouseReader): Promise<Release> {
  const rows = await reader.query<{ version: string }>('SELECT version() AS version');
  return parseRelease(rows[0]?.version ?? '');
}

function matches(condition: ReleaseCondition | undefined, release: Release): boolean {
  if (condition === undefined) return true;
  const [major, minor] = release;
  const [wantMajor, wantMinor] = condition.release;
  const below = major < wantMajor || (major === wantMajor && minor < wantMinor);
  return condition.op === '<' ? below : !below;
}

/** The statements of `migration` that run on a server of `release`, in order. */
export function statementsFor(migration: Migration, release: Release): string[] {
  return migration.statements.filter((s) => matches(s.when, release)).map((s) => s.sql);
}

function runsOn(migration: Migration, release: Release): Statement[] {
  return migration.statements.filter((s) => matches(s.when, release));
}

export interface MigrationResult {
  applied: Migration[];
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const AMENDS = /^--\s*amends:\s*([0-9a-f]{64})\b/gm;
export const MIGRATIONS_TABLE = 'schema_migrations';

const WHEN = /^--\s*when clickhouse\s*(<|>=)\s*(\d+)(?:\.(\d+))?\s*$/;
const REBUILD = /^--\s*rebuild\s+(\w+)\s*$/;

/**
 * Splits a migration file into statements: `;` at the end of a line ends one; `--` lines are
 * comments, except `-- when clickhouse <op> <major>[.<minor>]`, which limits the next statement, and
 * `-- rebuild <table>`, which makes it the replacement of a table rebuilt in a new layout.
 */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let current: string[] = [];
  let when: ReleaseCondition | undefined;
  let rebuild: string | undefined;
  const finish = (): void => {
    const text = current.join('\n').trim();
    if (text !== '') {
      statements.push({
        sql: text,
        ...(when === undefined ? {} : { when }),
        ...(rebuild === undefined ? {} : { rebuild }),
      });
    }
    current = [];
    when = undefined;
    rebuild = undefined;
  };
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    const rebuilt = REBUILD.exec(trimmed);
    if (rebuilt !== null) {
      if (current.length > 0) throw new Error(`"${trimmed}" in the middle of a statement`);
      rebuild = rebuilt[1];
      continue;
    }
    const condition = WHEN.exec(trimmed);
    if (condition !== null) {
      if (current.length > 0) throw new Error(`"${trimmed}" in the middle of a statement`);
      when = {
        op: condition[1] === '<' ? '<' : '>=',
        release: [Number(condition[2]), Number(condition[3] ?? 0)],
      };
      continue;
    }
    if (trimmed.startsWith('--') || trimmed === '') continue;
    if (trimmed.endsWith(';')) {
      current.push(line.replace(/;\s*$/, ''));
      finish();
    } else {
      current.push(line);
    }
  }
  finish();
  return statements;
}

/** Reads the ordered migration files; versions must be unique and contiguous from 1. */
export async function loadMigrations(directory: URL = migrationsDirectory()): Promise<Migration[]> {
  const names = (await readdir(fileURLToPath(directory))).filter((name) => name.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (match === null) {
      throw new TelemetryError(
        ErrorCode.MIGRATION_FAILED,
        `migration file ${name} is not named NNNN_snake_case.sql`,
      );
    }
    const version = Number(match[1]);
    if (version !== migrations.length + 1) {
      throw new TelemetryError(
        ErrorCode.MIGRATION_FAILED,
        `migration ${name} has version ${version}, expected ${migrations.length + 1}`,
      );
    }
    const text = await readFile(new URL(name, directory), 'utf8');
    migrations.push({
      version,
      name,
      checksum: createHash('sha256').update(text).digest('hex'),
      amends: [...text.matchAll(AMENDS)].map((match) => match[1] ?? ''),
      statements: splitStatements(text),
    });
  }
  return migrations;
}

const ADD_COLUMN = /^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)\s/i;

/**
 * Whether `statement` adds a column that its table has already: such a statement counts as applied.
 * (`ADD COLUMN IF NOT EXISTS` would say so in SQL, but ClickHouse 18.16 does not have it.)
 */
async function addsExistingColumn(database: ClickHouseReader, statement: string): Promise<boolean> {
  const match = ADD_COLUMN.exec(statement);
  if (match === null) return false;
  const rows = await database.query<{ n: string | number }>(
    `SELECT count() AS n FROM system.columns WHERE database = currentDatabase() ` +
      `AND table = ${quoteString(match[1] ?? '')} AND name = ${quoteString(match[2] ?? '')}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

function firstLine(statement: string): string {
  const line = statement.split('\n', 1)[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 100)}…` : line;
}

/**
 * How long a client that runs the migrations waits for one statement: a rebuild copies a whole
 * table in one `INSERT … SELECT` (lib/table-rebuild.ts), minutes on a large store.
 */
export const MIGRATION_REQUEST_TIMEOUT_MS = 3_600_000;

export interface MigrateOptions {
  /** Client bound to any existing database (typically `default`), used for CREATE DATABASE. */
  server: ClickHouseExecutor;
  /** Client bound to the target database. */
  database: ClickHouseExecutor & ClickHouseReader & ClickHouseWriter;
  databaseName: string;
  logger: Logger;
  migrations?: Migration[];
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Creates the database if needed and applies, in order, the migrations not yet recorded in
 * `schema_migrations`. Safe to run twice and concurrently with itself: every statement is
 * `IF NOT EXISTS`, and the version rows deduplicate. A changed applied migration is an error.
 */
export async function migrate(options: MigrateOptions): Promise<MigrationResult> {
  const { server, database, databaseName, logger } = options;
  const migrations = options.migrations ?? (await loadMigrations());
  await server.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(databaseName)}`);
  await database.command(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version UInt32, name String, checksum String, applied_at DateTime) ` +
      `ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
  );
  const rows = await database.query<AppliedRow>(
    `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${MIGRATIONS_TABLE} GROUP BY version ORDER BY version`,
  );
  const applied = new Map(rows.map((row) => [row.version, row]));
  const release = await serverRelease(database);
  const done: Migration[] = [];
  for (const migration of migrations) {
    const previous = applied.get(migration.version);
    if (previous !== undefined) {
      if (previous.checksum !== migration.checksum && !migration.amends.includes(previous.checksum)) {
        throw new TelemetryError(
          ErrorCode.MIGRATION_FAILED,
          `migration ${migration.name} changed after it was applied (recorded as ${previous.name}); ` +
            'add a new migration instead of editing an applied one',
        );
      }
      continue;
    }
    const statements = runsOn(migration, release);
    for (const [index, { sql: statement, rebuild }] of statements.entries()) {
      try {
        if (rebuild !== undefined) {
          await rebuildTable({
            database,
            table: rebuild,
            create: statement,
            logger,
          });
          continue;
        }
        if (await addsExistingColumn(database, statement)) continue;
        await database.command(statement);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new TelemetryError(
          ErrorCode.MIGRATION_FAILED,
          `migration ${migration.name} failed at statement ${index + 1} of ${statements.length} ` +
            `(${firstLine(statement)}): ${reason}`,
          { cause: error },
        );
      }
    }
    await database.insert(MIGRATIONS_TABLE, [
      {
        version: migration.version,
        name: migration.name,
        checksum: migration.checksum,
        applied_at: Math.floor(Date.now() / 1000),
      },
    ]);
    logger.info({ migration: migration.name, database: databaseName }, 'migration applied');
    done.push(migration);
  }
  return { applied: done, alreadyApplied: migrations.length - done.length };
}
