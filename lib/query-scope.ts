import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which of the API's ClickHouse connection pools a query takes: `request` for the reads a caller
 * waits on (lookups by id, filtered lists, `sql_query`), `shared` for the work many callers share or
 * nobody waits on (the read cache's whole-system views, the diagnosis, timers). Whole-store scans
 * that take seconds under ingest then cannot hold every connection while lookups queue behind them.
 * Shared work a caller waits for (a cache miss) goes first in the shared pool: `inWaitedScope`.
 */
export type QueryLane = 'request' | 'shared';

export interface QueryScope {
  lane: QueryLane;
  /** Shared work a caller waits for (a cache miss): it goes before the shared lane's queued refreshes. */
  waited?: boolean;
  /** Aborted when the caller is gone: its queries are stopped, queued ones never sent. */
  signal?: AbortSignal;
}

const scopes = new AsyncLocalStorage<QueryScope>();

/** Runs `fn` (and every query it starts, however deep) for a caller that may go away. */
export function inRequestScope<T>(signal: AbortSignal, fn: () => T): T {
  return scopes.run({ lane: 'request', signal }, fn);
}

/**
 * Runs `fn` as work shared between callers: its queries take the shared pool and are not stopped
 * when the caller that happened to start them goes away (the others still wait for the answer).
 */
export function inSharedScope<T>(fn: () => T): T {
  return scopes.run({ lane: 'shared' }, fn);
}

/**
 * Runs `fn` as shared work that callers wait for (a cache miss that concurrent callers join): its
 * queries take the shared pool, whole-store scans as they may be, but go before the refreshes queued
 * there, and are not stopped when the caller that started them goes away.
 */
export function inWaitedScope<T>(fn: () => T): T {
  return scopes.run({ lane: 'shared', waited: true }, fn);
}

/** The scope of the code running now; outside any (timers, start-up, the CLI): shared, unstoppable. */
export function currentQueryScope(): QueryScope {
  return scopes.getStore() ?? { lane: 'shared' };
}
