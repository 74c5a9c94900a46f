import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseReader } from '../lib/clickhouse.js';
import { quoteNumber, quoteString } from '../lib/sql.js';
import { ERROR_FACTS } from '../lib/tables/error-facts.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import { childFailure, type BenchChild } from './child.js';

/**
 * How the benchmark sees what a consumer stored: by the ids of the run (every id starts with a
 * per-phase prefix), in `message_log` (agent messages) and `error_facts` (errors). A message counts
 * as stored once a query sees its id; distinct ids are counted, so redelivered copies count once.
 */

export interface Expected {
  messages: number;
  errors: number;
}

/** `LIKE` pattern for ids starting with `prefix` (which holds no `%` or `_`). */
function startsWith(prefix: string): string {
  if (/[%_\\]/.test(prefix)) throw new Error(`id prefix ${prefix} must not contain %, _ or \\`);
  return quoteString(`${prefix}%`);
}

async function scalar(reader: ClickHouseReader, sql: string): Promise<number> {
  const rows = await reader.query<{ n: string | number }>(sql);
  return Number(rows[0]?.n ?? 0);
}

/** Distinct ids with the prefix in both tables; cheap `count()` first, exact only near the end. */
async function visibleIds(reader: ClickHouseReader, prefix: string, expected: Expected): Promise<Expected> {
  const like = startsWith(prefix);
  const count = async (table: string, column: string, want: number): Promise<number> => {
    const where = `WHERE ${column} LIKE ${like}`;
    const rows = await scalar(reader, `SELECT count() AS n FROM ${table} ${where}`);
    return rows < want ? rows : scalar(reader, `SELECT uniqExact(${column}) AS n FROM ${table} ${where}`);
  };
  const [messages, errors] = await Promise.all([
    count(MESSAGE_LOG, 'message_id', expected.messages),
    count(ERROR_FACTS, 'error_id', expected.errors),
  ]);
  return { messages, errors };
}

export interface WaitOptions {
  reader: ClickHouseReader;
  prefix: string;
  expected: Expected;
  /** When the clock started (the consumer answered ready). */
  startedAtMs: number;
  child: BenchChild;
  signal: AbortSignal;
  /** Give up when nothing new became visible for this long. Default 60 s. */
  stallMs?: number;
  pollMs?: number;
  onProgress?: (visible: number, elapsedMs: number) => void;
  /** Extra state of the consumer for the error message of a stall. */
  describe?: () => Promise<string>;
}

/** Polls until every expected id is visible; returns the elapsed time since `startedAtMs`. */
export async function waitUntilAllVisible(options: WaitOptions): Promise<number> {
  const { reader, prefix, expected, startedAtMs, child, signal } = options;
  const stallMs = options.stallMs ?? 60_000;
  const total = expected.messages + expected.errors;
  let last = -1;
  let lastChangeMs = Date.now();
  let lastReportMs = Date.now();
  for (;;) {
    signal.throwIfAborted();
    const seen = await visibleIds(reader, prefix, expected);
    const now = Date.now();
    const visible = Math.min(seen.messages, expected.messages) + Math.min(seen.errors, expected.errors);
    if (visible >= total) return now - startedAtMs;
    if (!child.running()) throw childFailure(child, `exited with ${visible} of ${total} messages stored`);
    if (visible !== last) {
      last = visible;
      lastChangeMs = now;
    } else if (now - lastChangeMs > stallMs) {
      const state = await options.describe?.().catch((error: unknown) => String(error));
      throw childFailure(
        child,
        `stored nothing new for ${stallMs / 1000} s: ${seen.messages}/${expected.messages} messages, ` +
          `${seen.errors}/${expected.errors} errors visible${state === undefined ? '' : ` (${state})`}`,
      );
    }
    if (now - lastReportMs >= 2_000) {
      lastReportMs = now;
      options.onProgress?.(visible, now - startedAtMs);
    }
    await sleep(options.pollMs ?? 100, undefined, { signal });
  }
}

interface Slice {
  expected: number;
  seen: number;
}

/** Per table: the send times not fully visible yet, oldest first, and their counts. */
class PendingByTime {
  readonly slices = new Map<number, Slice>();
  expected = 0;
  seen = 0;

  expect(sentMs: number, count: number): void {
    if (count === 0) return;
    const slice = this.slices.get(sentMs);
    if (slice === undefined) this.slices.set(sentMs, { expected: count, seen: 0 });
    else slice.expected += count;
    this.expected += count;
  }

  /** The oldest and newest send times still pending, or undefined when all are visible. */
  range(): { from: number; to: number } | undefined {
    let from: number | undefined;
    let to: number | undefined;
    for (const sentMs of this.slices.keys()) {
      from ??= sentMs;
      to = sentMs;
    }
    return from === undefined || to === undefined ? undefined : { from, to };
  }
}

/**
 * Produce-to-queryable latency of a live run. Each slice of messages shares its send time, which is
 * also the records' own timestamp (`sent_at_ms`, `timestamp_ms`); each poll counts the distinct ids
 * visible per send time, and ids newly seen are given the poll's answer time as their visible time.
 */
export class FreshnessTracker {
  readonly #reader: ClickHouseReader;
  readonly #like: string;
  readonly #messages = new PendingByTime();
  readonly #errors = new PendingByTime();
  readonly latenciesMs: number[] = [];

  constructor(reader: ClickHouseReader, prefix: string) {
    this.#reader = reader;
    this.#like = startsWith(prefix);
  }

  expect(sentMs: number, counts: Expected): void {
    this.#messages.expect(sentMs, counts.messages);
    this.#errors.expect(sentMs, counts.errors);
  }

  get expected(): number {
    return this.#messages.expected + this.#errors.expected;
  }

  get visible(): number {
    return this.#messages.seen + this.#errors.seen;
  }

  /** One round of queries over the pending send times of both tables. */
  async poll(): Promise<void> {
    await Promise.all([
      this.#pollTable(this.#messages, MESSAGE_LOG, 'message_id', 'sent_at_ms'),
      this.#pollTable(this.#errors, ERROR_FACTS, 'error_id', 'timestamp_ms'),
    ]);
  }

  async #pollTable(pending: PendingByTime, table: string, id: string, time: string): Promise<void> {
    const range = pending.range();
    if (range === undefined) return;
    const rows = await this.#reader.query<{ t: string | number; n: string | number }>(
      `SELECT ${time} AS t, uniqExact(${id}) AS n FROM ${table} ` +
        `WHERE ${time} >= ${quoteNumber(range.from)} AND ${time} <= ${quoteNumber(range.to)} ` +
        `AND ${id} LIKE ${this.#like} GROUP BY t`,
    );
    const answeredMs = Date.now();
    for (const row of rows) {
      const sentMs = Number(row.t);
      const slice = pending.slices.get(sentMs);
      if (slice === undefined) continue;
      const now = Math.min(Number(row.n), slice.expected);
      for (let i = slice.seen; i < now; i++) this.latenciesMs.push(answeredMs - sentMs);
      pending.seen += now - slice.seen;
      slice.seen = now;
      if (slice.seen === slice.expected) pending.slices.delete(sentMs);
    }
  }
}

/** The q-quantile (0 < q ≤ 1) of the values, nearest rank; undefined when there are none. */
export function quantile(sortedAscending: readonly number[], q: number): number | undefined {
  if (sortedAscending.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * sortedAscending.length));
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1];
}
