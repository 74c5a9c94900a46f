import { readFileSync } from 'node:fs';

/** Output helpers of the benchmark: figures go to stdout, one readable line each. */

const captures = new Set<string[]>();

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
  for (const lines of captures) lines.push(line);
}

/** The lines said from now until `stop()` (bench/results.ts keeps them in the run's result file). */
export interface OutputCapture {
  readonly lines: readonly string[];
  stop(): void;
}

export function captureOutput(): OutputCapture {
  const lines: string[] = [];
  captures.add(lines);
  return { lines, stop: () => void captures.delete(lines) };
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 123456.7 → "123,457". */
export function int(value: number): string {
  return grouped.format(value);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** User plus system CPU time of a process so far, in seconds; undefined when it cannot be read. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name, which may itself hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return Number.isFinite(user) && Number.isFinite(system) ? (user + system) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** Prometheus text exposition, summed over label sets: metric name → value. */
export type MetricTotals = Map<string, number>;

export async function scrapeMetrics(url: string): Promise<MetricTotals> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const totals: MetricTotals = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) totals.set(match[1], (totals.get(match[1]) ?? 0) + value);
  }
  return totals;
}

/** The change of a metric between two scrapes (0 when absent). */
export function delta(before: MetricTotals, after: MetricTotals, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}
