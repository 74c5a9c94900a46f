import { createHash } from 'node:crypto';
import { inSharedScope, inWaitedScope } from '../../lib/query-scope.js';

/** How many times its stale limit a value is served while its refresh is still running. */
const REFRESHING_STALE_FACTOR = 3;

/**
 * A stale-while-revalidate cache for the read models' whole-system views (queues, pending counts,
 * error summary and groups, agents, error totals): the views every dashboard and assistant asks for
 * at once, which aggregate the whole store and cost the same for every caller.
 *
 * - Concurrent callers of one key share one load (single flight).
 * - A value younger than its TTL is served as is. The TTL is `ttlMs`, or `loadTimeFactor` (10)
 *   times the time its last load took when that is longer: a view whose query is slow (a large
 *   store, a busy server) spends at most a tenth of the time refreshing while callers keep asking,
 *   instead of keeping the server busy with refreshes alone (a 250 ms summary over a million
 *   errors, refreshed every second, would take a quarter of a core).
 * - An older one is still served, at once, while one background load refreshes it; a value older
 *   than `maxStaleMs` (a minute by default, or twice the time it stays fresh) is not served, and the caller
 *   waits for the load, unless that refresh is still running: then the value is served up to three
 *   times that age (a refresh that fails ends at once, so an outage still reaches the caller). So
 *   an answer is at most its TTL plus one load old while callers keep asking and the store
 *   answers; when the store is overloaded or down, answers keep coming from the last value for up
 *   to `maxStaleMs` instead of failing with it.
 * - A failed load is not cached: the caller that waited gets the error; a failed refresh keeps the
 *   old value until it is too stale.
 * - `ttlMs` 0 turns the cache off: every call loads, as its caller's own work.
 * - A load runs in the shared query scope (lib/query-scope.ts): its queries take the API's shared
 *   ClickHouse pool, whole-store scans as they are, never the connections of lookups. One that
 *   callers wait for (nothing to serve yet, or too stale) goes before the refreshes queued there (the
 *   diagnosis's queries take seconds). Neither is stopped when the caller that started it goes away (the
 *   others still wait for the answer).
 *
 * Lookups by id, cursors and lists narrowed by the caller are not cached: they go to ClickHouse
 * (a first page's time bound excepted: newest-page.ts).
 */
export interface ReadCacheOptions {
  ttlMs: number;
  /** The oldest value served while it is being refreshed. Default: 10 × ttlMs, at least a minute. */
  maxStaleMs?: number;
  /** Entries kept; the least recently used go first. Default 1,000. */
  maxEntries?: number;
  /**
   * A value stays fresh for this many times the time its last load took, when that exceeds
   * `ttlMs`. Default 10: a view's refreshes take at most a tenth of the time.
   */
  loadTimeFactor?: number;
  now?: () => number;
}

interface Entry {
  value?: unknown;
  loadedAt: number;
  /** How long the last load took. */
  loadMs: number;
  pending?: Promise<unknown> | undefined;
}

export interface ReadCacheStats {
  hits: number;
  stale: number;
  misses: number;
  refreshes: number;
  entries: number;
}

export class ReadCache {
  readonly #ttlMs: number;
  readonly #maxStaleMs: number;
  readonly #maxEntries: number;
  readonly #loadTimeFactor: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #stats = { hits: 0, stale: 0, misses: 0, refreshes: 0 };

  constructor(options: ReadCacheOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) {
      throw new RangeError('ttlMs must be a number ≥ 0');
    }
    this.#ttlMs = options.ttlMs;
    this.#maxStaleMs = options.maxStaleMs ?? Math.max(60_000, options.ttlMs * 10);
    this.#maxEntries = options.maxEntries ?? 1_000;
    this.#loadTimeFactor = options.loadTimeFactor ?? 10;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  stats(): ReadCacheStats {
    return { ...this.#stats, entries: this.#entries.size };
  }

  /** The value of `key`, from the cache or from `load` as described above. */
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && 'value' in entry) {
      const age = now - entry.loadedAt;
      // most recently used last, for the eviction below
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      const freshMs = Math.max(this.#ttlMs, this.#loadTimeFactor * entry.loadMs);
      if (age < freshMs) {
        this.#stats.hits++;
        return entry.value as T;
      }
      // twice the fresh time at least: a slow view (a diagnosis of 7 s is fresh for 70) is still
      // refreshed behind its callers' backs instead of every refresh being a wait
      const staleLimit = Math.max(this.#maxStaleMs, 2 * freshMs);
      // a refresh already running (the server is slow, not down: a failed one ends at once) keeps
      // the old value served a while longer instead of making every caller wait for it
      const refreshing = entry.pending !== undefined && age <= REFRESHING_STALE_FACTOR * staleLimit;
      if (age <= staleLimit || refreshing) {
        this.#stats.stale++;
        if (entry.pending === undefined) {
          this.#stats.refreshes++;
          // a failed refresh keeps the old value; the next caller tries again
          this.#start(key, entry, load, inSharedScope).catch(() => undefined);
        }
        return entry.value as T;
      }
    }
    this.#stats.misses++;
    const current = entry ?? { loadedAt: 0, loadMs: 0 };
    if (entry === undefined) this.#insert(key, current);
    return (current.pending ?? this.#start(key, current, load, inWaitedScope)) as Promise<T>;
  }

  /** Forgets every value (e.g. after the store was reset). */
  clear(): void {
    this.#entries.clear();
  }

  #start<T>(
    key: string,
    entry: Entry,
    load: () => Promise<T>,
    scope: (fn: () => Promise<T>) => Promise<T>,
  ): Promise<T> {
    const pending = (async () => {
      const started = this.#now();
      try {
        // shared work: the caller that started it going away does not stop it for the others
        const value = await scope(load);
        entry.value = value;
        entry.loadedAt = this.#now();
        entry.loadMs = entry.loadedAt - started;
        return value;
      } catch (error) {
        if (!('value' in entry)) this.#entries.delete(key);
        throw error;
      } finally {
        entry.pending = undefined;
      }
    })();
    entry.pending = pending;
    return pending;
  }

  #insert(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

/** Arguments longer than this are keyed by their digest (a pending list's 500 task keys: 40 KB). */
const LONG_KEY_CHARS = 256;

/**
 * A stable key for a method and its arguments (object keys sorted, undefined left out); arguments
 * that serialize long are keyed by their SHA-256, so that the cache's map hashes and keeps 44
 * characters instead of the whole text on every lookup.
 */
export function cacheKey(name: string, ...args: unknown[]): string {
  const text = JSON.stringify(args, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? sortedKeys(value) : value,
  );
  return text.length > LONG_KEY_CHARS
    ? `${name}#${createHash('sha256').update(text).digest('base64')}`
    : `${name}:${text}`;
}

/** The object with its keys in code-unit order (not the locale's: that is for people, and slow). */
function sortedKeys(value: object): object {
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as string) < (keys[i] as string);
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) out[key] = (value as Record<string, unknown>)[key];
  return out;
}
