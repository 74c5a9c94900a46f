import { describe, expect, it } from 'vitest';
import { loadMigrations, parseRelease, splitStatements, statementsFor } from './migrations.js';

describe('migration files', () => {
  it('split into statements at line-ending semicolons, skipping comments', () => {
    const sql =
      "-- header\nCREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory;\n\n-- next\nCREATE TABLE b (y UInt8) ENGINE = Memory;\n";
    expect(splitStatements(sql)).toEqual([
      { sql: "CREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory" },
      { sql: 'CREATE TABLE b (y UInt8) ENGINE = Memory' },
    ]);
  });

  it('mark the replacement of a table rebuilt in a new layout with a `-- rebuild` line', () => {
    const sql =
      'CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x;\n-- rebuild t\n' +
      'CREATE TABLE IF NOT EXISTS t__rebuild AS t\nENGINE = MergeTree ORDER BY x SETTINGS index_granularity = 1024;\n';
    expect(splitStatements(sql)).toEqual([
      { sql: 'CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x' },
      {
        sql: 'CREATE TABLE IF NOT EXISTS t__rebuild AS t\nENGINE = MergeTree ORDER BY x SETTINGS index_granularity = 1024',
        rebuild: 't',
      },
    ]);
    expect(() => splitStatements('CREATE TABLE a\n-- rebuild a\n(x UInt8);')).toThrow(/middle/);
  });

  it('limit a statement to some releases with a `-- when clickhouse` line', () => {
    const sql =
      'CREATE TABLE t (x UInt8) ENGINE = Memory;\n-- when clickhouse < 20.1\nCREATE VIEW v AS SELECT *, x;\n' +
      '-- when clickhouse >= 20.1\nCREATE VIEW v AS SELECT *;\n';
    const migration = { version: 1, name: 'x', checksum: '', amends: [], statements: splitStatements(sql) };
    expect(statementsFor(migration, parseRelease('18.16.1'))).toEqual([
      'CREATE TABLE t (x UInt8) ENGINE = Memory',
      'CREATE VIEW v AS SELECT *, x',
    ]);
    expect(statementsFor(migration, parseRelease('26.9.2.1'))).toEqual([
      'CREATE TABLE t (x UInt8) ENGINE = Memory',
      'CREATE VIEW v AS SELECT *',
    ]);
    expect(statementsFor(migration, parseRelease('20.1'))).toContain('CREATE VIEW v AS SELECT *');
    expect(() => splitStatements('CREATE TABLE a\n-- when clickhouse < 20\n(x UInt8);')).toThrow(/middle/);
  });

  it('are numbered from 1 without gaps, each with a checksum and at least one statement', async () => {
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    migrations.forEach((migration, index) => {
      expect(migration.version).toBe(index + 1);
      expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(migration.statements.length).toBeGreaterThan(0);
    });
  });

  it('read the earlier checksums an amended migration accepts from its amends: lines', async () => {
    const migrations = await loadMigrations();
    const amended = migrations.find((m) => m.name === '0006_lookup_refs.sql');
    expect(amended?.amends).toEqual(['a6c8518a23a1f69d476319ad6f1aeb209fc748c82a88925a85973cc109f9c305']);
    for (const migration of migrations) expect(migration.amends).not.toContain(migration.checksum);
  });

  it('avoid SQL that ClickHouse 18.16 lacks', async () => {
    const forbidden = [
      /DateTime64/i,
      /\bJSONExtract/i,
      /SimpleAggregateFunction/i,
      /\bTTL\b/,
      /\bMap\(/,
      /\{\w+:\w+\}/,
    ];
    for (const migration of await loadMigrations()) {
      for (const { sql: statement } of migration.statements) {
        for (const pattern of forbidden)
          expect(statement, `${migration.name}: ${String(pattern)}`).not.toMatch(pattern);
      }
    }
  });
});
