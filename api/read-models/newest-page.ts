import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { ERROR_FACTS, ERRORS_BY_TRACE } from '../../lib/tables/error-facts.js';
import { MESSAGE_LOG, MESSAGES_BY_TRACE } from '../../lib/tables/message-log.js';
import { cacheKey, type ReadCache } from './cache.js';

/**
 * Reads of a fact table (`message_log`, `error_facts`): newest-first pages from the table itself,
 * reads by trace or key through its copy sorted by trace (`messages_by_trace`, `errors_by_trace`,
 * migration 0006), whose small granules make reads by key cheap. Both tables are ReplacingMergeTree(observed_at_ms): until a background merge, a redelivered
 * row is stored twice, so every read keeps the latest version of each id (LIMIT 1 BY) instead of
 * reading with FINAL, which merges every part of the range it reads.
 */
export interface TracedTable {
  /** The fact table, sorted for per-agent time ranges. */
  facts: string;
  /** Its copy sorted by (trace_id, time, id). */
  byTrace: string;
  time: string;
  id: string;
}

export const MESSAGES: TracedTable = {
  facts: MESSAGE_LOG,
  byTrace: MESSAGES_BY_TRACE,
  time: 'sent_at_ms',
  id: 'message_id',
};

export const ERRORS: TracedTable = {
  facts: ERROR_FACTS,
  byTrace: ERRORS_BY_TRACE,
  time: 'timestamp_ms',
  id: 'error_id',
};

type Order = 'newest' | 'oldest';

function orderBy(table: TracedTable, order: Order): string {
  const direction = order === 'newest' ? 'DESC' : 'ASC';
  return `${table.time} ${direction}, ${table.id} ${direction}, observed_at_ms DESC LIMIT 1 BY ${table.id}`;
}

/**
 * Rows of the copy matching `where` (which must narrow it by its key), one per id, in order.
 *
 * PREWHERE: under ingest the copy has a few small parts besides its large ones, and ClickHouse 18.16
 * keeps only each granule's first key, so a small part's one granule reaches from its first key to
 * the end of the key range, and most lookups read a granule of each. With WHERE,
 * ClickHouse 18.16 read every column of those granules for a trace (`trace_id = …` is a key
 * condition, which it does not move to PREWHERE); with PREWHERE it reads the key column there and
 * the wide ones only where a row matched: 14.7 to 17.4 → 6.8 to 7.5 ms of CPU for the errors of a
 * trace with five small parts besides six large ones, 3.2 to 3.4 → 2.6 to 2.9 ms with one part.
 * Tuples of the whole key and refs subqueries cost the same either way.
 */
export function selectByTrace(
  table: TracedTable,
  columns: readonly string[],
  where: readonly string[],
  order: Order,
  limit: number,
): string {
  return `SELECT ${columns.join(', ')} FROM ${table.byTrace} PREWHERE ${where.join(' AND ')}
    ORDER BY ${orderBy(table, order)} LIMIT ${Math.trunc(limit)}`;
}

/**
 * The rows with these keys (trace_id, time, id) that also match `where`, newest first: a lookup by
 * the copy's sorting key, without going through a refs table.
 */
export async function rowsByKeys<Row>(
  reader: ClickHouseReader,
  table: TracedTable,
  columns: readonly string[],
  keys: readonly KeyRow[],
  where: readonly string[] = [],
): Promise<Row[]> {
  if (keys.length === 0) return [];
  const tuples = keys
    .map((k) => `(${quoteString(k.trace_id)}, ${quoteNumber(Number(k.t))}, ${quoteString(k.id)})`)
    .join(', ');
  return reader.query<Row>(
    selectByTrace(
      table,
      columns,
      [`(trace_id, ${table.time}, ${table.id}) IN (${tuples})`, ...where],
      'newest',
      keys.length,
    ),
  );
}

/**
 * The windows a newest-first page is looked for in, widening until it is full; undefined: all
 * time. A busy store fills a page within its last minute (thousands of rows an hour: an hour's
 * times are a quarter of a million rows to sort on a million errors); a quiet one pays one more
 * read of a narrow range.
 */
const RECENT_WINDOWS_MS = [60_000, 3_600_000, 86_400_000, undefined] as const;

/** A row's key in a copy sorted by trace: its trace id ('' when none), time and id. */
export interface KeyRow {
  trace_id: string;
  t: string | number;
  id: string;
}

/**
 * A first page's lower time bound, shared through the read cache by every caller asking for the same
 * filter: the time of the limit-th newest row matching `where` (the page's conditions without its
 * `since`), or null when fewer rows match. Rows are never taken back and newer ones only add to
 * the range, so a bound found earlier still holds a full page: a caller reads its page in one query
 * within it, the time of its own last row a scalar subquery over the narrow time column from there,
 * and the newest rows that arrived since are in it.
 */
export interface SharedBound {
  cache: ReadCache;
  where: readonly string[];
  sinceMs?: number | undefined;
}

/**
 * Up to `limit` rows of the fact table matching `where`, newest first: the time of the limit-th
 * newest row (narrow column only) bounds the read of the page's rows, which then lie in a few
 * ranges of the fact table's sorting key (a page is the newest rows of an agent, or of each agent),
 * cheaper to read whole than the same rows picked one by one from the copy. Callers pass limit + 1
 * to learn whether a next page exists.
 *
 * A first page (no cursor) takes the bound from the read cache (`shared`): one query per page, and
 * one search for the bound per filter and refresh of the cache, instead of one per page. Otherwise,
 * or when the cache is off, the first window is asked in one query, the bound a scalar subquery of
 * it (ClickHouse computes it before choosing the granules to read): on a busy store, where the page
 * is within the last minute, a page is one round trip instead of two. A page that does not fill it
 * (a quiet store, or unmerged copies of one id) is looked for as before, in wider windows with the
 * bound asked first.
 */
export async function newestFirst<Row>(
  reader: ClickHouseReader,
  table: TracedTable,
  columns: readonly string[],
  where: readonly string[],
  limit: number,
  /** The newest time the page can hold (now, or the cursor's time): the windows count back from it. */
  fromMs: number,
  shared?: SharedBound,
): Promise<Row[]> {
  const all = where.length > 0 ? where.join(' AND ') : '1';
  const n = Math.trunc(limit);
  // PREWHERE: the page's conditions are read first, on their narrow columns, and the wide ones
  // (payloads, stack traces) only for the granules where a row passed; with WHERE, ClickHouse
  // moved only some of them there and read every wide column of the range (52 → 29 ms of CPU for
  // a page of critical errors on a million rows, ClickHouse 18.16)
  const page = (scope: string): Promise<Row[]> =>
    reader.query<Row>(
      `SELECT ${columns.join(', ')} FROM ${table.facts} PREWHERE ${scope}
       ORDER BY ${orderBy(table, 'newest')} LIMIT ${n}`,
    );
  if (shared !== undefined && shared.cache.enabled) {
    const bound = await shared.cache.get(cacheKey('newest.bound', table.facts, shared.where, n), () =>
      nthNewest(reader, table, shared.where, n, fromMs),
    );
    // the bound is below `since`, or fewer rows than a page match at all: the filter's own range
    // is the whole answer
    if (bound === null || bound <= (shared.sinceMs ?? 0)) return page(all);
    // the page's own bound, a scalar subquery over the narrow time column from the shared one: a
    // shared bound is as old as its refresh (tens of seconds when ClickHouse is busy, thousands of
    // rows on a busy store), and reading wide columns from it cost 40 to 70 ms of CPU per page
    const from = `${all} AND ${table.time} >= ${quoteNumber(bound)}`;
    const rows = await page(`${from} AND ${table.time} >= ${nthNewestSubquery(table, from, n)}`);
    if (rows.length === n) return rows;
    // unmerged copies of one id were counted twice in the bound: look for the page as below
  }
  const [first, ...wider] = RECENT_WINDOWS_MS;
  const recent = `${all} AND ${table.time} >= ${quoteNumber(Math.max(0, fromMs - first))}`;
  // an empty window's min() is 0: the window's own bound still holds
  const inRecent = await page(`${recent} AND ${table.time} >= ${nthNewestSubquery(table, recent, n)}`);
  if (inRecent.length === n) return inRecent;
  let filter = all;
  // most pages lie in the last minute, hour or day: a time bound lets the sorting key skip the rest
  let times: { t: string | number }[] = [];
  for (const windowMs of wider) {
    const bounded =
      windowMs === undefined
        ? all
        : `${all} AND ${table.time} >= ${quoteNumber(Math.max(0, fromMs - windowMs))}`;
    times = await reader.query<{ t: string | number }>(
      `SELECT ${table.time} AS t FROM ${table.facts} WHERE ${bounded} ORDER BY t DESC LIMIT ${n}`,
    );
    if (times.length === n || windowMs === undefined) {
      filter = bounded;
      break;
    }
  }
  const last = times[times.length - 1];
  if (last === undefined) return [];
  const rows = await page(
    times.length === n ? `${filter} AND ${table.time} >= ${quoteNumber(Number(last.t))}` : filter,
  );
  if (rows.length === times.length) return rows;
  // the bound came from rows that included unmerged copies of one id: the page's keys without it
  const keys = await reader.query<KeyRow>(`
    SELECT trace_id, ${table.time} AS t, ${table.id} AS id FROM ${table.facts}
    WHERE ${all} ORDER BY t DESC, id DESC LIMIT 1 BY id LIMIT ${n}`);
  return rowsByKeys<Row>(reader, table, columns, keys);
}

/** The time of the `n`-th newest row matching `where`, as a scalar subquery (0 when none match). */
function nthNewestSubquery(table: TracedTable, where: string, n: number): string {
  return `(SELECT min(t) FROM (SELECT ${table.time} AS t FROM ${table.facts}
       WHERE ${where} ORDER BY t DESC LIMIT ${n}))`;
}

/**
 * The time of the `n`-th newest row matching `where`, looked for in the same widening windows as a
 * page; null when fewer than `n` rows match.
 */
async function nthNewest(
  reader: ClickHouseReader,
  table: TracedTable,
  where: readonly string[],
  n: number,
  fromMs: number,
): Promise<number | null> {
  const all = where.length > 0 ? where.join(' AND ') : '1';
  for (const windowMs of RECENT_WINDOWS_MS) {
    const bounded =
      windowMs === undefined
        ? all
        : `${all} AND ${table.time} >= ${quoteNumber(Math.max(0, fromMs - windowMs))}`;
    const rows = await reader.query<{ n: string | number; t: string | number }>(
      `SELECT count() AS n, min(t) AS t FROM (SELECT ${table.time} AS t FROM ${table.facts}
       WHERE ${bounded} ORDER BY t DESC LIMIT ${n})`,
    );
    if (Number(rows[0]?.n ?? 0) === n) return Number(rows[0]?.t);
  }
  return null;
}
