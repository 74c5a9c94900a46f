import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickHouseAccess,
  createClickHouseClient,
  lanedReader,
  type ClickHouseClient,
} from './clickhouse.js';
import { ErrorCode, TelemetryError } from './errors.js';
import { inRequestScope, inSharedScope, inWaitedScope } from './query-scope.js';
import { createTestDatabase, eventually, uniqueToken, type TestDatabase } from './test-support/helpers.js';

/**
 * A read that sleeps for half a minute or more unless stopped (without using a core, and ending on
 * its own on a server that does not stop it), marked so that system.processes can find it.
 */
const longRead = (marker: string): string =>
  Array.from({ length: 30 }, () => `SELECT sleep(2) AS s, '${marker}' AS m`).join(' UNION ALL ');

describe('the laned reader', () => {
  let db: TestDatabase;
  const clients: ClickHouseClient[] = [];
  const open = (): ClickHouseClient => {
    const client = createClickHouseClient(db.config, { requestTimeoutMs: 60_000 });
    clients.push(client);
    return client;
  };
  let watcher: ReturnType<typeof clickHouseAccess>;
  let reader: ReturnType<typeof lanedReader>;

  /** Whether a query holding `marker` runs on the server (the check itself holds it only split). */
  const running = async (marker: string): Promise<boolean> => {
    const [half1, half2] = [marker.slice(0, 4), marker.slice(4)];
    const rows = await watcher.query<{ n: string | number }>(
      `SELECT count() AS n FROM system.processes WHERE position(query, concat('${half1}', '${half2}')) > 0`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  };

  beforeAll(async () => {
    db = await createTestDatabase('lanes');
    watcher = clickHouseAccess(open());
    reader = lanedReader({
      request: open(),
      shared: open(),
      control: open(),
      requestConnections: 1,
      sharedConnections: 1,
      requestQueueMs: 300,
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await db.drop();
  });

  it('stops the query of a caller that went away, on the server too', async () => {
    const marker = `m${uniqueToken()}`;
    const gone = new AbortController();
    const read = inRequestScope(gone.signal, () => reader.query(longRead(marker)));
    expect(await eventually(() => running(marker), 20_000)).toBe(true);
    gone.abort();
    const error = await read.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as TelemetryError).code).toBe(ErrorCode.ABANDONED);
    // on a server that goes on with an abandoned read, KILL QUERY ends it; the stack's front to
    // the current engine (scripts/stack/clickhouse-current.py) runs each query to its end and knows
    // no query by the client's id, so this half is the server's only
    if (process.env.TEST_CLICKHOUSE_SERVICE !== 'chdb') {
      expect(await eventually(async () => !(await running(marker)), 20_000)).toBe(true);
    }
  });

  it('answers "busy" once the request connections stay taken, while the shared lane still reads', async () => {
    const marker = `b${uniqueToken()}`;
    const gone = new AbortController();
    const holder = inRequestScope(gone.signal, () => reader.query(longRead(marker))).catch(() => undefined);
    expect(await eventually(() => running(marker), 20_000)).toBe(true);
    const started = Date.now();
    const refused = await inRequestScope(new AbortController().signal, () => reader.query('SELECT 1')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TelemetryError);
    expect((refused as TelemetryError).code).toBe(ErrorCode.CLICKHOUSE_UNAVAILABLE);
    expect((refused as TelemetryError).message).toContain('busy');
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(inSharedScope(() => reader.query<{ x: number }>('SELECT 1 AS x'))).resolves.toEqual([
      { x: 1 },
    ]);
    gone.abort();
    await holder;
    // the connection is free again
    await expect(
      inRequestScope(new AbortController().signal, () => reader.query<{ x: number }>('SELECT 2 AS x')),
    ).resolves.toEqual([{ x: 2 }]);
  });

  it('runs what a caller waits for before the refreshes queued on the shared lane', async () => {
    const marker = `s${uniqueToken()}`;
    const holder = inSharedScope(() =>
      reader.query(`SELECT sleep(1) AS s, '${marker}' AS m UNION ALL SELECT sleep(1) AS s, '${marker}' AS m`),
    );
    expect(await eventually(() => running(marker), 20_000)).toBe(true);
    const order: string[] = [];
    const refreshes = [1, 2].map((n) =>
      inSharedScope(() => reader.query(`SELECT ${n} AS x`)).then(() => order.push(`refresh ${n}`)),
    );
    const waited = inWaitedScope(() => reader.query('SELECT 3 AS x')).then(() => order.push('waited'));
    await Promise.all([holder, ...refreshes, waited]);
    expect(order).toEqual(['waited', 'refresh 1', 'refresh 2']);
  });

  it('never sends a query whose caller is already gone', async () => {
    const gone = new AbortController();
    gone.abort();
    await expect(inRequestScope(gone.signal, () => reader.query('SELECT 1'))).rejects.toMatchObject({
      code: ErrorCode.ABANDONED,
    });
  });
});
