import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import { PROCESSOR_PROCESS_ENV } from '../lib/process-env.js';
import type { BenchEnvironment, BenchTarget } from './bench-env.js';
import type { BenchChild } from './child.js';
import { cpuSnapshot, describeCpuSplit, findServicePids } from './cpu-split.js';
import type { IngestBenchOptions } from './options.js';
import { waitForOtherConsumers } from './other-consumers.js';
import { cpuSeconds, int, say, seconds } from './report.js';
import { waitUntilAllVisible, type Expected } from './visibility.js';

/** What the phases of one run share. */
export interface Run {
  options: IngestBenchOptions;
  config: Config;
  env: BenchEnvironment;
  signal: AbortSignal;
  /** Every child started, so that the run can stop them all whatever happens. */
  children: BenchChild[];
}

export interface Throughput {
  elapsedMs: number;
  msgsPerS: number;
  cpuS: number | undefined;
  peakRssMb: number | undefined;
}

/**
 * Environment given to both consumers on top of ours. Empty: the processors run with their
 * defaults, and the peer batches the same way (it reads the same PROCESSOR_* variables).
 */
export const CONSUMER_TUNING: Readonly<Record<string, string>> = {};

/**
 * A consumer's environment. The processors start as production starts them (lib/process-env.ts:
 * a heap sized to their byte budget); the peer keeps Node's defaults, as a consumer written without
 * a byte budget needs them. BENCH_CONSUMER_NODE_OPTIONS replaces the node options of both.
 */
export function consumerEnv(
  target: BenchTarget,
  extra: Record<string, string> = {},
  kind: 'processors' | 'peer' = 'processors',
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(kind === 'processors' ? PROCESSOR_PROCESS_ENV : {}),
    CLICKHOUSE_DATABASE: target.database,
    PROCESSOR_GROUP_ID: target.groupId,
    PROCESSOR_QUEUE_TOPIC_PATTERN: target.queueTopicPattern,
    // BENCH_LOG_LEVEL=info shows the consumers' own progress logs when a run needs explaining
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...(process.env.BENCH_CONSUMER_NODE_OPTIONS === undefined
      ? {}
      : { NODE_OPTIONS: process.env.BENCH_CONSUMER_NODE_OPTIONS }),
    ...CONSUMER_TUNING,
    ...extra,
  };
}

/** Node's flags for a profiled child: a CPU profile written into `cpuProfDir`, when one is named. */
export function nodeFlags(options: { cpuProfDir: string | undefined }): string[] {
  return options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
}

export function rate(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** Longest wait for ClickHouse's background merges before a measured phase. */
const MERGES_WAIT_MS = 60_000;

/**
 * Lets the machine settle before a measured phase: other consumers of the bench topics finish their
 * backlog, and ClickHouse finishes the merges that the previous bulk inserts started (the peer's, or
 * the processors' own before the freshness run), so that neither shares the CPU with the phase.
 */
export async function settle(run: Run): Promise<void> {
  const { env, signal } = run;
  await waitForOtherConsumers({
    admin: env.admin,
    topics: [...env.queueTopics, ERRORS_TOPIC],
    ownGroups: [env.processors, env.peer, ...(env.scaled === undefined ? [] : [env.scaled])].map(
      (target) => target.groupId,
    ),
    signal,
    report: say,
  });
  const started = Date.now();
  let reported = false;
  for (;;) {
    const rows = await env.server.query<{ n: string | number }>('SELECT count() AS n FROM system.merges');
    const merges = Number(rows[0]?.n ?? 0);
    if (merges === 0) break;
    if (Date.now() - started > MERGES_WAIT_MS) {
      say(`  ClickHouse still runs ${merges} merges after ${MERGES_WAIT_MS / 1000} s; going on`);
      break;
    }
    if (!reported) say(`  waiting for ClickHouse's ${merges} background merges to finish`);
    reported = true;
    await sleep(250, undefined, { signal });
  }
  if (reported) say(`  merges finished after ${seconds(Date.now() - started)}`);
}

export interface MeasureOptions {
  run: Run;
  label: string;
  child: BenchChild;
  target: BenchTarget;
  prefix: string;
  expected: Expected;
  /** When the consumer answered ready: the clock starts here. */
  startedAtMs: number;
  describe?: () => Promise<string>;
}

/**
 * Waits until every message of the workload is queryable in the target's database and prints the
 * figures: rate, CPU of the consumer, and how the machine's CPU was shared meanwhile.
 */
export async function measureStored(options: MeasureOptions): Promise<Throughput> {
  const { run, label, child, target, prefix, expected, startedAtMs } = options;
  const pids = new Map([[label, child.pid], ...findServicePids()]);
  const cpuBefore = cpuSnapshot(pids);
  const ownBefore = cpuSeconds(child.pid);
  const total = expected.messages + expected.errors;
  const elapsedMs = await waitUntilAllVisible({
    reader: target.access,
    prefix,
    expected,
    startedAtMs,
    child,
    signal: run.signal,
    onProgress: (visible, ms) => {
      say(`  ${label}: ${int(visible)} / ${int(total)} stored after ${seconds(ms)}`);
    },
    ...(options.describe === undefined ? {} : { describe: options.describe }),
  });
  const cpuAfter = cpuSnapshot(pids);
  const ownAfter = cpuSeconds(child.pid);
  const cpuS = ownBefore === undefined || ownAfter === undefined ? undefined : ownAfter - ownBefore;
  const result: Throughput = {
    elapsedMs,
    msgsPerS: rate(total, elapsedMs),
    cpuS,
    peakRssMb: child.peakRssMb(),
  };
  const cpu =
    cpuS === undefined ? 'cpu n/a' : `cpu ${cpuS.toFixed(1)} s = ${((cpuS * 1e6) / total).toFixed(1)} µs/msg`;
  say(
    `${label}: ${int(total)} messages stored in ${seconds(elapsedMs)} = ${int(result.msgsPerS)} msg/s; ` +
      `${cpu}; peak RSS so far ${result.peakRssMb?.toFixed(0) ?? 'n/a'} MiB`,
  );
  say(`  ${label} phase cpu: ${describeCpuSplit(cpuBefore, cpuAfter)}`);
  return result;
}
