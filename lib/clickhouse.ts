import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Semaphore, withTimeout } from 'async-mutex';
import { createClient, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from './config.js';
import { ErrorCode, TelemetryError } from './errors.js';
import { currentQueryScope } from './query-scope.js';
import { compileRowEncoder, UnsupportedColumnTypeError, type RowBinaryEncoder } from './row-binary.js';
import { quoteIdentifier, quoteString } from './sql.js';

export type { ClickHouseClient } from '@clickhouse/client';

/** Inserts rows into one table. Table modules depend on this, not on the client. */
export interface ClickHouseWriter {
  insert(table: string, rows: readonly object[]): Promise<void>;
}

/** Runs a read query and returns its rows. */
export interface ClickHouseReader {
  query<T>(sql: string): Promise<T[]>;
}

/** Runs a statement that returns no rows (DDL). */
export interface ClickHouseExecutor {
  command(sql: string): Promise<void>;
}

export type ClickHouseAccess = ClickHouseWriter & ClickHouseReader & ClickHouseExecutor;

export interface ClickHouseClientOptions {
  /** Overrides the configured database (`default` to run `CREATE DATABASE`). */
  database?: string;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Connections open at once; more requests wait for one. Default 10 (the client's). */
  maxOpenConnections?: number;
}

/**
 * A ClickHouse HTTP client for the configured server. SQL written for this project runs on ClickHouse
 * 18.16 (Debian's build, used by the tests) and on current releases: see DESIGN.md.
 */
export function createClickHouseClient(
  config: Config,
  options: ClickHouseClientOptions = {},
): ClickHouseClient {
  return createClient({
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    database: options.database ?? config.clickhouse.database,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    ...(options.maxOpenConnections === undefined ? {} : { max_open_connections: options.maxOpenConnections }),
    application: config.kafka.clientId,
    compression: { request: false, response: false },
    keep_alive: { enabled: true },
    // failures are classified and logged by the caller (see toClickHouseTelemetryError); the client's
    // own console logger would print every one of them a second time
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/**
 * ClickHouse server error codes that describe a transient condition: retrying the same request later
 * can succeed (timeouts, overload, too many parts, read-only replica, memory pressure). Not 164
 * (READONLY): that is a user whose profile forbids writes, which no retry changes.
 */
const TRANSIENT_SERVER_CODES: ReadonlySet<string> = new Set([
  '159', // TIMEOUT_EXCEEDED
  '160', // TOO_SLOW
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
]);

/** Node and undici error codes of a connection that failed or broke. */
const TRANSIENT_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function systemCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; depth++) {
    if (
      typeof current === 'object' &&
      current !== null &&
      'code' in current &&
      typeof current.code === 'string'
    ) {
      return current.code;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * The body of a server error before ClickHouse 21 (18.16 among them): `Code: 60, e.displayText() =
 * DB::Exception: …, e.what() = DB::Exception`. The client builds a `ClickHouseError` only from the
 * current form (`Code: 60. DB::Exception: … (UNKNOWN_TABLE)`) and hands the older one on as a plain
 * `Error` whose message is the body.
 */
const LEGACY_SERVER_ERROR = /^Code: (\d+), e\.displayText\(\) = /;

/**
 * The server's error code of a failed request, from either server generation, or undefined for a
 * failure that is not the server's (a socket, a timeout). Looks through `cause` chains.
 */
export function clickHouseErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof ClickHouseError) return current.code;
    const legacy = LEGACY_SERVER_ERROR.exec(current.message);
    if (legacy !== null) return legacy[1];
    current = current.cause;
  }
  return undefined;
}

/** What @clickhouse/client's socket pool throws when `request_timeout` passes without an answer. */
const CLIENT_TIMEOUT_MESSAGE = 'Timeout error.';

/** Classifies a ClickHouse client failure by server error code, socket error code or timeout. */
export function toClickHouseTelemetryError(error: unknown, what: string): TelemetryError {
  if (error instanceof TelemetryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const serverCode = clickHouseErrorCode(error);
  if (serverCode !== undefined) {
    const transient = TRANSIENT_SERVER_CODES.has(serverCode);
    const type = error instanceof ClickHouseError ? error.type : undefined;
    return new TelemetryError(
      transient ? ErrorCode.CLICKHOUSE_UNAVAILABLE : ErrorCode.CLICKHOUSE_QUERY_FAILED,
      `${what}: ${message.trim()}`,
      {
        cause: error,
        details: { clickhouseCode: serverCode, ...(type ? { clickhouseType: type } : {}) },
      },
    );
  }
  const code = systemCode(error);
  if (code !== undefined && TRANSIENT_SYSTEM_CODES.has(code)) {
    return new TelemetryError(ErrorCode.CLICKHOUSE_UNAVAILABLE, `${what}: ${message}`, {
      cause: error,
      details: { systemCode: code },
    });
  }
  // the client's own request timeout: the server did not answer in time (overloaded or hanging)
  if (error instanceof Error && (error.name === 'TimeoutError' || error.message === CLIENT_TIMEOUT_MESSAGE)) {
    return new TelemetryError(ErrorCode.CLICKHOUSE_UNAVAILABLE, `${what}: ${message}`, { cause: error });
  }
  return new TelemetryError(ErrorCode.CLICKHOUSE_QUERY_FAILED, `${what}: ${message}`, { cause: error });
}

/**
 * How rows are sent: `row-binary` (the default) compiles an encoder per table from `system.columns`
 * (see `row-binary.ts`) and falls back to JSON for a table with a column type it cannot encode;
 * `json` sends JSONEachRow, the client's plain path.
 */
export type InsertEncoding = 'row-binary' | 'json';

/** Adapts the client to the narrow interfaces, translating every failure into the taxonomy. */
export function clickHouseAccess(
  client: ClickHouseClient,
  options: { encoding?: InsertEncoding } = {},
): ClickHouseAccess {
  const encoders = new Map<string, Promise<RowBinaryEncoder | undefined>>();

  /** The table's encoder, loaded once (single flight); undefined means "send JSON". */
  function encoderFor(table: string): Promise<RowBinaryEncoder | undefined> {
    let encoder = encoders.get(table);
    if (encoder === undefined) {
      encoder = loadEncoder(client, table);
      encoders.set(table, encoder);
      // a failed load (server down) is retried by the next insert
      encoder.catch(() => encoders.delete(table));
    }
    return encoder;
  }

  return {
    async insert(table, rows) {
      if (rows.length === 0) return;
      try {
        const encoder = options.encoding === 'json' ? undefined : await encoderFor(table);
        if (encoder === undefined) {
          await client.insert({ table, values: rows, format: 'JSONEachRow' });
          return;
        }
        const columns = encoder.columns.map(quoteIdentifier).join(', ');
        // encoded piece by piece as the request takes them: the body is never whole in memory
        const result = await client.exec({
          query: `INSERT INTO ${quoteIdentifier(table)} (${columns}) FORMAT RowBinary`,
          values: Readable.from(encoder.chunks(rows), { objectMode: false }),
        });
        result.stream.resume();
        await finished(result.stream);
      } catch (error) {
        // the table may have changed under us (a migration, a replay switch): describe it again next time
        encoders.delete(table);
        throw toClickHouseTelemetryError(error, `insert into ${table}`);
      }
    },
    query: <T>(sql: string) => queryRows<T>(client, sql),
    async command(sql) {
      try {
        await client.command({ query: sql });
      } catch (error) {
        throw toClickHouseTelemetryError(error, 'command');
      }
    },
  };
}

async function queryRows<T>(
  client: ClickHouseClient,
  sql: string,
  signal?: AbortSignal,
  queryId?: string,
): Promise<T[]> {
  try {
    const result = await client.query({
      query: sql,
      format: 'JSONEachRow',
      ...(signal === undefined ? {} : { abort_signal: signal }),
      ...(queryId === undefined ? {} : { query_id: queryId }),
    });
    return await result.json<T>();
  } catch (error) {
    throw toClickHouseTelemetryError(error, 'query');
  }
}

/** The clients of a {@link lanedReader}: one pool per lane, and one connection to stop queries. */
export interface ReaderLanes {
  request: ClickHouseClient;
  shared: ClickHouseClient;
  /** Sends `KILL QUERY` for an abandoned query, on servers that do not stop it themselves. */
  control: ClickHouseClient;
  /** Queries of the request lane running at once (its client's connections). */
  requestConnections: number;
  /** Queries of the shared lane running at once (its client's connections). */
  sharedConnections: number;
  /** How long a request-lane query waits for a connection before it is refused as busy. */
  requestQueueMs: number;
}

/**
 * A reader that sends each query through the pool of its scope's lane (lib/query-scope.ts):
 *
 * - The request lane runs at most `requestConnections` queries; the next wait for one at most
 *   `requestQueueMs`, then fail as CLICKHOUSE_UNAVAILABLE (the API's 503 with Retry-After). Under
 *   more reads than ClickHouse answers, callers get a quick "busy" instead of a queue that grows
 *   until every caller times out.
 * - A caller that goes away stops its queries: the request is aborted (a query still waiting is
 *   never sent) and, on a server that goes on with a read whose client closed the connection
 *   (every release without `cancel_http_readonly_queries_on_client_close`, ClickHouse 18.16 among
 *   them, or a profile that leaves it off), a `KILL QUERY` by its id follows. A stopped query
 *   throws ABANDONED.
 */
export function lanedReader(lanes: ReaderLanes): ClickHouseReader {
  let stopsItself: Promise<boolean> | undefined;
  const serverStopsAbandonedReads = (): Promise<boolean> => {
    stopsItself ??= queryRows<{ value: string }>(
      lanes.control,
      "SELECT value FROM system.settings WHERE name = 'cancel_http_readonly_queries_on_client_close'",
    ).then(
      (rows) => rows[0]?.value === '1',
      () => {
        stopsItself = undefined;
        return false;
      },
    );
    return stopsItself;
  };
  const kill = async (queryId: string): Promise<void> => {
    if (await serverStopsAbandonedReads()) return;
    await lanes.control.command({ query: `KILL QUERY WHERE query_id = ${quoteString(queryId)} ASYNC` });
  };
  const busy = new Error('no request connection in time');
  const requestSlots = withTimeout(new Semaphore(lanes.requestConnections), lanes.requestQueueMs, busy);
  // the shared lane's queue: what a caller waits for (a cache miss) before the refreshes
  const sharedSlots = new Semaphore(lanes.sharedConnections);
  const shared = async <T>(sql: string, waited: boolean): Promise<T[]> => {
    const [, release] = await sharedSlots.acquire(1, waited ? 1 : 0);
    try {
      return await queryRows<T>(lanes.shared, sql);
    } finally {
      release();
    }
  };
  const isAborted = (signal: AbortSignal): boolean => signal.aborted;
  const abandoned = () =>
    new TelemetryError(ErrorCode.ABANDONED, 'query stopped: its caller went away', { retryable: false });

  const request = async <T>(sql: string, signal: AbortSignal | undefined): Promise<T[]> => {
    let release: () => void;
    try {
      [, release] = await requestSlots.acquire();
    } catch (error) {
      if (error !== busy) throw error;
      throw new TelemetryError(
        ErrorCode.CLICKHOUSE_UNAVAILABLE,
        `ClickHouse busy: all ${lanes.requestConnections} request connections in use for ${lanes.requestQueueMs} ms`,
        { details: { lane: 'request' } },
      );
    }
    try {
      if (signal === undefined) return await queryRows<T>(lanes.request, sql);
      if (signal.aborted) throw abandoned();
      const queryId = randomUUID();
      try {
        return await queryRows<T>(lanes.request, sql, signal, queryId);
      } catch (error) {
        // read again: the signal may have been aborted while the query ran
        if (!isAborted(signal)) throw error;
        // best effort: a query that already ended matches nothing
        void kill(queryId).catch(() => undefined);
        throw abandoned();
      }
    } finally {
      release();
    }
  };
  return {
    query<T>(sql: string): Promise<T[]> {
      const { lane, signal, waited } = currentQueryScope();
      return lane === 'request' ? request<T>(sql, signal) : shared<T>(sql, waited === true);
    },
  };
}

/** Describes a table's insertable columns (not MATERIALIZED or ALIAS) and compiles their encoder. */
async function loadEncoder(client: ClickHouseClient, table: string): Promise<RowBinaryEncoder | undefined> {
  let columns: { name: string; type: string; default_kind: string }[];
  try {
    const result = await client.query({
      query:
        'SELECT name, type, default_kind FROM system.columns ' +
        `WHERE database = currentDatabase() AND table = ${quoteString(table)}`,
      format: 'JSONEachRow',
    });
    columns = await result.json();
  } catch (error) {
    throw toClickHouseTelemetryError(error, `describe ${table}`);
  }
  const insertable = columns.filter((c) => c.default_kind !== 'MATERIALIZED' && c.default_kind !== 'ALIAS');
  if (insertable.length === 0) {
    throw new TelemetryError(ErrorCode.CLICKHOUSE_QUERY_FAILED, `insert into ${table}: no such table`);
  }
  try {
    return compileRowEncoder(insertable);
  } catch (error) {
    if (error instanceof UnsupportedColumnTypeError) return undefined;
    throw error;
  }
}
