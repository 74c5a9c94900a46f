import { describe, expect, it } from 'vitest';
import { currentQueryScope, inRequestScope } from '../../lib/query-scope.js';
import { cacheKey, ReadCache } from './cache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ReadCache', () => {
  it('shares one load among concurrent callers of a key', async () => {
    const cache = new ReadCache({ ttlMs: 1_000, now: () => 0 });
    const gate = deferred<number>();
    let loads = 0;
    const load = () => {
      loads++;
      return gate.promise;
    };
    const calls = [cache.get('k', load), cache.get('k', load), cache.get('k', load)];
    gate.resolve(7);
    expect(await Promise.all(calls)).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
  });

  it('serves a fresh value, then the stale one while one refresh runs, then the refreshed one', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 1_000, now: () => now });
    let version = 0;
    const gates: ReturnType<typeof deferred<number>>[] = [];
    const load = () => {
      version++;
      const gate = deferred<number>();
      gates.push(gate);
      return gate.promise;
    };
    const first = cache.get('k', load);
    gates[0]?.resolve(1);
    expect(await first).toBe(1);
    now = 999;
    expect(await cache.get('k', load)).toBe(1);
    expect(version).toBe(1);
    now = 1_500;
    // stale: answered at once with the old value, and only one refresh starts
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    expect(version).toBe(2);
    gates[1]?.resolve(2);
    await gates[1]?.promise;
    await Promise.resolve();
    expect(await cache.get('k', load)).toBe(2);
    expect(cache.stats()).toMatchObject({ misses: 1, refreshes: 1 });
  });

  it('loads what callers wait for ahead of the refreshes in the shared lane, neither stoppable', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 100, maxStaleMs: 500, now: () => now });
    const scopes: ReturnType<typeof currentQueryScope>[] = [];
    const load = () => {
      scopes.push(currentQueryScope());
      return Promise.resolve(scopes.length);
    };
    const caller = new AbortController();
    const asked = () => inRequestScope(caller.signal, () => cache.get('k', load));
    expect(await asked()).toBe(1); // a miss: the caller waits
    now = 200;
    expect(await asked()).toBe(1); // stale: served, refreshed behind it
    await Promise.resolve();
    now = 10_000;
    expect(await asked()).toBe(3); // too stale: the caller waits again
    expect(scopes).toEqual([
      { lane: 'shared', waited: true },
      { lane: 'shared' },
      { lane: 'shared', waited: true },
    ]);
  });

  it('refreshes a slow view behind its callers once it is no longer fresh', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 1_000, now: () => now });
    let loads = 0;
    const load = () => {
      loads++;
      now += 7_000;
      return Promise.resolve(loads);
    };
    expect(await cache.get('k', load)).toBe(1); // 7 s to load: fresh for 70 s
    now += 69_000;
    expect(await cache.get('k', load)).toBe(1);
    expect(loads).toBe(1);
    now += 30_000;
    // stale, not too stale (twice the fresh time): served at once, refreshed behind
    expect(await cache.get('k', load)).toBe(1);
    expect(loads).toBe(2);
  });

  it('never serves a value older than maxStaleMs: the caller waits for the load', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 100, maxStaleMs: 500, now: () => now });
    let n = 0;
    const load = () => Promise.resolve(++n);
    expect(await cache.get('k', load)).toBe(1);
    now = 501;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('serves a value past maxStaleMs while its refresh is still running, up to three times that', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 100, maxStaleMs: 500, now: () => now });
    expect(await cache.get('k', () => Promise.resolve(1))).toBe(1);
    now = 400;
    let finish: (value: number) => void = () => undefined;
    const slow = () => new Promise<number>((resolve) => (finish = resolve));
    // stale: served, and one refresh starts
    expect(await cache.get('k', slow)).toBe(1);
    now = 1_400;
    // past maxStaleMs, but the refresh runs: still served, no second load
    expect(await cache.get('k', () => Promise.resolve(99))).toBe(1);
    now = 1_600;
    // past three times: the caller waits for the running refresh
    const waiting = cache.get('k', () => Promise.resolve(99));
    finish(2);
    expect(await waiting).toBe(2);
  });

  it('does not cache a failure, and keeps the old value when a refresh fails', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 100, now: () => now });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve(1))).toBe(1);
    now = 200;
    expect(await cache.get('k', () => Promise.reject(new Error('down')))).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('k', () => Promise.resolve(3))).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('k', () => Promise.resolve(4))).toBe(3);
  });

  it('waits ten times the last load time before refreshing a slow view', async () => {
    let now = 0;
    const cache = new ReadCache({ ttlMs: 1_000, now: () => now });
    let n = 0;
    const slowLoad = () => {
      now += 300; // the load takes 300 ms on this clock
      return Promise.resolve(++n);
    };
    expect(await cache.get('k', slowLoad)).toBe(1);
    now += 2_900; // older than the TTL, younger than 10 × 300 ms
    expect(await cache.get('k', slowLoad)).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, refreshes: 0 });
    now += 200;
    expect(await cache.get('k', slowLoad)).toBe(1);
    expect(cache.stats()).toMatchObject({ refreshes: 1 });
  });

  it('loads on every call when ttlMs is 0', async () => {
    const cache = new ReadCache({ ttlMs: 0 });
    let n = 0;
    const load = () => Promise.resolve(++n);
    expect([await cache.get('k', load), await cache.get('k', load)]).toEqual([1, 2]);
    expect(cache.enabled).toBe(false);
  });

  it('evicts the least recently used entries beyond maxEntries', async () => {
    const cache = new ReadCache({ ttlMs: 1_000, maxEntries: 2, now: () => 0 });
    let n = 0;
    const load = () => Promise.resolve(++n);
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('a', load);
    await cache.get('c', load);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('b', load)).toBe(4);
  });
});

describe('cacheKey', () => {
  it('does not depend on the order of object keys and leaves undefined out', () => {
    expect(cacheKey('m', { b: 1, a: 2, c: undefined })).toBe(cacheKey('m', { a: 2, b: 1 }));
    expect(cacheKey('m', { a: 1 })).not.toBe(cacheKey('n', { a: 1 }));
  });

  it('keys long arguments by their digest, still independent of key order', () => {
    const tasks = (n: number) =>
      Array.from({ length: 50 }, (_, i) => ({ trace_id: `trace-${i}`, t: 1_000 + i, id: `task-${i + n}` }));
    const key = cacheKey('messages.tasksOf', tasks(0), 'writer');
    expect(key).toMatch(/^messages\.tasksOf#[A-Za-z0-9+/]{43}=$/);
    const reordered = tasks(0).map(({ id, t, trace_id }) => ({ id, t, trace_id }));
    expect(cacheKey('messages.tasksOf', reordered, 'writer')).toBe(key);
    expect(cacheKey('messages.tasksOf', tasks(1), 'writer')).not.toBe(key);
    expect(cacheKey('messages.tasksOf', tasks(0), 'coder')).not.toBe(key);
    expect(cacheKey('messages.tasksOf', tasks(0))).not.toBe(key);
  });
});
