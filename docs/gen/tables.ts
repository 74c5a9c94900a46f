import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from '../../lib/migrations.js';
import { WRITTEN_TABLES } from '../../lib/tables/index.js';
import { loadSchemaText, migrationsDirectory } from '../../schemas/schema-files.js';
import {
  DdlError,
  keywordPositions,
  splitTopLevel,
  readMigrationFile,
  schemaFromMigrations,
  type Column,
  type Schema,
  type Table,
  type View,
} from './ddl.js';
import { anchor, cell, code, page, plain, table } from './markdown.js';
import { TABLE_READING_NOTES } from '../../lib/tables/reading.js';
import { readTableModules, type ColumnList, type TableModules } from './table-modules.js';

const TABLES_DIRECTORY = new URL('../../lib/tables/', import.meta.url);

export interface TableSources {
  migrations: { name: string; text: string }[];
  modules: TableModules;
  /** Table → the Avro record it stores one row per, with each field's `doc`. */
  records: Map<string, { record: string; docs: Map<string, string> }>;
}

/**
 * The tables that store one Avro record per row, column for column where the names match: a
 * column without a meaning in its table module takes the `doc` of the record's field of its name.
 */
const RECORD_TABLES: Readonly<Record<string, string>> = {
  message_log: 'agent-message.avsc',
  error_facts: 'detailed-error.avsc',
};

function recordDocs(file: string): { record: string; docs: Map<string, string> } {
  const schema = JSON.parse(loadSchemaText(file)) as {
    name: string;
    fields: { name: string; doc?: string }[];
  };
  return {
    record: schema.name,
    docs: new Map(schema.fields.flatMap((f) => (f.doc === undefined ? [] : [[f.name, f.doc] as const]))),
  };
}

/**
 * The migration files and the table modules, read from the source tree. The statements read from
 * each file must be exactly those the migration runner (`lib/migrations.ts`) runs.
 */
export async function readTableSources(): Promise<TableSources> {
  const directory = migrationsDirectory();
  const runnable = await loadMigrations(directory);
  const migrations = runnable.map((migration) => ({
    name: migration.name,
    text: readFileSync(new URL(migration.name, directory), 'utf8'),
  }));
  for (const [index, migration] of runnable.entries()) {
    const file = migrations[index];
    const read = file === undefined ? [] : readMigrationFile(file.text).statements.map((s) => s.sql);
    const run = migration.statements.map((s) => s.sql);
    if (JSON.stringify(read) !== JSON.stringify(run)) {
      throw new DdlError(
        `${migration.name}: the statements read here differ from those the migration runner runs`,
      );
    }
  }
  const files = new Map(
    readdirSync(fileURLToPath(TABLES_DIRECTORY))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
      .sort()
      .map((name) => [`lib/tables/${name}`, readFileSync(new URL(name, TABLES_DIRECTORY), 'utf8')] as const),
  );
  const records = new Map(Object.entries(RECORD_TABLES).map(([t, file]) => [t, recordDocs(file)] as const));
  return { migrations, modules: readTableModules(files), records };
}

/** The columns an INSERT or `SELECT *` sees: not MATERIALIZED, ALIAS or EPHEMERAL ones. */
function storedColumns(t: Table): string[] {
  return t.columns
    .filter((c) => c.defaultKind === undefined || c.defaultKind === 'DEFAULT')
    .map((c) => c.name);
}

/**
 * The table module's column list for each table: the one list equal to its stored columns. A table
 * with none, or with two different lists, is an error: the module and the DDL disagree.
 */
export function columnListsByTable(schema: Schema, modules: TableModules): Map<string, ColumnList> {
  const byTable = new Map<string, ColumnList>();
  for (const t of schema.tables.values()) {
    const stored = JSON.stringify(storedColumns(t));
    const matches = modules.columnLists.filter((list) => JSON.stringify(list.columns) === stored);
    const first = matches[0];
    if (first === undefined) {
      throw new DdlError(
        `table ${t.name}: no column list in lib/tables lists its stored columns (${storedColumns(t).join(', ')}) in table order`,
      );
    }
    if (matches.length > 1) {
      throw new DdlError(
        `table ${t.name}: several column lists match it (${matches.map((m) => m.constant).join(', ')})`,
      );
    }
    byTable.set(t.name, first);
  }
  return byTable;
}

const migrationNumber = (name: string): string => name.slice(0, 4);

function aggregate(type: string): string | undefined {
  return /^AggregateFunction\(\s*(\w+)/.exec(type)?.[1];
}

function readAs(column: Column): string {
  const fn = aggregate(column.type);
  return fn === undefined ? code(column.name) : code(`${fn}Merge(${column.name})`);
}

function engineName(t: Table): string {
  return /^\w+/.exec(t.engine)?.[0] ?? t.engine;
}

function reading(schema: Schema, t: Table): string {
  const engine = engineName(t);
  if (engine === 'Null') {
    const views = [...schema.views.values()].filter((v) => v.from.includes(t.name));
    return (
      'Keeps nothing: a SELECT returns no rows. Every insert goes through its materialized views ' +
      `(${views.map((v) => `${code(v.name)} → ${code(v.to ?? '')}`).join(', ')}); query those.`
    );
  }
  if (engine === 'AggregatingMergeTree') {
    const key = (t.orderBy ?? '').replace(/^\(|\)$/g, '');
    const columns = t.columns.map((c) =>
      aggregate(c.type) === undefined ? c.name : `${aggregate(c.type) ?? ''}Merge(${c.name}) AS ${c.name}`,
    );
    return [
      'Holds partial aggregates (-State values) per sorting key, merged in the background: read each ' +
        'AggregateFunction column with its -Merge function and GROUP BY the sorting key for exact answers:',
      '',
      '```sql',
      `SELECT ${columns.join(',\n       ')}`,
      `FROM ${t.name}`,
      `GROUP BY ${key}`,
      '```',
    ].join('\n');
  }
  if (engine === 'ReplacingMergeTree') {
    const version = /^ReplacingMergeTree\((\w+)\)/.exec(t.engine)?.[1];
    return (
      'Rows with the same sorting key are one row: the duplicates that redelivery or replay insert ' +
      `collapse at background merges (the one with the greatest ${version === undefined ? 'insert' : code(version)} is kept). ` +
      `Add ${code('FINAL')} (${code(`SELECT … FROM ${t.name} FINAL`)}), or GROUP BY the key, for exact answers.`
    );
  }
  return '';
}

/** A SQL comment block as Markdown: paragraphs kept, `*` lines as list items. */
function commentMarkdown(text: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) out.push(paragraph.join(' '));
    paragraph = [];
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      flush();
      out.push('');
    } else if (/^\*\s/.test(line)) {
      flush();
      paragraph.push(`- ${line.slice(2)}`);
    } else if (paragraph.length > 0 && paragraph[0]?.startsWith('- ') === true && raw.startsWith('  ')) {
      paragraph.push(line);
    } else {
      if (paragraph[0]?.startsWith('- ') === true) flush();
      paragraph.push(line);
    }
  }
  flush();
  return plain(
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
  );
}

function feeds(schema: Schema, name: string): string[] {
  return [...schema.views.values()]
    .filter((v) => v.from.includes(name))
    .map((v) => (v.to === undefined ? `view ${code(v.name)}` : `${code(v.to)} through ${code(v.name)}`));
}

function filledBy(schema: Schema, name: string): string[] {
  return [...schema.views.values()]
    .filter((v) => v.to === name)
    .map((v) => `${code(v.name)} from ${v.from.map(code).join(', ')}`);
}

/**
 * What a column holds: the DDL comment, then the table module's TSDoc, or else the `doc` of the
 * record field of its name (with the field named).
 */
function columnMeanings(
  c: Column,
  list: ColumnList,
  record: { record: string; docs: Map<string, string> } | undefined,
): string[] {
  const fromRecord = record?.docs.get(c.name);
  const own = list.meanings.get(c.name);
  return [
    c.comment,
    own ?? (fromRecord === undefined ? undefined : `${fromRecord} (${record?.record ?? ''}.${c.name})`),
  ].filter((m) => m !== undefined);
}

function tableSection(schema: Schema, t: Table, list: ColumnList, sources: TableSources): string {
  const docs = sources.modules;
  const record = sources.records.get(t.copyOf ?? t.name);
  const lines = [`### ${code(t.name)}`];
  const doc = docs.names.get(t.name);
  if (doc !== undefined) lines.push('', plain(withoutName(doc)));
  if (t.comment !== undefined) lines.push('', commentMarkdown(t.comment));
  const properties: [string, string][] = [['engine', code(t.engine)]];
  if (t.partitionBy !== undefined) properties.push(['partition by', code(t.partitionBy)]);
  if (t.orderBy !== undefined) properties.push(['order by (sorting key)', code(t.orderBy)]);
  if (t.primaryKey !== undefined) properties.push(['primary key', code(t.primaryKey)]);
  if (t.sampleBy !== undefined) properties.push(['sample by', code(t.sampleBy)]);
  properties.push(['TTL', t.ttl === undefined ? 'none' : code(t.ttl)]);
  if (t.settings !== undefined) properties.push(['settings', code(t.settings)]);
  if (t.indexes.length > 0) properties.push(['indexes', t.indexes.map(code).join(', ')]);
  properties.push([
    'created by',
    `${code(t.createdIn)}${t.copyOf === undefined ? '' : `, with the columns of ${code(t.copyOf)} at that point`}`,
  ]);
  if (t.changes.length > 0) {
    properties.push(['changed by', t.changes.map((c) => `${code(c.migration)} (${c.change})`).join(', ')]);
  }
  const writers = WRITTEN_TABLES.includes(t.name as (typeof WRITTEN_TABLES)[number])
    ? ['the processors']
    : [];
  const filled = filledBy(schema, t.name);
  const backfills = schema.backfills.filter((b) => b.into === t.name);
  const origins = [
    ...writers.map((w) => `inserted by ${w}`),
    ...filled.map((f) => `materialized view ${f}`),
    ...backfills.map((b) => `backfilled from ${b.from.map(code).join(', ')} by ${code(b.migration)}`),
  ];
  if (origins.length > 0) properties.push(['filled by', origins.join('; ')]);
  const fed = feeds(schema, t.name);
  if (fed.length > 0) properties.push(['feeds', fed.join(', ')]);
  properties.push(['column list in code', `${code(list.constant)} (${code(list.file)})`]);
  lines.push(
    '',
    table(
      ['', ''],
      properties.map(([k, v]) => [k, v]),
    ),
  );
  const hint = reading(schema, t);
  if (hint !== '') lines.push('', hint);
  const aggregating = t.columns.some((c) => aggregate(c.type) !== undefined);
  lines.push(
    '',
    table(
      ['column', 'type', ...(aggregating ? ['read as'] : []), 'meaning', 'added by'],
      t.columns.map((c) => {
        const extra =
          c.defaultKind === undefined
            ? ''
            : c.defaultKind === 'DEFAULT'
              ? `Default ${code(c.defaultExpression ?? '')}.`
              : `${c.defaultKind} ${code(c.defaultExpression ?? '')}: computed by the server, not in ${code('SELECT *')}; name it.`;
        const meaning = columnMeanings(c, list, record).map((m) => cell(plain(m)));
        return [
          code(c.name),
          cell(code(c.type)),
          ...(aggregating ? [readAs(c)] : []),
          [...meaning, extra].filter((m) => m !== '').join(' '),
          c.addedIn === t.createdIn ? '' : code(migrationNumber(c.addedIn)),
        ];
      }),
    ),
  );
  return lines.join('\n');
}

/** The output column names of a SELECT: each item's alias, or its last identifier. */
export function selectedColumns(select: string): string[] {
  const body = select.replace(/^SELECT\s+/i, '');
  const from = keywordPositions(body, ['FROM'])[0]?.at ?? body.length;
  return splitTopLevel(body.slice(0, from)).map((item) => /(\w+)\s*$/.exec(item)?.[1] ?? item);
}

function viewSection(v: View, docs: TableModules): string {
  const lines = [`### ${code(v.name)}`];
  const doc = docs.names.get(v.name);
  if (doc !== undefined) lines.push('', plain(withoutName(doc)));
  if (v.comment !== undefined) lines.push('', commentMarkdown(v.comment));
  const properties: [string, string][] = [
    ['kind', v.materialized ? 'materialized view' : 'view'],
    ['reads', v.from.map(code).join(', ')],
  ];
  if (v.to !== undefined) properties.push(['writes into', code(v.to)]);
  if (!v.materialized) {
    const variant = v.variants[0];
    if (variant !== undefined)
      properties.push(['columns', selectedColumns(variant.select).map(code).join(', ')]);
  }
  properties.push(['created by', code(v.createdIn)]);
  lines.push('', table(['', ''], properties));
  if (v.materialized && v.to !== undefined) {
    lines.push(
      '',
      `Runs on every block inserted into ${v.from.map(code).join(', ')} and writes its result into ` +
        `${code(v.to)}; rows inserted before the view existed are not in ${code(v.to)} unless a migration backfilled them.`,
    );
  }
  for (const variant of v.variants) {
    if (variant.when !== undefined) lines.push('', `On ${variant.when}:`);
    lines.push('', '```sql', variant.select, '```');
  }
  return lines.join('\n');
}

/**
 * A table module's TSDoc without its leading name, `\`message_log\` (migration 0001): `, which the
 * page's heading already says; capitalized.
 */
function withoutName(doc: string): string {
  const text = doc.replace(/^`\w+`(?:\s*→\s*`\w+`)*(?:\s*\([^)]*\))?\s*:\s*/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/\.(\s|$)/);
  return end === -1 ? flat : flat.slice(0, end + 1);
}

/** `docs/reference/tables.md`: every table and view the migrations create, with the modules' meanings. */
export function renderTablesReference(sources: TableSources): string {
  const schema = schemaFromMigrations(sources.migrations);
  const lists = columnListsByTable(schema, sources.modules);
  const docs = sources.modules;
  const tables = [...schema.tables.values()];
  const views = [...schema.views.values()];
  const overview = table(
    ['name', 'kind', 'engine', 'sorting key', 'what a row is'],
    [
      ...tables.map((t) => [
        `[${code(t.name)}](#${anchor(code(t.name))})`,
        'table',
        code(engineName(t)),
        t.orderBy === undefined ? '' : code(t.orderBy),
        cell(plain(firstSentence(withoutName(docs.names.get(t.name) ?? t.comment ?? '')))),
      ]),
      ...views
        .filter((v) => !v.materialized)
        .map((v) => [
          `[${code(v.name)}](#${anchor(code(v.name))})`,
          'view',
          '',
          '',
          cell(plain(firstSentence(withoutName(docs.names.get(v.name) ?? v.comment ?? '')))),
        ]),
    ],
  );
  const blocks = [
    'Every table and view that the migrations create in the ClickHouse database (`CLICKHOUSE_DATABASE`), ' +
      'for reading them with SQL (`clickhouse-client`, the HTTP interface, or the MCP tool `sql_query`). ' +
      `The schema is replayed from the migrations (${code('schemas/migrations/*.sql')}, in order, ALTERs included); ` +
      `the meanings come from the table modules (${code('lib/tables/*.ts')}), whose column lists must equal ` +
      'the stored columns of their table, or this page is not generated.',
    ['Reading them:', '', ...TABLE_READING_NOTES.map((note) => `- ${note}`)].join('\n'),
    overview,
    '## Tables',
    ...tables.map((t) => {
      const list = lists.get(t.name);
      if (list === undefined) throw new DdlError(`table ${t.name}: no column list`);
      return tableSection(schema, t, list, sources);
    }),
    '## Views',
    ...views.filter((v) => !v.materialized).map((v) => viewSection(v, docs)),
    '## Materialized views',
    table(
      ['view', 'reads', 'writes into', 'created by'],
      views
        .filter((v) => v.materialized)
        .map((v) => [
          `[${code(v.name)}](#${anchor(code(v.name))})`,
          v.from.map(code).join(', '),
          code(v.to ?? ''),
          code(v.createdIn),
        ]),
    ),
    ...views.filter((v) => v.materialized).map((v) => viewSection(v, docs)),
    '## Migrations',
    'Applied in order by `agent-telemetry migrate` (and by the processors at start), each once; ' +
      'the applied ones are recorded in `schema_migrations`.',
    table(
      ['migration', 'what it does', 'statements'],
      schema.migrations.map((m) => [
        code(m.name),
        cell(plain(firstSentence(m.header))),
        cell(m.changes.join('; ')),
      ]),
    ),
  ];
  return page('schemas/migrations/*.sql and lib/tables/*.ts', 'ClickHouse tables', blocks);
}

/** A table's or view's note and its columns' meanings, as the table reference gives them. */
export interface TableMeaning {
  note: string;
  columns: Record<string, string>;
}

/**
 * Every table and view with its note and the meanings of its columns (those with one), the same
 * texts as `docs/reference/tables.md`: what `lib/tables/meanings.ts` holds for the API to serve.
 */
export function tableMeanings(sources: TableSources): Record<string, TableMeaning> {
  const schema = schemaFromMigrations(sources.migrations);
  const lists = columnListsByTable(schema, sources.modules);
  const note = (name: string, comment: string | undefined): string =>
    withoutName(sources.modules.names.get(name) ?? comment ?? '')
      .replace(/\s+/g, ' ')
      .trim();
  const out: Record<string, TableMeaning> = {};
  for (const t of [...schema.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const list = lists.get(t.name);
    if (list === undefined) throw new DdlError(`table ${t.name}: no column list`);
    const record = sources.records.get(t.copyOf ?? t.name);
    const columns: Record<string, string> = {};
    for (const c of t.columns) {
      const meaning = columnMeanings(c, list, record).join(' ');
      if (meaning !== '') columns[c.name] = meaning;
    }
    out[t.name] = { note: note(t.name, t.comment), columns };
  }
  for (const v of [...schema.views.values()].filter((view) => !view.materialized)) {
    out[v.name] = { note: note(v.name, v.comment), columns: {} };
  }
  return out;
}

/** `lib/tables/meanings.ts`: `tableMeanings` as a module the API imports (formatted by the caller). */
export function renderTableMeaningsModule(sources: TableSources): string {
  return [
    '// Generated from the migrations and the table modules by `npm run docs` (docs/gen/tables.ts); do not edit by hand.',
    '',
    '/** Each table and view: what a row is, and what each column holds (columns without a meaning are left out). */',
    'export const TABLE_MEANINGS: Readonly<',
    '  Record<string, { readonly note: string; readonly columns: Readonly<Record<string, string>> }>',
    `> = ${JSON.stringify(tableMeanings(sources), null, 2)};`,
    '',
  ].join('\n');
}
