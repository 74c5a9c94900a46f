import type { Readable } from 'node:stream';
import {
  clickHouseErrorCode,
  createClickHouseClient,
  toClickHouseTelemetryError,
} from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { ToolFailure } from './tool-kit.js';

/**
 * Ad-hoc SQL for a coding assistant, read-only twice over: the statement must be a single query
 * (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) by the check below, and it runs as the API's
 * read-only ClickHouse user, whose profile (`readonly=1`) refuses writes, DDL and settings changes.
 * Limits: a row cap (the query is wrapped in a LIMIT, and the client stops reading past the cap),
 * a byte cap on what the API reads and returns (`API_SQL_MAX_BYTES`: the raw body is read line by
 * line and dropped past it, so `groupArray(payload)` cannot fill the pod's memory) and a time limit (`max_execution_time` where the user may set it, and the request is aborted);
 * under them, the read-only profile's server-side limits (time, result rows and bytes, memory) stop
 * whatever the client does not, abandoned queries included.
 */

export interface SqlLimits {
  maxRows: number;
  timeoutSeconds: number;
  /** Bytes of JSON rows read and returned at most (`API_SQL_MAX_BYTES`); defaults to the config's. */
  maxBytes?: number;
}

export interface SqlAnswer {
  columns: string[];
  rows: Record<string, unknown>[];
  row_count: number;
  /** More rows matched than `max_rows`, or their JSON passed `max_bytes`: only the first ones are shown. */
  rows_truncated: boolean;
  /** Why the rows stop short: `max_rows`, `max_bytes`, or null when every row is here. */
  truncated_by: 'max_rows' | 'max_bytes' | null;
  /** Bytes of the rows' JSON as ClickHouse sent them. */
  bytes: number;
  elapsed_ms: number;
  /** How the limits were enforced: by server settings or, for a readonly=1 user, by the client. */
  limits: { max_rows: number; max_bytes: number; timeout_seconds: number; enforced_by: 'server' | 'client' };
}

const READ_STATEMENTS = ['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN'] as const;
const WRAPPABLE = new Set(['SELECT', 'WITH']);
/** ClickHouse's READONLY: the user's profile forbids the statement (a write, DDL, a setting). */
const READONLY_CODE = '164';
/**
 * Server errors of the read-only profile's own limits (scripts/stack/clickhouse-users.xml, the
 * Kubernetes telemetry_readonly profile), which stop an oversized query on the server.
 */
const SERVER_LIMITS: Readonly<Record<string, string>> = {
  '159': 'max_execution_time',
  '241': 'max_memory_usage',
  '396': 'max_result_rows / max_result_bytes',
};

/** The statement with comments removed and literals and quoted names blanked (kept the same length). */
export function blankLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      const stop = Math.min(j + 1, sql.length);
      out += `${c}${'_'.repeat(Math.max(0, stop - i - 2))}${stop - i >= 2 ? c : ''}`;
      i = stop;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * The statement to run, or a refusal that says why. Refused: several statements, anything that is
 * not a query, `INTO OUTFILE`, and `FORMAT`/`SETTINGS` clauses (the tool picks the format and the
 * limits).
 */
export function checkReadOnly(sql: string): { statement: string; keyword: string } {
  const trimmed = sql.trim().replace(/;\s*$/, '');
  const blank = blankLiterals(trimmed);
  if (blank.includes(';'))
    throw new ToolFailure('one statement at a time: remove the ";" between statements');
  const keyword = (/^\s*\(?\s*([A-Za-z]+)/.exec(blank)?.[1] ?? '').toUpperCase();
  if (!(READ_STATEMENTS as readonly string[]).includes(keyword)) {
    throw new ToolFailure(
      `sql_query is read-only: only ${READ_STATEMENTS.join(', ')} statements run here (got ${keyword === '' ? 'nothing' : keyword}). ` +
        'Writes, DDL and settings changes are refused, and the ClickHouse user is read-only anyway.',
    );
  }
  if (/\bINTO\s+OUTFILE\b/i.test(blank))
    throw new ToolFailure('INTO OUTFILE is refused: the rows come back in the answer');
  if (/\bFORMAT\s+[A-Za-z]/i.test(blank))
    throw new ToolFailure('remove the FORMAT clause: rows come back as JSON objects');
  if (/\bSETTINGS\b/i.test(blank)) {
    throw new ToolFailure(
      'remove the SETTINGS clause: the tool sets the row and time limits (max_rows, timeout_seconds)',
    );
  }
  return { statement: trimmed, keyword };
}

/** A server error written into the body after rows were sent (`Code: 396. DB::Exception: …`). */
class StreamedServerError extends Error {
  override readonly name = 'StreamedServerError';
  readonly code: string;
  constructor(line: string, code: string) {
    super(line);
    this.code = code;
  }
}

const STREAMED_ERROR = /^Code: (\d+)[.,]/;

interface ReadRows {
  rows: Record<string, unknown>[];
  bytes: number;
  truncatedBy: 'max_rows' | 'max_bytes' | null;
}

/**
 * Reads JSONEachRow lines from the raw HTTP body, holding at most `maxBytes` of it: rows past
 * `maxRows` or past the byte cap, and a single line longer than the cap, stop the read (the
 * response is destroyed, and ClickHouse cancels the query when the connection goes).
 */
export async function readJsonRows(body: Readable, maxRows: number, maxBytes: number): Promise<ReadRows> {
  const rows: Record<string, unknown>[] = [];
  let bytes = 0;
  let pending = Buffer.alloc(0);
  let truncatedBy: ReadRows['truncatedBy'] = null;
  /** Takes one line as a row, or says which limit it is past. */
  const take = (line: Buffer): ReadRows['truncatedBy'] => {
    const text = line.toString('utf8');
    if (text.trim() === '') return null;
    if (rows.length >= maxRows) return 'max_rows';
    if (bytes + line.length > maxBytes) return 'max_bytes';
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      const code = STREAMED_ERROR.exec(text)?.[1];
      if (code !== undefined) throw new StreamedServerError(text.trim(), code);
      throw new Error(`ClickHouse sent a line that is not JSON: ${text.slice(0, 200)}`);
    }
    bytes += line.length;
    rows.push(row as Record<string, unknown>);
    return null;
  };
  try {
    for await (const chunk of body) {
      pending = Buffer.concat([pending, chunk as Buffer]);
      let newline = pending.indexOf(10);
      while (newline !== -1 && truncatedBy === null) {
        truncatedBy = take(pending.subarray(0, newline));
        pending = pending.subarray(newline + 1);
        newline = pending.indexOf(10);
      }
      if (truncatedBy === null && bytes + pending.length > maxBytes) truncatedBy = 'max_bytes';
      if (truncatedBy !== null) break;
    }
    truncatedBy ??= take(pending);
  } finally {
    body.destroy();
  }
  return { rows, bytes, truncatedBy };
}

/** The API's read-only ClickHouse user, as the API connects. */
function readOnlyConfig(config: Config): Config {
  return {
    ...config,
    clickhouse: {
      ...config.clickhouse,
      username: config.api.clickhouseUser,
      password: config.api.clickhousePassword,
    },
  };
}

/**
 * Runs `statement` as the read-only user without the statement check: the permission layer on its
 * own (`runSqlQuery` checks first). Exported so that the user's own refusal can be tested.
 */
export async function executeAsReadOnlyUser(
  config: Config,
  statement: string,
  keyword: string,
  limits: SqlLimits,
): Promise<SqlAnswer> {
  const timeoutMs = limits.timeoutSeconds * 1000;
  const client = createClickHouseClient(readOnlyConfig(config), { requestTimeoutMs: timeoutMs + 2_000 });
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const readonly = await client
      .query({ query: "SELECT value FROM system.settings WHERE name = 'readonly'", format: 'JSONEachRow' })
      .then((r) => r.json<{ value: string }>());
    // a readonly=1 profile may not change any setting: the client enforces the limits instead
    const serverLimits = readonly[0]?.value !== '1';
    const query = WRAPPABLE.has(keyword)
      ? `SELECT * FROM (\n${statement}\n) LIMIT ${limits.maxRows + 1}`
      : statement;
    const maxBytes = limits.maxBytes ?? config.api.sqlMaxBytes;
    const result = await client.exec({
      query: `${query}\nFORMAT JSONEachRow`,
      abort_signal: signal,
      clickhouse_settings: serverLimits
        ? {
            max_result_rows: String(limits.maxRows + 1),
            max_result_bytes: String(maxBytes * 2),
            result_overflow_mode: 'break',
            max_execution_time: limits.timeoutSeconds,
            ...(readonly[0]?.value === '0' ? { readonly: '1' } : {}),
          }
        : {},
    });
    const { rows, bytes, truncatedBy } = await readJsonRows(result.stream, limits.maxRows, maxBytes);
    return {
      columns: Object.keys(rows[0] ?? {}),
      rows,
      row_count: rows.length,
      rows_truncated: truncatedBy !== null,
      truncated_by: truncatedBy,
      bytes,
      elapsed_ms: Math.round(performance.now() - started),
      limits: {
        max_rows: limits.maxRows,
        max_bytes: maxBytes,
        timeout_seconds: limits.timeoutSeconds,
        enforced_by: serverLimits ? 'server' : 'client',
      },
    };
  } catch (error) {
    if (signal.aborted) {
      throw new ToolFailure(
        `the query ran past ${limits.timeoutSeconds} s and was stopped: narrow it (a WHERE on the time column *_ms, the table's key columns, a smaller LIMIT)`,
      );
    }
    if (clickHouseErrorCode(error) === READONLY_CODE) {
      throw new ToolFailure(
        `refused by the read-only ClickHouse user (${config.api.clickhouseUser}, ClickHouse code ${READONLY_CODE} READONLY): ${error instanceof Error ? error.message.trim() : String(error)}`,
      );
    }
    const code = error instanceof StreamedServerError ? error.code : clickHouseErrorCode(error);
    const limit = SERVER_LIMITS[code ?? ''];
    if (limit !== undefined) {
      throw new ToolFailure(
        `stopped by the read-only user's server-side limit (${limit}): aggregate instead of returning raw rows, select fewer or shorter columns (payload can be large), or narrow the time range: ${error instanceof Error ? error.message.trim() : String(error)}`,
      );
    }
    throw toClickHouseTelemetryError(error, 'sql_query');
  } finally {
    await client.close();
  }
}

/** Checks, then runs, a read-only query within the limits. */
export function runSqlQuery(config: Config, sql: string, limits: SqlLimits): Promise<SqlAnswer> {
  const { statement, keyword } = checkReadOnly(sql);
  return executeAsReadOnlyUser(config, statement, keyword, limits);
}
