import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { BenchTarget } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { describeGroupLag } from './other-consumers.js';
import { consumerEnv, measureStored, nodeFlags, rate, settle, type Run } from './phase.js';
import { cpuSeconds, int, say, scrapeMetrics } from './report.js';
import type { Expected } from './visibility.js';

export interface ScaleOutcome {
  processes: number;
  /** Every message of the workload stored, over the time from the first process ready to the last row. */
  totalMsgsPerS: number;
  perProcess: {
    consumed: number;
    msgsPerS: number;
    cpuS: number | undefined;
    peakRssMb: number | undefined;
  }[];
}

interface Member {
  child: BenchChild;
  metricsUrl: string;
  readyAtMs: number;
}

/**
 * The same workload again, consumed by `run.options.processors` processor processes in one group
 * into their own database: what a second instance buys on this machine. The clock starts when the
 * first process is ready (the group's rebalances while the others join are part of the figure).
 * Each process's share is what its own metrics say it stored and committed; what it consumed
 * beyond that was read again by another member after a rebalance took the partition away.
 */
export async function scalePhase(
  run: Run,
  target: BenchTarget,
  prefix: string,
  expected: Expected,
): Promise<ScaleOutcome> {
  const { env, options, signal } = run;
  const count = options.processors;
  await settle(run);
  say(`scale-out: ${count} processor processes in group ${target.groupId}, the same workload again`);
  const starting = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const port = await freePort();
      const child = spawnBenchChild({
        name: `processors-${index + 1}`,
        script: new URL('../cli/main.js', import.meta.url),
        args: ['processors'],
        env: consumerEnv(target, { PROCESSOR_HTTP_PORT: String(port) }),
        nodeFlags: nodeFlags(options),
      });
      run.children.push(child);
      return { child, port };
    }),
  );
  const members: Member[] = await Promise.all(
    starting.map(async ({ child, port }) => {
      await waitForHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60_000, signal);
      return { child, metricsUrl: `http://127.0.0.1:${port}/metrics`, readyAtMs: Date.now() };
    }),
  );
  const startedAtMs = Math.min(...members.map((m) => m.readyAtMs));
  const cpuBefore = members.map((m) => cpuSeconds(m.child.pid));
  const [first] = members;
  if (first === undefined) throw new Error('no processor process started');
  const throughput = await measureStored({
    run,
    label: `${count} processors`,
    child: first.child,
    target,
    prefix,
    expected,
    startedAtMs,
    describe: async () => {
      const parts = await Promise.all(
        members.map(async (m) => {
          const now = await scrapeMetrics(m.metricsUrl);
          return `${m.child.name} consumed ${now.get('agent_telemetry_consumed_messages_total') ?? '?'}`;
        }),
      );
      const lag = await describeGroupLag(env.admin, target.groupId, [...env.queueTopics, ERRORS_TOPIC]);
      return `${parts.join(', ')}; ${lag}`;
    },
  });
  const perProcess = await Promise.all(
    members.map(async (m, index) => {
      const after = await scrapeMetrics(m.metricsUrl);
      // whole-process totals: the counters start at zero in a new process, before the clock starts
      const consumed = after.get('agent_telemetry_consumed_messages_total') ?? 0;
      const committed = after.get('agent_telemetry_batch_messages_sum') ?? 0;
      const cpuAfter = cpuSeconds(m.child.pid);
      const before = cpuBefore[index];
      return {
        consumed,
        committed,
        msgsPerS: rate(committed, throughput.elapsedMs),
        cpuS: before === undefined || cpuAfter === undefined ? undefined : cpuAfter - before,
        peakRssMb: m.child.peakRssMb(),
      };
    }),
  );
  perProcess.forEach((p, index) => {
    say(
      `  processors-${index + 1}: stored and committed ${int(p.committed)} = ${int(p.msgsPerS)} msg/s ` +
        `(consumed ${int(p.consumed)}); ` +
        `cpu ${p.cpuS?.toFixed(1) ?? 'n/a'} s; peak RSS ${p.peakRssMb?.toFixed(0) ?? 'n/a'} MiB`,
    );
  });
  await Promise.all(members.map((m) => m.child.stop()));
  return { processes: count, totalMsgsPerS: throughput.msgsPerS, perProcess };
}
