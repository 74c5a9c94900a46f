import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cpuSeconds } from './report.js';

/**
 * Where the machine's CPU went during a phase: the consumer under test, the local services it
 * talks to, and everything else. On a small machine the services share the cores with the
 * consumer, so its throughput is bounded by the sum of all of them per message.
 */

/** Local services found by their command line (Linux /proc), for the CPU split. */
const SERVICES: readonly (readonly [string, RegExp])[] = [
  ['clickhouse', /clickhouse-server/],
  ['kafka', /kafka\.Kafka\b/],
  ['registry', /apicurio|quarkus-run\.jar/],
];

export function findServicePids(): Map<string, number> {
  const found = new Map<string, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const pid of entries) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    for (const [name, pattern] of SERVICES) {
      if (!found.has(name) && pattern.test(command)) found.set(name, Number(pid));
    }
  }
  return found;
}

/** Busy CPU time of the whole machine so far (all cores, excluding idle and I/O wait), in seconds. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1);
    const values = fields.map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return (total - idle) / 100;
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  atMs: number;
  machine: number | undefined;
  processes: Map<string, number | undefined>;
}

export function cpuSnapshot(processes: ReadonlyMap<string, number>): CpuSnapshot {
  return {
    atMs: Date.now(),
    machine: machineBusySeconds(),
    processes: new Map([...processes].map(([name, pid]) => [name, cpuSeconds(pid)])),
  };
}

/** Cores one process of the snapshots used between them; undefined when it was not found. */
export function processCores(before: CpuSnapshot, after: CpuSnapshot, name: string): number | undefined {
  const seconds = (after.atMs - before.atMs) / 1000;
  const start = before.processes.get(name);
  const end = after.processes.get(name);
  if (seconds <= 0 || start === undefined || end === undefined) return undefined;
  return (end - start) / seconds;
}

/** "machine 1.9 of 2 cores busy: peer 0.9, clickhouse 0.6, kafka 0.2, registry 0.0, rest 0.2". */
export function describeCpuSplit(before: CpuSnapshot, after: CpuSnapshot): string {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (seconds <= 0 || before.machine === undefined || after.machine === undefined) return 'cpu split n/a';
  const machine = (after.machine - before.machine) / seconds;
  let accounted = 0;
  const parts: string[] = [];
  for (const name of after.processes.keys()) {
    const cores = processCores(before, after, name);
    if (cores === undefined) continue;
    accounted += cores;
    parts.push(`${name} ${cores.toFixed(2)}`);
  }
  parts.push(`rest ${Math.max(0, machine - accounted).toFixed(2)}`);
  return `machine ${machine.toFixed(2)} of ${availableParallelism()} cores busy: ${parts.join(', ')}`;
}
