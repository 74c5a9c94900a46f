import type { Config } from '../lib/config.js';
import { startGroupsAtEnd } from '../lib/test-support/helpers.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { BenchEnvironment } from './bench-env.js';
import type { ProducerReport } from './api-producer.js';
import { childFailure, freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { consumerEnv } from './phase.js';
import { delta, scrapeMetrics } from './report.js';

/**
 * Ingest while the API is measured: the real processors (`node dist-bench/cli/main.js processors`) as a
 * child, subscribed to the run's own queue topics only (and the shared errors topic from its current
 * end), fed by the ingest benchmark's paced producer (bench/api-producer.ts, a process of its own) at
 * a steady rate until stopped.
 */

export interface IngestOutcome {
  sent: number;
  lateSlices: number;
  /** Messages the processors consumed meanwhile (their /metrics). */
  consumed: number;
  deadLettered: number;
}

export interface BackgroundIngest {
  /** The processors. */
  child: BenchChild;
  producer: BenchChild;
  /** Throws when ingest has stopped (the producer failed or the processors exited). */
  assertRunning(): void;
  /** Stops producing, then reads the processors' counters; idempotent. The child keeps running. */
  stop(): Promise<IngestOutcome>;
}

export async function startBackgroundIngest(options: {
  config: Config;
  env: BenchEnvironment;
  rate: number;
  signal: AbortSignal;
  children: BenchChild[];
}): Promise<BackgroundIngest> {
  const { config, env, rate, signal } = options;
  const groupId = env.processors.groupId;
  await startGroupsAtEnd(config, [groupId], [ERRORS_TOPIC]);
  const port = await freePort();
  const child = spawnBenchChild({
    name: 'processors',
    script: new URL('../cli/main.js', import.meta.url),
    args: ['processors'],
    env: consumerEnv(env.processors, {
      PROCESSOR_HTTP_PORT: String(port),
    }),
  });
  options.children.push(child);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitForHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60_000, signal);
  const before = await scrapeMetrics(metricsUrl);

  // the producer runs in a process of its own: its work would delay the load generator's requests
  let report: ProducerReport | undefined;
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const producer = spawnBenchChild({
    name: 'producer',
    script: new URL('./api-producer.js', import.meta.url),
    env: { ...process.env, BENCH_PRODUCER_TOKEN: env.token, BENCH_PRODUCER_RATE: String(rate) },
    onStdoutLine: (line) => {
      let parsed: Partial<ProducerReport> & { ready?: boolean };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.ready === true) ready();
      else if (typeof parsed.sent === 'number') {
        report = { sent: parsed.sent, lateSlices: parsed.lateSlices ?? 0 };
      }
    },
  });
  options.children.push(producer);
  const first = await Promise.race([isReady.then(() => 'ready' as const), producer.exited]);
  if (first !== 'ready') throw childFailure(producer, `exited (${first}) before it was ready`);

  const assertRunning = (): void => {
    if (!producer.running()) throw childFailure(producer, 'exited during the measurement');
    if (!child.running()) throw new Error('the processors exited during the measurement');
  };
  let stopped: Promise<IngestOutcome> | undefined;
  const stop = async (): Promise<IngestOutcome> => {
    if (!child.running()) throw new Error('the processors exited during the measurement');
    await producer.stop(30_000);
    const code = await producer.exited;
    if (code !== 0 || report === undefined) {
      throw childFailure(producer, `ended with ${code} and no report of what it sent`);
    }
    const after = await scrapeMetrics(metricsUrl);
    return {
      sent: report.sent,
      lateSlices: report.lateSlices,
      consumed: delta(before, after, 'agent_telemetry_consumed_messages_total'),
      deadLettered: delta(before, after, 'agent_telemetry_dead_lettered_total'),
    };
  };
  return {
    child,
    producer,
    assertRunning,
    stop: () => (stopped ??= stop()),
  };
}
