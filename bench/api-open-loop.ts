import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BadAnswerError, send } from './api-load.js';
import type { BenchRoute } from './api-routes.js';
import type { RouteRun } from './api-stats.js';
import { cpuSeconds } from './report.js';

/**
 * Load that measures the API rather than the machine's saturation: one client in turn per route
 * (idle latency), and an open-loop mix at a fixed offered rate, whose requests leave on schedule
 * whether or not the earlier ones were answered, each timed from the moment it was due (so a stall
 * shows in the latencies instead of lowering the rate). CPU is read from /proc for the API process
 * and the ClickHouse server around each phase.
 */

/** A request not answered by then counts as an error. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Requests in flight at most in the open loop; a request due beyond that counts as an error. */
const MAX_IN_FLIGHT = 2_000;

export interface CpuMeter {
  /** CPU seconds of each watched process since the meter was made. */
  read(): { api: number; clickhouse: number };
}

/**
 * The ClickHouse server of this checkout's stack: a `clickhouse-server` whose command line names the
 * working directory's state folder, else the first one found (others' stacks may run beside it).
 */
export function stackClickHousePid(cwd = process.cwd()): number | undefined {
  let first: number | undefined;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (!command.includes('clickhouse-server')) continue;
    if (command.includes(`${cwd}/.state/`)) return Number(pid);
    first ??= Number(pid);
  }
  return first;
}

/** Watches the API child and the ClickHouse server (either may be absent: its share reads 0). */
export function cpuMeter(pids: { api: number | undefined; clickhouse: number | undefined }): CpuMeter {
  const now = (pid: number | undefined): number => (pid === undefined ? 0 : (cpuSeconds(pid) ?? 0));
  const start = { api: now(pids.api), clickhouse: now(pids.clickhouse) };
  return {
    read: () => ({ api: now(pids.api) - start.api, clickhouse: now(pids.clickhouse) - start.clickhouse }),
  };
}

/**
 * `requests` in a row with a single client, after `warmUp` unrecorded ones; `measuring` is awaited
 * between the two (to start a CPU meter once the warm-up's work is done).
 */
export async function idleRun(
  base: string,
  route: BenchRoute,
  requests: number,
  warmUp: number,
  signal: AbortSignal,
  measuring: () => Promise<void> = () => Promise.resolve(),
): Promise<RouteRun> {
  for (let n = 0; n < warmUp; n++) await send(base, route.request(n), false).catch(() => undefined);
  await measuring();
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (let n = 0; n < requests && !signal.aborted; n++) {
    const t0 = performance.now();
    try {
      await send(base, route.request(warmUp + n), false);
    } catch {
      errors += 1;
    }
    latenciesMs.push(performance.now() - t0);
  }
  signal.throwIfAborted();
  return { latenciesMs, errors, elapsedMs: performance.now() - started };
}

export interface OpenLoopRun {
  /** Per route, in the mix's order. */
  byRoute: Map<BenchRoute, RouteRun>;
  offeredPerSecond: number;
  /** Requests answered per second over the phase. */
  achievedPerSecond: number;
  /** The failed requests by what failed them (`errorKind`), most first. */
  errorKinds: Map<string, number>;
}

/** What failed a request: its status and the API's error code, no answer in time, or else. */
export function errorKind(error: unknown): string {
  if (error instanceof BadAnswerError) {
    if (error.status === 200) return 'GraphQL errors';
    // the API's error bodies name their code: {"detail": …, "code": …}
    const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(error.excerpt)?.[1];
    return code === undefined ? `HTTP ${error.status}` : `HTTP ${error.status} ${code}`;
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer in ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * `rate` requests per second for `durationMs`, the routes taken in turn (each equally often), sent
 * on schedule without waiting for answers.
 */
export async function openLoop(
  base: string,
  routes: readonly BenchRoute[],
  rate: number,
  durationMs: number,
  signal: AbortSignal,
): Promise<OpenLoopRun> {
  const byRoute = new Map<BenchRoute, RouteRun>(
    routes.map((r) => [r, { latenciesMs: [], errors: 0, elapsedMs: 0 }]),
  );
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  let answered = 0;
  const errorKinds = new Map<string, number>();
  for (let i = 0; i < total && !signal.aborted; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const route = routes[i % routes.length];
    if (route === undefined) break;
    const run = byRoute.get(route);
    if (run === undefined) break;
    const failed = (kind: string): void => {
      run.errors += 1;
      errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
    };
    if (pending.size >= MAX_IN_FLIGHT) {
      failed(`over ${MAX_IN_FLIGHT} in flight`);
      continue;
    }
    const request = send(base, route.request(Math.floor(i / routes.length)), false, REQUEST_TIMEOUT_MS)
      .then(
        () => undefined,
        (error: unknown) => {
          failed(errorKind(error));
        },
      )
      .finally(() => {
        run.latenciesMs.push(performance.now() - due);
        answered += 1;
        pending.delete(request);
      });
    pending.add(request);
  }
  await Promise.all(pending);
  signal.throwIfAborted();
  const elapsedMs = performance.now() - started;
  for (const run of byRoute.values()) run.elapsedMs = elapsedMs;
  return {
    byRoute,
    offeredPerSecond: rate,
    achievedPerSecond: (answered * 1000) / elapsedMs,
    errorKinds: new Map([...errorKinds].sort((a, b) => b[1] - a[1])),
  };
}

export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/**
 * The API process's event loop delay since the last call, from its own `/metrics`
 * (`nodejs_eventloop_lag_p99_seconds` and `_max_seconds`: prom-client resets the histogram behind
 * them at every scrape, so the bench, the only scraper, reads each phase alone). A request that
 * arrives while the loop runs something long waits for it whatever ClickHouse does. `undefined`
 * when the metrics cannot be read.
 */
export async function apiLoopDelay(base: string): Promise<LoopDelay | undefined> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const gauge = (name: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      const value = line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
      return Number.isFinite(value) ? value * 1000 : undefined;
    };
    const p99Ms = gauge('nodejs_eventloop_lag_p99_seconds');
    const maxMs = gauge('nodejs_eventloop_lag_max_seconds');
    return p99Ms === undefined || maxMs === undefined ? undefined : { p99Ms, maxMs };
  } catch {
    return undefined;
  }
}
