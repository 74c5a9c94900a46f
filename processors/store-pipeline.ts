import { setTimeout as sleep } from 'node:timers/promises';
import { clickHouseErrorCode } from '../lib/clickhouse.js';
import { ErrorCode, TelemetryError, toTelemetryError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { DEAD_LETTERS, type DeadLetterRow } from '../lib/tables/dead-letters.js';
import { WRITTEN_TABLES, type WrittenRows, type WrittenTable } from '../lib/tables/index.js';
import type { Batch, DeadLetter, SourceMessage } from './batch.js';

/** The wait before retry `attempt` (1-based): doubling from `initialMs`, at most `maxMs`. */
export function backoffDelay(retry: { initialMs: number; maxMs: number }, attempt: number): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt - 1, 16));
}

/** What a batch's store came to. */
export type StoreOutcome = 'committed' | 'abandoned' | 'failed';

/** The steps the pipeline runs; the runner gives it ClickHouse and Kafka, the unit tests fakes. */
export interface StoreSteps {
  insert<T extends WrittenTable>(table: T, rows: readonly WrittenRows[T][]): Promise<void>;
  produceDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  /** Commits the batch's offsets (of the partitions still assigned). */
  commit(batch: Batch): Promise<void>;
  /** The dead letter of a message one of whose rows ClickHouse refused. */
  rejectedMessage(
    source: SourceMessage,
    cause: { code: string; reason: string },
  ): {
    record: DeadLetter;
    row: DeadLetterRow;
  };
}

export interface StorePipelineOptions {
  steps: StoreSteps;
  logger: Logger;
  retry: { initialMs: number; maxMs: number };
  /**
   * Attempts at inserting the same rows while the server answers with a transient error code (too
   * many parts, memory) before the rows are split in halves: smaller inserts relieve the server,
   * and one batch's rows can be what the server cannot take whole (too many partitions).
   */
  splitAfterAttempts?: number;
  /** Told when stores start and stop failing (consumption waits meanwhile), and of each outcome. */
  onStalled?: (stalled: boolean) => void;
  onRejected?: (table: WrittenTable, rows: number, code: string) => void;
  /** A step failed and is retried (its error code). */
  onRetry?: (code: string) => void;
  onInserted?: (table: WrittenTable, rows: number, seconds: number) => void;
  onCommitted?: (batch: Batch, seconds: number) => void;
}

/**
 * Server error codes that no change of content fixes: the table, database or column is missing,
 * or the user may not write. An insert failing so is a fault of the deployment: the processors
 * stop (and are restarted) instead of dead-lettering every row. A code not listed here counts as
 * systemic too when it refuses every row of a table in a batch on its own (see `#insertAll`).
 */
const SYSTEMIC_CODES: ReadonlySet<string> = new Set([
  '8', // THERE_IS_NO_COLUMN (a materialized view that does not fit its table)
  '10', // NOT_FOUND_COLUMN_IN_BLOCK (the same, on older releases)
  '16', // NO_SUCH_COLUMN_IN_TABLE
  '47', // UNKNOWN_IDENTIFIER
  '60', // UNKNOWN_TABLE
  '81', // UNKNOWN_DATABASE
  '164', // READONLY
  '192', // UNKNOWN_USER
  '193', // WRONG_PASSWORD
  '497', // ACCESS_DENIED
  '516', // AUTHENTICATION_FAILED
]);

function serverCode(error: TelemetryError): string | undefined {
  const detail = error.details.clickhouseCode;
  return clickHouseErrorCode(error) ?? (typeof detail === 'string' ? detail : undefined);
}

/** How an insert failure is handled. */
type FailureKind = 'outage' | 'overload' | 'content' | 'systemic';

function failureKind(error: TelemetryError): FailureKind {
  const code = serverCode(error);
  if (code === undefined) return error.retryable ? 'outage' : 'content';
  if (SYSTEMIC_CODES.has(code)) return 'systemic';
  return error.retryable ? 'overload' : 'content';
}

interface Entry {
  batch: Batch;
  generation: number;
  abandoned: boolean;
  outcome: Promise<StoreOutcome>;
}

/** Thrown inside a store when its entry was abandoned: ends it without an outcome of its own. */
class Abandoned extends Error {}

/**
 * The ordered store of batches: insert → dead letters → commit, in batch order. Inserts of several
 * batches overlap (up to what the runner submits), but a batch's dead letters and commit wait for
 * the previous batch's commit, so a later commit never covers an earlier batch's messages, and a
 * batch after one that failed is not committed either. Outages are retried with backoff; rows the
 * server refuses for their content are found by splitting and dead-lettered with the server's error,
 * and the rest is stored. `abandon()` (a revoke that could not wait) ends every store in flight
 * without producing or committing anything: their messages are re-read by the partitions' next
 * owner; batches submitted after it start a new chain.
 */
export class StorePipeline {
  readonly #o: StorePipelineOptions;
  readonly #log: Logger;
  readonly #closed = new AbortController();
  #entries: Entry[] = [];
  #generation = 0;
  /** The steps that failed and are being retried (consumption waits while there is one). */
  readonly #failing = new Set<object>();

  constructor(options: StorePipelineOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /**
   * Batches submitted and not yet settled, not counting abandoned ones (they only wait for an insert
   * that is still running to return; their memory still counts in `bytesInFlight`).
   */
  get inFlight(): number {
    return this.#entries.filter((entry) => !entry.abandoned).length;
  }

  get messagesInFlight(): number {
    return this.#entries.reduce((sum, entry) => sum + entry.batch.messages, 0);
  }

  get bytesInFlight(): number {
    return this.#entries.reduce((sum, entry) => sum + entry.batch.bytes, 0);
  }

  /** A store is waiting out an outage. */
  get stalled(): boolean {
    return this.#failing.size > 0;
  }

  /** Starts storing `batch` after the batches before it; resolves with its outcome (never rejects). */
  submit(batch: Batch): Promise<StoreOutcome> {
    const previous = this.#entries.at(-1);
    const chained = previous?.generation === this.#generation ? previous.outcome : undefined;
    const entry: Entry = {
      batch,
      generation: this.#generation,
      abandoned: false,
      outcome: Promise.resolve('committed'),
    };
    entry.outcome = this.#store(entry, chained).finally(() => {
      this.#entries = this.#entries.filter((other) => other !== entry);
    });
    this.#entries.push(entry);
    return entry.outcome;
  }

  /** Resolves once every batch submitted so far has settled: with the last one's outcome. */
  async drain(): Promise<StoreOutcome> {
    const last = this.#entries.at(-1);
    return last === undefined ? 'committed' : last.outcome;
  }

  /** Ends every store in flight without dead letters or commits; later batches start a new chain. */
  abandon(): number {
    let messages = 0;
    for (const entry of this.#entries) {
      if (entry.abandoned) continue;
      entry.abandoned = true;
      messages += entry.batch.messages;
    }
    this.#generation += 1;
    return messages;
  }

  /** Stops retrying: stores in flight end as failed (their messages stay uncommitted). */
  close(): void {
    this.#closed.abort();
  }

  async #store(entry: Entry, previous: Promise<StoreOutcome> | undefined): Promise<StoreOutcome> {
    try {
      const rejected = await this.#insertAll(entry);
      const before = previous === undefined ? 'committed' : await previous;
      this.#check(entry);
      if (before !== 'committed') return before === 'abandoned' ? 'abandoned' : 'failed';
      const letters = [...entry.batch.deadLetters, ...rejected];
      if (letters.length > 0) {
        await this.#retrying(entry, 'producing dead letters', () =>
          this.#o.steps.produceDeadLetters(letters),
        );
      }
      this.#check(entry);
      const started = performance.now();
      await this.#retrying(entry, 'committing offsets', () => this.#o.steps.commit(entry.batch));
      this.#o.onCommitted?.(entry.batch, (performance.now() - started) / 1000);
      return 'committed';
    } catch (error) {
      if (error instanceof Abandoned) return 'abandoned';
      const failure = toTelemetryError(error);
      this.#log.error(
        { err: failure, code: failure.code, messages: entry.batch.messages },
        'batch not stored; its messages stay uncommitted',
      );
      return 'failed';
    }
  }

  #check(entry: Entry): void {
    if (entry.abandoned) throw new Abandoned();
    if (this.#closed.signal.aborted) {
      throw new TelemetryError(ErrorCode.CLOSING, 'the store pipeline closed before the batch was stored');
    }
  }

  /** Inserts every table's rows; returns the dead letters of messages whose rows the server refused. */
  async #insertAll(entry: Entry): Promise<DeadLetter[]> {
    const { batch } = entry;
    const refused = new Map<number, { code: string; reason: string }>();
    await Promise.all(
      WRITTEN_TABLES.map(async (table) => {
        const rows = batch.rows[table];
        if (rows.length === 0) return;
        const indices = rows.map((_, i) => i);
        const refusedRows = await this.#insertSplitting(entry, table, indices);
        const first = refusedRows[0]?.error;
        if (
          first !== undefined &&
          refusedRows.length === rows.length &&
          rows.length > 1 &&
          refusedRows.every(({ error }) => serverCode(error) === serverCode(first))
        ) {
          // every row, each on its own, for the same reason: the table, not the rows
          throw first;
        }
        for (const { index, error } of refusedRows) {
          const source = batch.rowSources[table][index];
          if (source === undefined || refused.has(source)) continue;
          refused.set(source, {
            code: 'CLICKHOUSE_REJECTED',
            reason: `${table}: ${error.message}`,
          });
        }
      }),
    );
    if (refused.size === 0) return [];
    const letters = [...refused].map(([source, cause]) => {
      const message = batch.sources[source];
      if (message === undefined) throw new Error(`row source ${source} is not in the batch`);
      return this.#o.steps.rejectedMessage(message, cause);
    });
    // the dead letters' own rows, so that the API shows them with the others
    const rows = letters.map((letter) => letter.row);
    const none = await this.#insertSplitting(
      entry,
      DEAD_LETTERS,
      rows.map((_, i) => i),
      rows,
    );
    if (none.length > 0) this.#log.error({ rows: none.length }, 'dead_letters refused rows of refused rows');
    return letters.map((letter) => letter.record);
  }

  /**
   * Inserts the rows at `indices` of `table`, retrying outages and splitting what the server refuses.
   * Returns the rows that the server refused on their own, with its error.
   */
  async #insertSplitting<T extends WrittenTable>(
    entry: Entry,
    table: T,
    indices: number[],
    all: readonly WrittenRows[T][] = entry.batch.rows[table],
  ): Promise<{ index: number; error: TelemetryError }[]> {
    const splitAfter = this.#o.splitAfterAttempts ?? 3;
    const token = {};
    try {
      for (let attempt = 1; ; attempt++) {
        this.#check(entry);
        const rows = indices.map((i) => all[i] as WrittenRows[T]);
        let failure: TelemetryError;
        try {
          const started = performance.now();
          await this.#o.steps.insert(table, rows);
          this.#o.onInserted?.(table, rows.length, (performance.now() - started) / 1000);
          return [];
        } catch (error) {
          failure = toTelemetryError(error);
        }
        const kind = failureKind(failure);
        if (kind === 'systemic') throw failure;
        const split =
          indices.length > 1 && (kind === 'content' || (kind === 'overload' && attempt >= splitAfter));
        if (split) {
          this.#setFailing(token, false);
          const half = Math.ceil(indices.length / 2);
          const [left, right] = await Promise.all([
            this.#insertSplitting(entry, table, indices.slice(0, half), all),
            this.#insertSplitting(entry, table, indices.slice(half), all),
          ]);
          return [...left, ...right];
        }
        if (kind === 'content') {
          const code = serverCode(failure) ?? failure.code;
          this.#o.onRejected?.(table, indices.length, code);
          this.#log.warn(
            { table, code, err: failure },
            'ClickHouse refused a row: its message is dead-lettered',
          );
          return indices.map((index) => ({ index, error: failure }));
        }
        this.#setFailing(token, true);
        await this.#backoff(entry, attempt, failure, `insert into ${table}`, rows.length);
      }
    } finally {
      this.#setFailing(token, false);
    }
  }

  /** Runs `step` until it succeeds, waiting out retryable failures; rethrows the others. */
  async #retrying(entry: Entry, what: string, step: () => Promise<void>): Promise<void> {
    const token = {};
    try {
      for (let attempt = 1; ; attempt++) {
        this.#check(entry);
        try {
          await step();
          return;
        } catch (error) {
          const failure = toTelemetryError(error);
          if (!failure.retryable) throw failure;
          this.#setFailing(token, true);
          await this.#backoff(entry, attempt, failure, what, entry.batch.messages);
        }
      }
    } finally {
      this.#setFailing(token, false);
    }
  }

  async #backoff(
    entry: Entry,
    attempt: number,
    failure: TelemetryError,
    what: string,
    size: number,
  ): Promise<void> {
    const delay = backoffDelay(this.#o.retry, attempt);
    this.#o.onRetry?.(failure.code);
    this.#log.warn(
      { err: failure, code: failure.code, attempt, delayMs: delay, size },
      `${what} failed; consumption waits, retrying`,
    );
    await sleep(delay, undefined, { signal: this.#closed.signal }).catch(() => undefined);
    this.#check(entry);
  }

  #setFailing(token: object, failing: boolean): void {
    const before = this.#failing.size > 0;
    if (failing) this.#failing.add(token);
    else this.#failing.delete(token);
    const after = this.#failing.size > 0;
    if (before !== after) this.#o.onStalled?.(after);
  }
}
