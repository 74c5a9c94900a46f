import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../lib/migrations.js';
import { parseColumn, readMigrationFile, schemaFromMigrations } from './ddl.js';
import { columnListsByTable, selectedColumns } from './tables.js';

const FIRST = `-- What the file does.
--
-- More about it.
CREATE TABLE IF NOT EXISTS events
(
    id        String,
    kind      Enum8('a,b' = 1, 'c' = 2),
    state     AggregateFunction(argMax, String, Tuple(UInt64, String)),
    at_ms     UInt64 COMMENT 'epoch ms, it\\'s the sender\\'s',
    day       Date MATERIALIZED toDate(toDateTime(intDiv(at_ms, 1000)))
)
ENGINE = ReplacingMergeTree(at_ms)
PARTITION BY toYYYYMM(day)
ORDER BY (id, at_ms)
SETTINGS index_granularity = 256;

-- per kind
CREATE TABLE IF NOT EXISTS per_kind (kind String, n AggregateFunction(uniqExact, String))
ENGINE = AggregatingMergeTree() ORDER BY kind;

CREATE MATERIALIZED VIEW IF NOT EXISTS per_kind_mv TO per_kind AS
SELECT toString(kind) AS kind, uniqExactState(id) AS n FROM events GROUP BY kind;
`;

const SECOND = `CREATE TABLE IF NOT EXISTS events_copy AS events
ENGINE = ReplacingMergeTree(at_ms) ORDER BY (at_ms, id);

-- when clickhouse < 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS events_copy_mv TO events_copy AS SELECT *, day FROM events;

-- when clickhouse >= 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS events_copy_mv TO events_copy AS SELECT * FROM events;

INSERT INTO events_copy SELECT * FROM events;

ALTER TABLE events ADD COLUMN extra UInt8 DEFAULT 0, ADD COLUMN first String FIRST, DROP COLUMN state;
ALTER TABLE events MODIFY COLUMN extra UInt16 DEFAULT 1;

-- when clickhouse >= 21.1
ALTER TABLE events MODIFY SETTING min_compress_block_size = 4096;
`;

describe('the migration reader', () => {
  it('reads the statements the migration runner runs, with the comment right above each', () => {
    for (const text of [FIRST, SECOND]) {
      expect(readMigrationFile(text).statements.map((s) => s.sql)).toEqual(
        splitStatements(text).map((s) => s.sql),
      );
    }
    const first = readMigrationFile(FIRST);
    expect(first.header).toBe('What the file does.\n\nMore about it.');
    expect(first.statements.map((s) => s.comment)).toEqual([first.header, 'per kind', undefined]);
    expect(readMigrationFile(SECOND).statements.map((s) => s.when)).toEqual([
      undefined,
      'clickhouse < 20.1',
      'clickhouse >= 20.1',
      undefined,
      undefined,
      undefined,
      'clickhouse >= 21.1',
    ]);
  });

  it('reads column types with nested brackets and quoted commas, defaults and comments', () => {
    expect(parseColumn("kind Enum8('a,b' = 1, 'c' = 2)", 'm', 'w')).toEqual({
      name: 'kind',
      type: "Enum8('a,b' = 1, 'c' = 2)",
      addedIn: 'm',
    });
    expect(parseColumn("at_ms UInt64 DEFAULT 0 COMMENT 'it\\'s' CODEC(ZSTD(1))", 'm', 'w')).toEqual({
      name: 'at_ms',
      type: 'UInt64',
      defaultKind: 'DEFAULT',
      defaultExpression: '0',
      comment: "it's",
      codec: '(ZSTD(1))',
      addedIn: 'm',
    });
    expect(() => parseColumn('x UInt8 STRANGE', 'm', 'w')).toThrow(/cannot read "STRANGE"/);
  });

  it('replays tables, copies, views, backfills and ALTERs in order', () => {
    const schema = schemaFromMigrations([
      { name: '0001_first.sql', text: FIRST },
      { name: '0002_second.sql', text: SECOND },
    ]);
    const events = schema.tables.get('events');
    expect(events?.columns.map((c) => [c.name, c.type, c.addedIn])).toEqual([
      ['first', 'String', '0002_second.sql'],
      ['id', 'String', '0001_first.sql'],
      ['kind', "Enum8('a,b' = 1, 'c' = 2)", '0001_first.sql'],
      ['at_ms', 'UInt64', '0001_first.sql'],
      ['day', 'Date', '0001_first.sql'],
      ['extra', 'UInt16', '0002_second.sql'],
    ]);
    expect(events).toMatchObject({
      engine: 'ReplacingMergeTree(at_ms)',
      partitionBy: 'toYYYYMM(day)',
      orderBy: '(id, at_ms)',
      settings: 'index_granularity = 256, min_compress_block_size = 4096 (on clickhouse >= 21.1)',
      createdIn: '0001_first.sql',
      comment: 'What the file does.\n\nMore about it.',
    });
    expect(events?.changes.map((c) => c.change)).toEqual([
      'ADD COLUMN extra',
      'ADD COLUMN first',
      'DROP COLUMN state',
      'MODIFY COLUMN extra',
      'MODIFY SETTING min_compress_block_size (on clickhouse >= 21.1)',
    ]);
    // a copy takes the columns of its source as they were when it was created
    expect(schema.tables.get('events_copy')?.columns.map((c) => c.name)).toEqual([
      'id',
      'kind',
      'state',
      'at_ms',
      'day',
    ]);
    expect(schema.views.get('per_kind_mv')).toMatchObject({
      materialized: true,
      to: 'per_kind',
      from: ['events'],
    });
    expect(schema.views.get('events_copy_mv')?.variants.map((v) => v.when)).toEqual([
      'clickhouse < 20.1',
      'clickhouse >= 20.1',
    ]);
    expect(schema.backfills).toEqual([
      { migration: '0002_second.sql', into: 'events_copy', from: ['events'] },
    ]);
  });

  it.each([
    ['RENAME TABLE events TO old_events;', /not a statement this page can read/],
    [
      'CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(NULL()) LAYOUT(FLAT()) LIFETIME(0);',
      /not a statement/,
    ],
    ['ALTER TABLE events RENAME COLUMN id TO key;', /cannot read the ALTER action "RENAME COLUMN id TO key"/],
    ['ALTER TABLE missing ADD COLUMN x UInt8;', /table missing does not exist/],
    ['ALTER TABLE events ADD COLUMN id String;', /has a column id already/],
    [
      'CREATE TABLE t (x UInt8) ENGINE = Memory TTL_SOMETHING;',
      /cannot read the engine "Memory TTL_SOMETHING"/,
    ],
    ['CREATE TABLE t (x UInt8, CONSTRAINT c CHECK x > 0) ENGINE = Memory;', /cannot read "CONSTRAINT/],
  ])('fails loudly, naming the migration, on %s', (statement, message) => {
    const files = [
      { name: '0001_first.sql', text: FIRST },
      { name: '0002_new.sql', text: statement },
    ];
    expect(() => schemaFromMigrations(files)).toThrow(/^0002_new\.sql: /);
    expect(() => schemaFromMigrations(files)).toThrow(message);
  });
});

describe('the table modules against the DDL', () => {
  const schema = schemaFromMigrations([{ name: '0001_first.sql', text: FIRST }]);
  const list = (constant: string, columns: string[]) => ({
    constant,
    file: 'x.ts',
    columns,
    meanings: new Map(),
  });

  it('pair each table with the one column list equal to its stored columns', () => {
    const lists = columnListsByTable(schema, {
      names: new Map(),
      columnLists: [list('EVENT_COLUMNS', ['id', 'kind', 'state', 'at_ms']), list('PER_KIND', ['kind', 'n'])],
    });
    expect(lists.get('events')?.constant).toBe('EVENT_COLUMNS');
  });

  it('refuse a table whose module lists other columns', () => {
    expect(() =>
      columnListsByTable(schema, {
        names: new Map(),
        columnLists: [
          list('EVENT_COLUMNS', ['id', 'kind', 'at_ms', 'state']),
          list('PER_KIND', ['kind', 'n']),
        ],
      }),
    ).toThrow(
      /table events: no column list in lib\/tables lists its stored columns \(id, kind, state, at_ms\)/,
    );
  });
});

describe('the columns of a view', () => {
  it('are the aliases of its top-level SELECT items', () => {
    expect(
      selectedColumns(
        "SELECT a, b AS c, ['x', 'y'][r] AS d, multiIf(k = 1, 'p', k = 2, 'q', 'z') AS e FROM (SELECT a FROM t) WHERE 1",
      ),
    ).toEqual(['a', 'c', 'd', 'e']);
  });
});
