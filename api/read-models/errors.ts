import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import {
  ERROR_FACT_COLUMNS,
  ERROR_FACTS,
  errorRefsCondition,
  type ErrorFactRow,
} from '../../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../../lib/tables/error-groups.js';
import { ERROR_ROLLUP_1M } from '../../lib/tables/rollups.js';
import { ErrorCategory, Severity } from '../../schemas/records.js';
import { cacheKey, type ReadCache } from './cache.js';
import { decodeCursor, olderThan, toPage, type Page } from './cursor.js';
import { ERRORS, newestFirst, selectByTrace } from './newest-page.js';
import { errorFromRow, isoTime, type ApiError, type WireRow } from './shapes.js';

export const SEVERITIES = Object.values(Severity) as [Severity, ...Severity[]];
export const CATEGORIES = Object.values(ErrorCategory) as [ErrorCategory, ...ErrorCategory[]];

export interface ErrorFilter {
  severity?: Severity | undefined;
  category?: ErrorCategory | undefined;
  agent?: string | undefined;
  traceId?: string | undefined;
  taskId?: string | undefined;
  fingerprint?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

export interface ErrorSummary {
  total_errors: number;
  by_severity: Record<string, number>;
  by_category: Record<string, number>;
  by_agent: Record<string, number>;
}

export interface ErrorGroup {
  fingerprint: string;
  error_type: string;
  category: string;
  severity: string;
  operation: string | null;
  count: number;
  first_seen: string;
  last_seen: string;
  agents: string[];
  sample_error_id: string;
  sample_message: string;
  sample_trace_id: string | null;
  trend: ErrorTrend;
}

export interface ErrorTrend {
  /** Errors per bucket, oldest first; the last bucket ends now. */
  buckets: number[];
  bucket_minutes: number;
  /** `new` (first seen within the last bucket), `rising`, `falling`, `steady` or `quiet`. */
  direction: 'new' | 'rising' | 'falling' | 'steady' | 'quiet';
}

export interface GroupsOptions {
  limit: number;
  agent?: string | undefined;
  sinceMs?: number | undefined;
  fingerprint?: string | undefined;
}

function conditions(filter: ErrorFilter): string[] {
  const where: string[] = [];
  if (filter.severity !== undefined) where.push(`severity = ${quoteString(filter.severity)}`);
  if (filter.category !== undefined) where.push(`category = ${quoteString(filter.category)}`);
  if (filter.agent !== undefined) where.push(`agent_name = ${quoteString(filter.agent)}`);
  if (filter.traceId !== undefined && filter.taskId !== undefined) {
    where.push(`task_id = ${quoteString(filter.taskId)}`);
  }
  if (filter.fingerprint !== undefined) where.push(`fingerprint = ${quoteString(filter.fingerprint)}`);
  if (filter.sinceMs !== undefined) where.push(`timestamp_ms >= ${quoteNumber(filter.sinceMs)}`);
  if (filter.untilMs !== undefined) where.push(`timestamp_ms < ${quoteNumber(filter.untilMs)}`);
  return where;
}

/** How `errors_by_trace` is narrowed by the filter's trace or task; undefined when it is not. */
function byTraceCondition(filter: Pick<ErrorFilter, 'traceId' | 'taskId'>): string | undefined {
  if (filter.traceId !== undefined) return `trace_id = ${quoteString(filter.traceId)}`;
  if (filter.taskId !== undefined) return errorRefsCondition(filter.taskId, 'task');
  return undefined;
}

/** Fields of ApiError whose column has another name. */
const FIELD_COLUMN: Readonly<Record<string, string>> = { timestamp: 'timestamp_ms' };

/**
 * The columns that `errorFromRow` needs for these fields of ApiError, with the id and time that
 * order and page them; every column when a field is not one of ApiError's.
 */
export function errorColumnsFor(fields: ReadonlySet<string>): readonly string[] {
  const wanted = new Set<string>(['error_id', 'timestamp_ms']);
  for (const field of fields) {
    const column = FIELD_COLUMN[field] ?? field;
    if (!(ERROR_FACT_COLUMNS as readonly string[]).includes(column)) return ERROR_FACT_COLUMNS;
    wanted.add(column);
  }
  return ERROR_FACT_COLUMNS.filter((column) => wanted.has(column));
}

const SEVERITY_BY_RANK = ['critical', 'error', 'warning', 'info'] as const;

const MINUTE_MS = 60_000;

const TREND_BUCKETS = 12;
const TREND_BUCKET_MINUTES = 5;

export function trendDirection(
  buckets: readonly number[],
  firstSeenMs: number,
  nowMs: number,
  bucketMs: number,
): ErrorTrend['direction'] {
  if (nowMs - firstSeenMs <= bucketMs) return 'new';
  const half = Math.floor(buckets.length / 2);
  const earlier = buckets.slice(0, half).reduce((a, b) => a + b, 0);
  const later = buckets.slice(half).reduce((a, b) => a + b, 0);
  if (earlier + later === 0) return 'quiet';
  if (later > earlier * 1.5) return 'rising';
  if (later * 1.5 < earlier) return 'falling';
  return 'steady';
}

/** Errors as stored in `error_facts` (read through `errors_by_trace`, one row per id) and their groups in `error_groups`. */
export class ErrorsReadModel {
  readonly #reader: ClickHouseReader;
  readonly #now: () => number;

  readonly #cache: ReadCache;

  constructor(reader: ClickHouseReader, now: () => number, cache: ReadCache) {
    this.#reader = reader;
    this.#now = now;
    this.#cache = cache;
  }

  /** Newest first, keyset-paginated; `total` counts every error that matches the filter. */
  async list(
    filter: ErrorFilter,
    limit: number,
    cursorText?: string,
  ): Promise<Page<ApiError> & { total: number }> {
    const [page, total] = await Promise.all([this.page(filter, limit, cursorText), this.total(filter)]);
    return { ...page, total };
  }

  /**
   * A page of {@link list} without its total. With `fields` (the caller's fields of ApiError, e.g.
   * a GraphQL selection), only their columns are read: the wide ones (stack traces, inputs) cost
   * most of a page's reading, and a list that shows ids, messages and times needs none of them.
   * The fields left out come back empty.
   */
  async page(
    filter: ErrorFilter,
    limit: number,
    cursorText?: string,
    fields?: ReadonlySet<string>,
  ): Promise<Page<ApiError>> {
    const cursor = decodeCursor(cursorText);
    const page = [...conditions(filter), olderThan(cursor, 'timestamp_ms', 'error_id', quoteString)];
    const narrowed = byTraceCondition(filter);
    const columns = fields === undefined ? ERROR_FACT_COLUMNS : errorColumnsFor(fields);
    const rows =
      narrowed === undefined
        ? await newestFirst<WireRow<ErrorFactRow>>(
            this.#reader,
            ERRORS,
            columns,
            page,
            limit + 1,
            cursor?.ms ?? Math.min(filter.untilMs ?? Infinity, this.#now()),
            cursor === undefined
              ? {
                  cache: this.#cache,
                  where: conditions({ ...filter, sinceMs: undefined }),
                  sinceMs: filter.sinceMs,
                }
              : undefined,
          )
        : await this.#reader.query<WireRow<ErrorFactRow>>(
            selectByTrace(ERRORS, columns, [narrowed, ...page], 'newest', limit + 1),
          );
    const result = toPage(rows, limit, (row) => ({ ms: Number(row.timestamp_ms), id: row.error_id }));
    return { items: result.items.map(errorFromRow), next_cursor: result.next_cursor };
  }

  /**
   * Distinct errors matching the filter. Counts over whole minutes are shared through the cache;
   * a time bound that falls inside a minute ("the last hour", asked at any millisecond) is split
   * into the whole minutes it covers, shared by every caller asking within the same minute, and
   * the part-minutes at its ends, counted for each caller: a count over an hour of a busy store
   * costs 11 ms of ClickHouse CPU, one over a minute a tenth of that. Counts narrowed by a trace
   * or task are small and asked as they are.
   */
  async total(filter: ErrorFilter): Promise<number> {
    if (byTraceCondition(filter) !== undefined || !this.#cache.enabled) return this.#count(filter);
    const { sinceMs, untilMs } = filter;
    const from = sinceMs === undefined ? undefined : Math.ceil(sinceMs / MINUTE_MS) * MINUTE_MS;
    const to = untilMs === undefined ? undefined : Math.floor(untilMs / MINUTE_MS) * MINUTE_MS;
    // a bound within one minute: nothing whole to share
    if (from !== undefined && to !== undefined && from >= to) return this.#count(filter);
    const whole: ErrorFilter = { ...filter, sinceMs: from, untilMs: to };
    const ends: ErrorFilter[] = [];
    if (sinceMs !== undefined && from !== undefined && sinceMs < from) {
      ends.push({ ...filter, sinceMs, untilMs: from });
    }
    if (untilMs !== undefined && to !== undefined && to < untilMs) {
      ends.push({ ...filter, sinceMs: to, untilMs });
    }
    const counts = await Promise.all([
      this.#cache.get(cacheKey('errors.total', whole), () => this.#count(whole)),
      ...ends.map((part) => this.#count(part)),
    ]);
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async #count(filter: ErrorFilter): Promise<number> {
    const narrowed = byTraceCondition(filter);
    const where = [...(narrowed === undefined ? [] : [narrowed]), ...conditions(filter)];
    // distinct ids by their 64-bit hash: half the CPU of uniqExact on the strings (which keeps
    // 128-bit hashes of them), and two ids of a million collide with a chance of 3 in 10^8
    const rows = await this.#reader.query<{ n: string | number }>(
      `SELECT uniqExact(cityHash64(error_id)) AS n FROM ${narrowed === undefined ? ERROR_FACTS : ERRORS.byTrace}
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** All errors of a trace or a task (oldest first), up to `limit`. */
  async related(filter: { traceId: string } | { taskId: string }, limit: number): Promise<ApiError[]> {
    const rows = await this.#reader.query<WireRow<ErrorFactRow>>(
      selectByTrace(ERRORS, ERROR_FACT_COLUMNS, [byTraceCondition(filter) ?? '0'], 'oldest', limit),
    );
    return rows.map(errorFromRow);
  }

  async get(errorId: string): Promise<ApiError | undefined> {
    const rows = await this.#reader.query<WireRow<ErrorFactRow>>(
      selectByTrace(ERRORS, ERROR_FACT_COLUMNS, [errorRefsCondition(errorId, 'error')], 'newest', 1),
    );
    return rows[0] === undefined ? undefined : errorFromRow(rows[0]);
  }

  /** Counts by severity, category and agent, from the per-minute rollup (minute precision for `sinceMs`). */
  summary(options: { sinceMs?: number | undefined; agent?: string | undefined } = {}): Promise<ErrorSummary> {
    // minute precision: callers asking within one minute share one answer
    const minute = options.sinceMs === undefined ? undefined : Math.floor(options.sinceMs / 60_000);
    return this.#cache.get(cacheKey('errors.summary', options.agent, minute), () => this.#summary(options));
  }

  async #summary(options: {
    sinceMs?: number | undefined;
    agent?: string | undefined;
  }): Promise<ErrorSummary> {
    const where: string[] = [];
    if (options.sinceMs !== undefined) {
      where.push(`minute >= toStartOfMinute(toDateTime(${quoteNumber(Math.floor(options.sinceMs / 1000))}))`);
    }
    if (options.agent !== undefined) where.push(`agent_name = ${quoteString(options.agent)}`);
    const rows = await this.#reader.query<{
      severity: string;
      category: string;
      agent_name: string;
      n: string | number;
    }>(`
      SELECT severity, category, agent_name, uniqExactMerge(errors) AS n FROM ${ERROR_ROLLUP_1M}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY severity, category, agent_name`);
    const summary: ErrorSummary = { total_errors: 0, by_severity: {}, by_category: {}, by_agent: {} };
    for (const row of rows) {
      const n = Number(row.n);
      summary.total_errors += n;
      summary.by_severity[row.severity] = (summary.by_severity[row.severity] ?? 0) + n;
      summary.by_category[row.category] = (summary.by_category[row.category] ?? 0) + n;
      summary.by_agent[row.agent_name] = (summary.by_agent[row.agent_name] ?? 0) + n;
    }
    return summary;
  }

  /** Error groups by fingerprint, most errors first, with a trend over the last hour. */
  groups(options: GroupsOptions): Promise<ErrorGroup[]> {
    return this.#cache.get(cacheKey('errors.groups', options), () => this.#groups(options));
  }

  async #groups(options: GroupsOptions): Promise<ErrorGroup[]> {
    const having: string[] = [];
    if (options.agent !== undefined) having.push(`has(agents, ${quoteString(options.agent)})`);
    if (options.sinceMs !== undefined) having.push(`last_seen_ms >= ${quoteNumber(options.sinceMs)}`);
    const rows = await this.#reader.query<{
      fingerprint: string;
      first_seen_ms: string | number;
      last_seen_ms: string | number;
      count: string | number;
      agents: string[];
      error_type: string;
      category: string;
      top_severity: number | string;
      operation: string;
      sample_error_id: string;
      sample_message: string;
      sample_trace_id: string;
    }>(`
      SELECT fingerprint, minMerge(first_seen_ms) AS first_seen_ms, maxMerge(last_seen_ms) AS last_seen_ms,
             uniqExactMerge(error_count) AS count, groupUniqArrayMerge(agents) AS agents,
             argMaxMerge(error_type) AS error_type, argMaxMerge(category) AS category,
             minMerge(top_severity) AS top_severity, argMaxMerge(operation) AS operation,
             argMaxMerge(sample_error_id) AS sample_error_id, argMaxMerge(sample_message) AS sample_message,
             argMaxMerge(sample_trace_id) AS sample_trace_id
      FROM ${ERROR_GROUPS}
      ${options.fingerprint === undefined ? '' : `WHERE fingerprint = ${quoteString(options.fingerprint)}`}
      GROUP BY fingerprint
      ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
      ORDER BY count DESC, last_seen_ms DESC, fingerprint LIMIT ${options.limit}`);
    const now = this.#now();
    const bucketMs = TREND_BUCKET_MINUTES * 60_000;
    const start = now - TREND_BUCKETS * bucketMs;
    const counts = new Map<string, number[]>();
    if (rows.length > 0) {
      const buckets = await this.#reader.query<{
        fingerprint: string;
        bucket: string | number;
        n: string | number;
      }>(`
        SELECT fingerprint, intDiv(timestamp_ms - ${quoteNumber(start)}, ${bucketMs}) AS bucket, uniqExact(error_id) AS n
        FROM ${ERROR_FACTS}
        WHERE fingerprint IN (${rows.map((r) => quoteString(r.fingerprint)).join(', ')})
          AND timestamp_ms >= ${quoteNumber(start)} AND timestamp_ms < ${quoteNumber(now)}
        GROUP BY fingerprint, bucket`);
      for (const b of buckets) {
        const list = counts.get(b.fingerprint) ?? new Array<number>(TREND_BUCKETS).fill(0);
        const index = Number(b.bucket);
        if (index >= 0 && index < TREND_BUCKETS) list[index] = Number(b.n);
        counts.set(b.fingerprint, list);
      }
    }
    return rows.map((row) => {
      const buckets = counts.get(row.fingerprint) ?? new Array<number>(TREND_BUCKETS).fill(0);
      const firstSeen = Number(row.first_seen_ms);
      return {
        fingerprint: row.fingerprint,
        error_type: row.error_type,
        category: row.category,
        severity: SEVERITY_BY_RANK[Number(row.top_severity) - 1] ?? 'info',
        operation: row.operation === '' ? null : row.operation,
        count: Number(row.count),
        first_seen: isoTime(firstSeen),
        last_seen: isoTime(Number(row.last_seen_ms)),
        agents: [...row.agents].sort(),
        sample_error_id: row.sample_error_id,
        sample_message: row.sample_message,
        sample_trace_id: row.sample_trace_id === '' ? null : row.sample_trace_id,
        trend: {
          buckets,
          bucket_minutes: TREND_BUCKET_MINUTES,
          direction: trendDirection(buckets, firstSeen, now, bucketMs),
        },
      };
    });
  }
}
