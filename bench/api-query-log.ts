import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import { quoteString } from '../lib/sql.js';

/**
 * ClickHouse's share of a request's CPU, from the server's query log: the user + system time of
 * every query the API's ClickHouse user ran, by the whole second it started in. Unlike the server
 * process's CPU from /proc, it leaves out the server's background work (merges) and other clients.
 * The query log keeps seconds, so each measured window starts and ends on a second boundary
 * ({@link nextSecond}) and windows never share a second.
 */

/** A window of whole seconds: queries that started in `[fromSecond, toSecond)` belong to it. */
export interface SecondWindow {
  fromSecond: number;
  toSecond: number;
}

/** Waits until the next whole second has begun and returns it (Unix seconds). */
export async function nextSecond(): Promise<number> {
  const now = Date.now();
  const next = Math.floor(now / 1000) + 1;
  await sleep(next * 1000 - now + 5);
  return next;
}

/**
 * The user + system CPU, in microseconds, of the finished (or failed) queries in the server's log
 * that started at or after `fromSecond` and match `conditions`, summed per value of `key`; flushes
 * the log first, so the latest queries are in it.
 */
async function queryLogCpu(
  client: ClickHouseClient,
  key: string,
  fromSecond: number,
  conditions: readonly string[],
): Promise<{ key: string | number; micros: string | number }[]> {
  await client.command({ query: 'SYSTEM FLUSH LOGS' });
  const from = Math.trunc(fromSecond);
  const result = await client.query({
    query: `
      SELECT ${key} AS key,
             sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')]
               + ProfileEvents.Values[indexOf(ProfileEvents.Names, 'SystemTimeMicroseconds')]) AS micros
      FROM system.query_log
      WHERE event_date >= toDate(toDateTime(${from})) - 1
        AND query_start_time >= toDateTime(${from}) AND type IN (2, 4)
        ${conditions.map((condition) => `AND ${condition}`).join(' ')}
      GROUP BY key`,
    format: 'JSONEachRow',
  });
  return result.json<{ key: string | number; micros: string | number }>();
}

/**
 * CPU seconds of `user`'s queries per second they started in, since `fromSecond`; undefined when the
 * server keeps no query log for that user (`log_queries` off, or no `system.query_log`).
 */
export async function queryCpuBySecond(
  /** A client allowed to flush the server's logs (the seeding writer). */
  client: ClickHouseClient,
  user: string,
  fromSecond: number,
): Promise<Map<number, number> | undefined> {
  try {
    const rows = await queryLogCpu(client, 'toUInt32(query_start_time)', fromSecond, [
      `user = ${quoteString(user)}`,
    ]);
    if (rows.length === 0) return undefined;
    return new Map(rows.map((row) => [Number(row.key), Number(row.micros) / 1e6]));
  } catch {
    return undefined;
  }
}

/** CPU seconds of the queries that started within the window. */
export function windowCpu(bySecond: ReadonlyMap<number, number>, window: SecondWindow): number {
  let seconds = 0;
  for (const [second, cpu] of bySecond) {
    if (second >= window.fromSecond && second < window.toSecond) seconds += cpu;
  }
  return seconds;
}

/**
 * CPU seconds of the queries that started within the window, by user; empty when the server keeps
 * no query log (the local stack logs the API's user only).
 */
export async function queryCpuByUser(
  client: ClickHouseClient,
  window: SecondWindow,
): Promise<Map<string, number>> {
  try {
    const rows = await queryLogCpu(client, 'user', window.fromSecond, [
      `query_start_time < toDateTime(${Math.trunc(window.toSecond)})`,
    ]);
    return new Map(rows.map((row) => [String(row.key), Number(row.micros) / 1e6]));
  } catch {
    return new Map();
  }
}
