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

const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(1));

/** Milliseconds with one decimal, `n/a` when there is no figure. */
export const fmtMs = ms;

/** A fixed-width text table: the first column left-aligned, the others right-aligned. */
export function formatColumns(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((line) => (line[column] ?? '').length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}
