import type { OpenLoopRun } from './api-open-loop.js';
import type { BenchRoute } from './api-routes.js';
import { fmtMs, formatColumns, pooledP99, summarize, type RouteFigures, type RouteRun } from './api-stats.js';
import { say } from './report.js';

/** The tables and the RESULT figures of `npm run bench:api` (bench/api.ts). */

/** Targets on the 2-core machine (reported, not asserted). */
export const TARGETS = {
  idleLookupP99Ms: 20,
  idleListP99Ms: 50,
  restP99At50Ms: 50,
  graphqlP99At50Ms: 80,
  cpuMsPerRequest: 5,
};
/** A lookup by id: idle target 20 ms; lists and reports: 50 ms. */
export const isLookup = (route: BenchRoute): boolean =>
  /\{(error_id|task_id|trace_id)\}|\(id\)/.test(route.name);

export interface IdleFigures {
  route: BenchRoute;
  run: RouteRun;
  /**
   * CPU seconds over the route's run: the API process's (/proc), ClickHouse's for the API's queries
   * (the query log's user + system time when `queryLog`, else the whole server's), and the whole
   * ClickHouse server's (/proc: merges and other clients included).
   */
  cpu: { api: number; clickhouse: number; server: number };
  queryLog: boolean;
}

export interface Outcome {
  idleP99: number | undefined;
  p99At50: number | undefined;
  graphqlP99At50: number | undefined;
  cpuMsPerRequest: number | undefined;
}

export interface Pids {
  api: number | undefined;
  clickhouse: number | undefined;
}

export interface RateFigures {
  rate: number;
  run: OpenLoopRun;
  cpu: { api: number; clickhouse: number };
}

/** Requests, errors, p50, p99 and max: the columns every table starts with. */
function latencyCells(f: RouteFigures): string[] {
  return [String(f.requests), String(f.errors), fmtMs(f.p50Ms), fmtMs(f.p99Ms), fmtMs(f.maxMs)];
}

export function reportIdle(idle: readonly IdleFigures[]): void {
  say('');
  say('Idle: one client, one request at a time, no ingest (latencies in ms; CPU in ms per request)');
  const rows = idle.map(({ route, run, cpu }) => {
    const f = summarize(run);
    const target = isLookup(route) ? TARGETS.idleLookupP99Ms : TARGETS.idleListP99Ms;
    const perRequest = (seconds: number) =>
      f.requests === 0 ? 'n/a' : ((seconds * 1000) / f.requests).toFixed(2);
    return [
      route.name,
      ...latencyCells(f),
      `≤ ${target}${f.p99Ms !== undefined && f.p99Ms <= target ? '' : ' MISSED'}`,
      perRequest(cpu.api),
      perRequest(cpu.clickhouse),
      perRequest(cpu.api + cpu.clickhouse),
    ];
  });
  const header = [
    'route',
    'requests',
    'errors',
    'p50',
    'p99',
    'max',
    'target p99',
    'cpu api',
    'cpu ch',
    'cpu total',
  ];
  for (const line of formatColumns(header, rows)) say(line);
  const requests = idle.reduce((n, f) => n + f.run.latenciesMs.length, 0);
  const perRequest = (pick: (f: IdleFigures) => number) =>
    requests === 0 ? 'n/a' : ((idle.reduce((n, f) => n + pick(f), 0) * 1000) / requests).toFixed(2);
  say(
    idle.every((f) => f.queryLog)
      ? `cpu api: the API process (/proc); cpu ch: the API's queries in ClickHouse's query log (user + system time). ` +
          `The whole ClickHouse server over the same runs (/proc, background merges and every other client included): ${perRequest((f) => f.cpu.server)} ms per request, against ${perRequest((f) => f.cpu.clickhouse)} for the API's queries`
      : 'cpu api: the API process (/proc); cpu ch: the whole ClickHouse server (/proc; no query log of the API user)',
  );
}

export function reportRates(rates: readonly RateFigures[]): void {
  say('');
  say(
    'Open-loop mix under ingest: every route in turn at a fixed offered rate (latency from when each request was due)',
  );
  const rows = rates.map(({ rate, run, cpu }) => {
    const all = [...run.byRoute.values()];
    const kind = (k: BenchRoute['kind']) =>
      [...run.byRoute].filter(([route]) => route.kind === k).map(([, r]) => r);
    const f = summarize({
      latenciesMs: all.flatMap((r) => r.latenciesMs),
      errors: all.reduce((n, r) => n + r.errors, 0),
      elapsedMs: all[0]?.elapsedMs ?? 0,
    });
    return [
      `${rate} req/s`,
      run.achievedPerSecond.toFixed(1),
      String(f.requests),
      String(f.errors),
      fmtMs(f.p50Ms),
      fmtMs(f.p99Ms),
      fmtMs(f.maxMs),
      fmtMs(pooledP99(kind('rest'))),
      fmtMs(pooledP99(kind('graphql'))),
      f.requests === 0 ? 'n/a' : (((cpu.api + cpu.clickhouse) * 1000) / f.requests).toFixed(2),
    ];
  });
  const header = [
    'offered',
    'answered/s',
    'requests',
    'errors',
    'p50',
    'p99',
    'max',
    'REST p99',
    'GraphQL p99',
    'cpu ms/req*',
  ];
  for (const line of formatColumns(header, rows)) say(line);
  say(
    '* API and ClickHouse CPU over the phase per request, the inserts of the ingest into ClickHouse included',
  );
  for (const { rate, run } of rates) {
    if (run.errorKinds.size === 0) continue;
    const kinds = [...run.errorKinds].map(([kind, n]) => `${kind} × ${n}`).join(', ');
    say(`errors at ${rate} req/s: ${kinds}`);
  }
  if (rates.some(({ run }) => [...run.errorKinds.keys()].some((kind) => kind.startsWith('HTTP 503')))) {
    say(
      "  (503 CLICKHOUSE_UNAVAILABLE, in GraphQL SERVICE_UNAVAILABLE: a ClickHouse read failed, or, under load, found none of the request lane's connections free within API_CLICKHOUSE_QUEUE_MS: the API sheds load)",
    );
  }
  for (const { rate, run } of rates) {
    say('');
    say(`Per route at ${rate} req/s`);
    const perRoute = [...run.byRoute].map(([route, r]) => {
      const f = summarize(r);
      return [route.name, ...latencyCells(f)];
    });
    for (const line of formatColumns(['route', 'requests', 'errors', 'p50', 'p99', 'max'], perRoute))
      say(line);
  }
}

export function outcome(idle: readonly IdleFigures[], rates: readonly RateFigures[]): Outcome {
  const at50 = rates.find((r) => r.rate === 50)?.run;
  const runsAt50 = (kind?: BenchRoute['kind']) =>
    [...(at50?.byRoute ?? new Map<BenchRoute, RouteRun>())]
      .filter(([route]) => kind === undefined || route.kind === kind)
      .map(([, r]) => r);
  const requests = idle.reduce((n, f) => n + f.run.latenciesMs.length, 0);
  const cpu = idle.reduce((n, f) => n + f.cpu.api + f.cpu.clickhouse, 0);
  return {
    idleP99: pooledP99(idle.map((f) => f.run)),
    p99At50: at50 === undefined ? undefined : pooledP99(runsAt50()),
    graphqlP99At50: at50 === undefined ? undefined : pooledP99(runsAt50('graphql')),
    cpuMsPerRequest: requests === 0 ? undefined : (cpu * 1000) / requests,
  };
}
