import { ERRORS_TOPIC } from '../schemas/topics.js';
import { freePort, spawnBenchChild, waitForHttpOk } from './child.js';
import { describeMemory, sampleMemory } from './memory-sampler.js';
import { FRESHNESS_GRACE_MS, freshnessPhase, type Freshness } from './freshness-phase.js';
import { describeGroupLag } from './other-consumers.js';
import { consumerEnv, measureStored, nodeFlags, settle, type Run, type Throughput } from './phase.js';
import { delta, int, say, scrapeMetrics, seconds } from './report.js';
import type { Expected } from './visibility.js';

export interface ProcessorsOutcome {
  throughput: Throughput;
  freshness: Freshness;
  peakRssMb: number | undefined;
}

/**
 * The real processors (`node dist-bench/cli/main.js processors`) in a child process: timed from /readyz
 * until the workload is queryable, then the freshness run into the same process, then its peak RSS.
 */
export async function processorsPhase(
  run: Run,
  prefixes: { bulk: string; live: string },
  expected: Expected,
): Promise<ProcessorsOutcome> {
  const { env, options, signal } = run;
  await settle(run);
  const port = await freePort();
  const child = spawnBenchChild({
    name: 'processors',
    script: new URL('../cli/main.js', import.meta.url),
    args: ['processors'],
    env: consumerEnv(env.processors, { PROCESSOR_HTTP_PORT: String(port) }),
    nodeFlags: nodeFlags(options),
  });
  run.children.push(child);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitForHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60_000, signal);
  const startedAtMs = Date.now();
  const memory = sampleMemory(metricsUrl);
  const before = await scrapeMetrics(metricsUrl);
  const throughput = await measureStored({
    run,
    label: 'processors',
    child,
    target: env.processors,
    prefix: prefixes.bulk,
    expected,
    startedAtMs,
    describe: async () => {
      const now = await scrapeMetrics(metricsUrl);
      const lag = await describeGroupLag(env.admin, env.processors.groupId, [
        ...env.queueTopics,
        ERRORS_TOPIC,
      ]);
      return (
        `buffered ${now.get('agent_telemetry_buffered_messages') ?? '?'}, ` +
        `paused ${now.get('agent_telemetry_consumer_paused') ?? '?'}, ` +
        `consumed ${now.get('agent_telemetry_consumed_messages_total') ?? '?'}; ${lag}`
      );
    },
  });
  const after = await scrapeMetrics(metricsUrl);
  say(`  processors ${describeMemory(memory.stop())}`);
  const total = expected.messages + expected.errors;
  const batches = delta(before, after, 'agent_telemetry_batch_messages_count');
  const consumed = delta(before, after, 'agent_telemetry_consumed_messages_total');
  const perBatch = batches > 0 ? delta(before, after, 'agent_telemetry_batch_messages_sum') / batches : 0;
  say(
    `  processors metrics: ${int(consumed)} consumed (${int(Math.max(0, consumed - total))} from other topics), ` +
      `${int(batches)} batches of ${int(perBatch)} messages on average, ` +
      `insert ${seconds(1000 * delta(before, after, 'agent_telemetry_insert_duration_seconds_sum'))} and ` +
      `commit ${seconds(1000 * delta(before, after, 'agent_telemetry_commit_duration_seconds_sum'))} in total, ` +
      `${int(delta(before, after, 'agent_telemetry_dead_lettered_total'))} dead-lettered`,
  );

  await settle(run);
  say(`freshness: ${int(options.rate)} msg/s for ${options.latencySeconds} s into the running processors`);
  const beforeLive = await scrapeMetrics(metricsUrl);
  const freshness = await freshnessPhase(run, child, prefixes.live);
  const afterLive = await scrapeMetrics(metricsUrl);
  const liveBatches = delta(beforeLive, afterLive, 'agent_telemetry_batch_messages_count');
  const perLiveBatch = (name: string): number =>
    liveBatches > 0 ? delta(beforeLive, afterLive, name) / liveBatches : 0;
  say(
    `  processors during the freshness run: ${int(liveBatches)} batches of ` +
      `${int(perLiveBatch('agent_telemetry_batch_messages_sum'))} messages, ` +
      `${int(1000 * perLiveBatch('agent_telemetry_insert_duration_seconds_sum'))} ms insert and ` +
      `${int(1000 * perLiveBatch('agent_telemetry_commit_duration_seconds_sum'))} ms commit each on average`,
  );
  const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : `${int(value)} ms`);
  say(
    `freshness: produce-to-queryable p50 ${ms(freshness.p50Ms)}, p99 ${ms(freshness.p99Ms)}, ` +
      `max ${ms(freshness.maxMs)} over ${int(freshness.sent - freshness.missing)} messages ` +
      `(of which send to broker ack: p50 ${ms(freshness.ackP50Ms)}, p99 ${ms(freshness.ackP99Ms)}; ` +
      `benchmark event-loop delay p99 ${ms(freshness.benchLoopDelayP99Ms)})` +
      (freshness.missing > 0
        ? `; ${int(freshness.missing)} NOT visible ${FRESHNESS_GRACE_MS / 1000} s after the last send`
        : ''),
  );
  const peakRssMb = child.peakRssMb();
  say(`processors: peak RSS ${peakRssMb?.toFixed(0) ?? 'n/a'} MiB`);
  await child.stop();
  return { throughput, freshness, peakRssMb };
}
