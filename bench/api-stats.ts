import { quantile } from './visibility.js';

/**
 * Figures of one measured run of a route: every request's latency (errors included, since a client
 * waits for them too), the count of failed requests, and the wall time the run took.
 */
export interface RouteRun {
  latenciesMs: number[];
  errors: number;
  elapsedMs: number;
}

export interface RouteFigures {
  requests: number;
  errors: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
  perSecond: number;
}

export function summarize(run: RouteRun): RouteFigures {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    errors: run.errors,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1),
    perSecond: run.elapsedMs > 0 ? (sorted.length * 1000) / run.elapsedMs : 0,
  };
}

/** The p99 over the requests of several runs together (not a mean of their p99s). */
export function pooledP99(runs: readonly RouteRun[]): number | undefined {
  const all = runs.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  return quantile(all, 0.99);
}

/** API p99 over direct p99: what HTTP, routing, validation, GraphQL and JSON add on top of the queries. */
export function overhead(api: RouteFigures, direct: RouteFigures | undefined): number | undefined {
  if (direct?.p99Ms === undefined || api.p99Ms === undefined || direct.p99Ms <= 0) return undefined;
  return api.p99Ms / direct.p99Ms;
}

export interface TableRow {
  route: string;
  api: RouteFigures;
  direct: RouteFigures | undefined;
}

const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(1));

/** A fixed-width text table: one line per route, API figures, then the direct peer's p99 and the ratio. */
export function formatTable(rows: readonly TableRow[]): string[] {
  const header = [
    'route',
    'requests',
    'errors',
    'p50 ms',
    'p99 ms',
    'max ms',
    'req/s',
    'direct p99',
    'ratio',
  ];
  const cells = rows.map(({ route, api, direct }) => [
    route,
    String(api.requests),
    String(api.errors),
    ms(api.p50Ms),
    ms(api.p99Ms),
    ms(api.maxMs),
    api.perSecond.toFixed(0),
    ms(direct?.p99Ms),
    overhead(api, direct)?.toFixed(2) ?? 'n/a',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [render(header), ...cells.map(render)];
}
