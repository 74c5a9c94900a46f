/**
 * The ClickHouse schema that the migrations (`schemas/migrations/*.sql`) build, replayed statement
 * by statement: tables with their columns, engine and keys, views with their sources, and which
 * migration created or changed each. It understands the statements the migrations use (CREATE
 * TABLE, CREATE TABLE … AS, CREATE [MATERIALIZED] VIEW, ALTER TABLE … ADD/DROP/MODIFY/COMMENT
 * COLUMN and MODIFY SETTING, INSERT … SELECT, DROP) and throws on anything else, naming the
 * migration: a statement it cannot read must not vanish from the reference page.
 *
 * General SQL parsers do not read ClickHouse DDL (`ENGINE = …`, `AggregateFunction(argMax, String,
 * Tuple(UInt64, String))`, `MATERIALIZED` columns), so this is a small reader of that subset.
 */

export interface Column {
  name: string;
  type: string;
  /** `DEFAULT`, `MATERIALIZED`, `ALIAS` or `EPHEMERAL`, with its expression. */
  defaultKind?: string;
  defaultExpression?: string;
  comment?: string;
  codec?: string;
  /** The migration that added it (the table's own for its first columns). */
  addedIn: string;
}

export interface Change {
  migration: string;
  change: string;
}

export interface Table {
  name: string;
  engine: string;
  partitionBy?: string;
  orderBy?: string;
  primaryKey?: string;
  sampleBy?: string;
  ttl?: string;
  settings?: string;
  columns: Column[];
  indexes: string[];
  /** The table whose columns it copied (`CREATE TABLE … AS other`). */
  copyOf?: string;
  createdIn: string;
  /** The comment lines right above its CREATE statement. */
  comment?: string;
  changes: Change[];
}

export interface ViewVariant {
  /** `clickhouse < 20.1` for a statement limited to some releases. */
  when?: string;
  select: string;
}

export interface View {
  name: string;
  materialized: boolean;
  /** The table a materialized view writes into. */
  to?: string;
  /** The tables and views it reads (FROM and JOIN of its SELECT). */
  from: string[];
  createdIn: string;
  comment?: string;
  variants: ViewVariant[];
}

export interface Backfill {
  migration: string;
  into: string;
  from: string[];
}

export interface MigrationSummary {
  name: string;
  /** The file's opening comment. */
  header: string;
  changes: string[];
}

export interface Schema {
  tables: Map<string, Table>;
  views: Map<string, View>;
  backfills: Backfill[];
  migrations: MigrationSummary[];
}

/** One statement of a migration file, with the comment right above it and its release condition. */
export interface SourceStatement {
  sql: string;
  comment?: string;
  when?: string;
  /** The table a `-- rebuild <table>` line says this statement's replacement rebuilds. */
  rebuild?: string;
}

export class DdlError extends Error {
  override readonly name = 'DdlError';
}

const WHEN = /^--\s*when\s+(clickhouse\s*(?:<|>=)\s*[\d.]+)\s*$/;
const DIRECTIVE = /^--\s*amends:/;
const REBUILD = /^--\s*rebuild\s+(\w+)\s*$/;

function commentText(lines: readonly string[]): string | undefined {
  const text = lines
    .map((line) => line.replace(/^--\s?/, ''))
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

/**
 * Splits a migration file the way `lib/migrations.ts` does (a `;` at the end of a line ends a
 * statement) and keeps what the runner drops: the comment block right above each statement, and
 * the file's opening comment.
 */
export function readMigrationFile(text: string): { header: string; statements: SourceStatement[] } {
  const statements: SourceStatement[] = [];
  const headerLines: string[] = [];
  let inHeader = true;
  let comment: string[] = [];
  let when: string | undefined;
  let rebuild: string | undefined;
  let current: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (current.length === 0) {
      const condition = WHEN.exec(trimmed);
      if (condition?.[1] !== undefined) {
        when = condition[1].replace(/\s+/g, ' ');
        inHeader = false;
        continue;
      }
      const rebuilt = REBUILD.exec(trimmed);
      if (rebuilt?.[1] !== undefined) {
        rebuild = rebuilt[1];
        inHeader = false;
        continue;
      }
      if (trimmed.startsWith('--')) {
        if (DIRECTIVE.test(trimmed)) continue;
        comment.push(trimmed);
        if (inHeader) headerLines.push(trimmed);
        continue;
      }
      if (trimmed === '') {
        // a blank line detaches a comment from the statement below it
        comment = [];
        inHeader = false;
        continue;
      }
      inHeader = false;
    } else if (trimmed.startsWith('--') || trimmed === '') {
      continue;
    }
    current.push(trimmed.endsWith(';') ? line.replace(/;\s*$/, '') : line);
    if (trimmed.endsWith(';')) {
      const statementComment = commentText(comment);
      statements.push({
        sql: current.join('\n').trim(),
        ...(statementComment === undefined ? {} : { comment: statementComment }),
        ...(when === undefined ? {} : { when }),
        ...(rebuild === undefined ? {} : { rebuild }),
      });
      current = [];
      comment = [];
      when = undefined;
      rebuild = undefined;
    }
  }
  if (current.join('').trim() !== '') statements.push({ sql: current.join('\n').trim() });
  return { header: commentText(headerLines) ?? '', statements };
}

/** Calls `visit` with each index of `text` outside quotes, and the bracket depth there. */
function scanTopLevel(text: string, visit: (index: number, depth: number) => void): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    visit(i, depth);
  }
  if (quote !== undefined || depth !== 0) throw new DdlError(`unbalanced quotes or brackets in: ${text}`);
}

/** The index of the bracket that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && --depth === 0) return i;
  }
  throw new DdlError(`no closing bracket in: ${text.slice(open)}`);
}

/** `text` split at its top-level commas. */
export function splitTopLevel(text: string): string[] {
  const items: string[] = [];
  let start = 0;
  scanTopLevel(text, (i, depth) => {
    if (depth === 0 && text.charAt(i) === ',') {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  });
  items.push(text.slice(start).trim());
  return items.filter((item) => item !== '');
}

/** Where each top-level keyword of `keywords` starts in `text` (as a whole word). */
export function keywordPositions(
  text: string,
  keywords: readonly string[],
): { keyword: string; at: number }[] {
  const found: { keyword: string; at: number }[] = [];
  const upper = text.toUpperCase();
  scanTopLevel(text, (i, depth) => {
    if (depth !== 0 || (i > 0 && /\w/.test(text.charAt(i - 1)))) return;
    for (const keyword of keywords) {
      const end = i + keyword.length;
      if (upper.startsWith(keyword, i) && !/\w/.test(text.charAt(end))) {
        found.push({ keyword, at: i });
        return;
      }
    }
  });
  return found;
}

/** The value of each clause of `text`, which must consist of nothing but those clauses. */
function clauses(text: string, keywords: readonly string[], where: string): Map<string, string> {
  const positions = keywordPositions(text, keywords);
  const values = new Map<string, string>();
  const before = text.slice(0, positions[0]?.at ?? text.length).trim();
  if (before !== '') throw new DdlError(`${where}: cannot read "${before}"`);
  positions.forEach(({ keyword, at }, index) => {
    if (values.has(keyword)) throw new DdlError(`${where}: ${keyword} given twice`);
    const end = positions[index + 1]?.at ?? text.length;
    values.set(keyword, text.slice(at + keyword.length, end).trim());
  });
  return values;
}

const normalize = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** A column definition: `name Type [DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL expr] [COMMENT '…'] [CODEC(…)]`. */
export function parseColumn(definition: string, addedIn: string, where: string): Column {
  const head = /^(`[^`]+`|\w+)\s+(\w+)/.exec(definition);
  if (head?.[1] === undefined || head[2] === undefined) {
    throw new DdlError(`${where}: cannot read the column definition "${definition}"`);
  }
  let end = head[0].length;
  if (definition.charAt(end) === '(') end = closing(definition, end) + 1;
  const column: Column = {
    name: head[1].replace(/`/g, ''),
    type: normalize(definition.slice(head[1].length, end)),
    addedIn,
  };
  const rest = definition.slice(end);
  const parts = clauses(rest, ['DEFAULT', 'MATERIALIZED', 'ALIAS', 'EPHEMERAL', 'COMMENT', 'CODEC'], where);
  for (const [keyword, value] of parts) {
    if (keyword === 'COMMENT') {
      const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(value);
      if (quoted?.[1] === undefined) throw new DdlError(`${where}: cannot read the comment ${value}`);
      column.comment = quoted[1].replace(/\\(.)/g, '$1');
    } else if (keyword === 'CODEC') {
      column.codec = normalize(value);
    } else {
      if (column.defaultKind !== undefined) throw new DdlError(`${where}: two defaults in "${definition}"`);
      column.defaultKind = keyword;
      column.defaultExpression = normalize(value);
    }
  }
  return column;
}

const TABLE_CLAUSES = ['ENGINE', 'PARTITION BY', 'ORDER BY', 'PRIMARY KEY', 'SAMPLE BY', 'TTL', 'SETTINGS'];

function tableClauses(
  text: string,
  where: string,
): Omit<Table, 'name' | 'columns' | 'indexes' | 'createdIn' | 'changes'> {
  const values = clauses(text, TABLE_CLAUSES, where);
  const engine = values.get('ENGINE')?.replace(/^=\s*/, '');
  if (engine === undefined || engine === '') throw new DdlError(`${where}: no ENGINE`);
  const engineName = /^\w+\s*/.exec(engine)?.[0] ?? '';
  const args = engine.slice(engineName.length);
  if (engineName === '' || (args !== '' && (!args.startsWith('(') || closing(args, 0) !== args.length - 1))) {
    throw new DdlError(`${where}: cannot read the engine "${normalize(engine)}"`);
  }
  const optional = (keyword: string, key: keyof Table): Partial<Table> => {
    const value = values.get(keyword);
    return value === undefined ? {} : { [key]: normalize(value) };
  };
  return {
    engine: normalize(engine),
    ...optional('PARTITION BY', 'partitionBy'),
    ...optional('ORDER BY', 'orderBy'),
    ...optional('PRIMARY KEY', 'primaryKey'),
    ...optional('SAMPLE BY', 'sampleBy'),
    ...optional('TTL', 'ttl'),
    ...optional('SETTINGS', 'settings'),
  };
}

const NAME = '(?:`[^`]+`|\\w+)';
const CREATE_TABLE = new RegExp(`^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${NAME})\\s*`, 'i');
const CREATE_VIEW = new RegExp(
  `^CREATE\\s+(MATERIALIZED\\s+)?VIEW\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${NAME})\\s+(?:TO\\s+(${NAME})\\s+)?AS\\s+(SELECT\\b[\\s\\S]*)$`,
  'i',
);
const ALTER_TABLE = new RegExp(`^ALTER\\s+TABLE\\s+(${NAME})\\s+([\\s\\S]+)$`, 'i');
const INSERT_SELECT = new RegExp(`^INSERT\\s+INTO\\s+(${NAME})\\s+(SELECT\\b[\\s\\S]*)$`, 'i');
const DROP = new RegExp(`^DROP\\s+(TABLE|VIEW)\\s+(?:IF\\s+EXISTS\\s+)?(${NAME})\\s*$`, 'i');

const unquote = (name: string): string => name.replace(/`/g, '');

export function emptySchema(): Schema {
  return { tables: new Map(), views: new Map(), backfills: [], migrations: [] };
}

/** The known tables and views a SELECT reads (FROM and JOIN; subqueries and ARRAY JOIN aside). */
function sources(schema: Schema, select: string): string[] {
  const names = [...select.matchAll(/\b(?:FROM|JOIN)\s+(`[^`]+`|\w+)/gi)].map((m) => unquote(m[1] ?? ''));
  const known = names.filter((name) => schema.tables.has(name) || schema.views.has(name));
  return [...new Set(known)];
}

function requireTable(schema: Schema, name: string, where: string): Table {
  const table = schema.tables.get(name);
  if (table === undefined) throw new DdlError(`${where}: table ${name} does not exist at this point`);
  return table;
}

function alterTable(
  table: Table,
  actions: string,
  migration: string,
  where: string,
  when: string | undefined,
): string[] {
  const changes: string[] = [];
  const on = when === undefined ? '' : ` (on ${when})`;
  for (const action of splitTopLevel(actions)) {
    const setting = /^MODIFY\s+SETTING\s+(\w+)\s*=\s*(\S+)$/i.exec(action);
    if (setting?.[1] !== undefined && setting[2] !== undefined) {
      const [, name, value] = setting;
      const kept = (table.settings ?? '').split(/,\s*/).filter((s) => s !== '' && !s.startsWith(`${name} =`));
      table.settings = [...kept, `${name} = ${value}${on}`].join(', ');
      changes.push(`MODIFY SETTING ${name}${on}`);
      continue;
    }
    const add = /^ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?([\s\S]+?)(?:\s+(AFTER\s+\w+|FIRST))?$/i.exec(
      action,
    );
    const drop = /^DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(`[^`]+`|\w+)$/i.exec(action);
    const modify = /^MODIFY\s+COLUMN\s+(?:IF\s+EXISTS\s+)?([\s\S]+)$/i.exec(action);
    const comment = /^COMMENT\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(`[^`]+`|\w+)\s+'((?:[^'\\]|\\.)*)'$/i.exec(
      action,
    );
    if (add?.[1] !== undefined) {
      const column = parseColumn(add[1], migration, where);
      if (table.columns.some((c) => c.name === column.name)) {
        throw new DdlError(`${where}: ${table.name} has a column ${column.name} already`);
      }
      const position = add[2];
      const after = position === undefined ? undefined : /^AFTER\s+(\w+)$/i.exec(position)?.[1];
      const index =
        position === undefined
          ? table.columns.length
          : after === undefined
            ? 0
            : table.columns.findIndex((c) => c.name === after) + 1;
      if (index === 0 && after !== undefined)
        throw new DdlError(`${where}: no column ${after} in ${table.name}`);
      table.columns.splice(index, 0, column);
      changes.push(`ADD COLUMN ${column.name}`);
    } else if (drop?.[1] !== undefined) {
      const name = unquote(drop[1]);
      const before = table.columns.length;
      table.columns = table.columns.filter((c) => c.name !== name);
      if (table.columns.length === before) throw new DdlError(`${where}: no column ${name} in ${table.name}`);
      changes.push(`DROP COLUMN ${name}`);
    } else if (modify?.[1] !== undefined) {
      const column = parseColumn(modify[1], migration, where);
      const index = table.columns.findIndex((c) => c.name === column.name);
      const old = table.columns[index];
      if (old === undefined) throw new DdlError(`${where}: no column ${column.name} in ${table.name}`);
      table.columns[index] = { ...column, addedIn: old.addedIn };
      changes.push(`MODIFY COLUMN ${column.name}`);
    } else if (comment?.[1] !== undefined && comment[2] !== undefined) {
      const column = table.columns.find((c) => c.name === unquote(comment[1] ?? ''));
      if (column === undefined) throw new DdlError(`${where}: no column ${comment[1]} in ${table.name}`);
      column.comment = comment[2].replace(/\\(.)/g, '$1');
      changes.push(`COMMENT COLUMN ${column.name}`);
    } else {
      throw new DdlError(`${where}: cannot read the ALTER action "${normalize(action)}"`);
    }
  }
  return changes;
}

/** Applies one statement of `migration` to `schema`; throws on a statement it cannot read. */
export function applyStatement(schema: Schema, migration: string, statement: SourceStatement): string {
  const sql = statement.sql.trim();
  const where = `${migration}: "${normalize(sql).slice(0, 80)}"`;
  const comment = statement.comment === undefined ? {} : { comment: statement.comment };

  const view = CREATE_VIEW.exec(sql);
  if (view?.[2] !== undefined && view[4] !== undefined) {
    const name = unquote(view[2]);
    const variant: ViewVariant = {
      select: view[4].trim(),
      ...(statement.when === undefined ? {} : { when: statement.when }),
    };
    const existing = schema.views.get(name);
    if (existing !== undefined) {
      // the same view for other releases: one view, several texts
      if (statement.when === undefined || existing.variants.some((v) => v.when === undefined)) {
        throw new DdlError(`${where}: view ${name} is created twice`);
      }
      existing.variants.push(variant);
      return `CREATE ${existing.materialized ? 'MATERIALIZED ' : ''}VIEW ${name} (on ${statement.when})`;
    }
    const to = view[3] === undefined ? undefined : unquote(view[3]);
    if (to !== undefined) requireTable(schema, to, where);
    schema.views.set(name, {
      name,
      materialized: view[1] !== undefined,
      ...(to === undefined ? {} : { to }),
      from: sources(schema, variant.select),
      createdIn: migration,
      ...comment,
      variants: [variant],
    });
    const on = statement.when === undefined ? '' : ` (on ${statement.when})`;
    return `CREATE ${view[1] === undefined ? '' : 'MATERIALIZED '}VIEW ${name}${on}`;
  }

  const create = CREATE_TABLE.exec(sql);
  if (statement.rebuild !== undefined) {
    // the replacement of a table rebuilt in a new layout (lib/table-rebuild.ts): same columns,
    // the new engine clauses, under the table's own name once swapped
    const copy = new RegExp(`^AS\\s+(${NAME})\\s+([\\s\\S]*)$`, 'i').exec(sql.slice(create?.[0].length ?? 0));
    if (
      create?.[1] !== `${statement.rebuild}__rebuild` ||
      copy?.[2] === undefined ||
      unquote(copy[1] ?? '') !== statement.rebuild
    ) {
      throw new DdlError(
        `${where}: a rebuild of ${statement.rebuild} must be CREATE TABLE … ${statement.rebuild}__rebuild AS ${statement.rebuild} …`,
      );
    }
    const old = requireTable(schema, statement.rebuild, where);
    const clauses = tableClauses(copy[2], where);
    const change = `REBUILD${clauses.settings === undefined ? '' : ` SETTINGS ${clauses.settings}`}`;
    const table: Table = {
      name: old.name,
      ...clauses,
      columns: old.columns,
      indexes: old.indexes,
      ...(old.copyOf === undefined ? {} : { copyOf: old.copyOf }),
      createdIn: old.createdIn,
      ...(old.comment === undefined ? {} : { comment: old.comment }),
      changes: [...old.changes, { migration, change }],
    };
    schema.tables.set(table.name, table);
    return `${change} ${table.name}`;
  }
  if (create?.[1] !== undefined) {
    const name = unquote(create[1]);
    if (schema.tables.has(name) || schema.views.has(name))
      throw new DdlError(`${where}: ${name} exists already`);
    const rest = sql.slice(create[0].length);
    const copy = new RegExp(`^AS\\s+(${NAME})\\s+([\\s\\S]*)$`, 'i').exec(rest);
    let table: Table;
    if (copy?.[1] !== undefined && copy[2] !== undefined) {
      const source = requireTable(schema, unquote(copy[1]), where);
      table = {
        name,
        ...tableClauses(copy[2], where),
        columns: source.columns.map((column) => ({ ...column, addedIn: migration })),
        indexes: [...source.indexes],
        copyOf: source.name,
        createdIn: migration,
        ...comment,
        changes: [],
      };
    } else if (rest.startsWith('(')) {
      const end = closing(rest, 0);
      const columns: Column[] = [];
      const indexes: string[] = [];
      for (const item of splitTopLevel(rest.slice(1, end))) {
        if (/^INDEX\s/i.test(item)) indexes.push(normalize(item.replace(/^INDEX\s+/i, '')));
        else if (/^(CONSTRAINT|PROJECTION|PRIMARY\s+KEY)\s/i.test(item)) {
          throw new DdlError(`${where}: cannot read "${normalize(item)}"`);
        } else columns.push(parseColumn(item, migration, where));
      }
      table = {
        name,
        ...tableClauses(rest.slice(end + 1), where),
        columns,
        indexes,
        createdIn: migration,
        ...comment,
        changes: [],
      };
    } else {
      throw new DdlError(`${where}: a CREATE TABLE without columns or AS`);
    }
    schema.tables.set(name, table);
    return `CREATE TABLE ${name}`;
  }

  const alter = ALTER_TABLE.exec(sql);
  if (alter?.[1] !== undefined && alter[2] !== undefined) {
    const table = requireTable(schema, unquote(alter[1]), where);
    const changes = alterTable(table, alter[2], migration, where, statement.when);
    for (const change of changes) table.changes.push({ migration, change });
    return `ALTER TABLE ${table.name} ${changes.join(', ')}`;
  }

  const insert = INSERT_SELECT.exec(sql);
  if (insert?.[1] !== undefined && insert[2] !== undefined) {
    const into = requireTable(schema, unquote(insert[1]), where);
    schema.backfills.push({ migration, into: into.name, from: sources(schema, insert[2]) });
    return `INSERT INTO ${into.name}`;
  }

  const drop = DROP.exec(sql);
  if (drop?.[1] !== undefined && drop[2] !== undefined) {
    const name = unquote(drop[2]);
    const removed = drop[1].toUpperCase() === 'VIEW' ? schema.views.delete(name) : schema.tables.delete(name);
    if (!removed) throw new DdlError(`${where}: ${name} does not exist`);
    return `DROP ${drop[1].toUpperCase()} ${name}`;
  }

  throw new DdlError(`${where}: not a statement this page can read (see docs/gen/ddl.ts)`);
}

/** Replays migration files, in order, into the schema they build. */
export function schemaFromMigrations(files: readonly { name: string; text: string }[]): Schema {
  const schema = emptySchema();
  for (const file of files) {
    const { header, statements } = readMigrationFile(file.text);
    if (statements.length === 0) throw new DdlError(`${file.name}: no statement`);
    const changes = statements.map((statement) => applyStatement(schema, file.name, statement));
    schema.migrations.push({ name: file.name, header, changes });
  }
  return schema;
}
