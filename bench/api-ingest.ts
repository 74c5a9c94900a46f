import type { Config } from '../lib/config.js';
import { createCodec } from '../lib/registry.js';
import { startGroupsAtEnd } from '../lib/test-support/helpers.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { BenchEnvironment } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { consumerEnv } from './phase.js';
import { createLiveProducer, producePaced } from './produce.js';
import { delta, scrapeMetrics } from './report.js';
import { WorkloadGenerator } from './workload.js';

/**
 * Ingest while the API is measured: the real processors (`node dist-bench/cli/main.js processors`) as a
 * child, subscribed to the run's own queue topics only (and the shared errors topic from its current
 * end), fed by the ingest benchmark's paced producer at a steady rate until stopped.
 */

export interface IngestOutcome {
  sent: number;
  lateSlices: number;
  /** Messages the processors consumed meanwhile (their /metrics). */
  consumed: number;
  deadLettered: number;
}

export interface BackgroundIngest {
  child: BenchChild;
  /** Throws when ingest has stopped (the producer failed or the processors exited). */
  assertRunning(): void;
  /** Stops producing, then reads the processors' counters; idempotent. The child keeps running. */
  stop(): Promise<IngestOutcome>;
}

/** Length of one paced run; runs follow each other until stop() so that nothing is prepared in bulk. */
const CHUNK_SECONDS = 5;

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

  const codec = createCodec(config);
  const generator = new WorkloadGenerator(env.agents, `${env.token}-live-`, 0x1a9e);
  const producer = createLiveProducer(env.kafka);
  await producer.connect();
  const stopping = new AbortController();
  const both = AbortSignal.any([signal, stopping.signal]);
  let sent = 0;
  let lateSlices = 0;
  const loop = (async () => {
    while (!both.aborted) {
      const result = await producePaced({
        producer,
        codec,
        generator,
        rate,
        seconds: CHUNK_SECONDS,
        signal: both,
        onSlice: (_sentMs, counts) => {
          sent += counts.messages + counts.errors;
        },
      });
      lateSlices += result.lateSlices;
    }
  })();
  // a failure other than our own stop ends the run: the figures would no longer be "under ingest"
  let failure: unknown;
  loop.catch((error: unknown) => {
    if (!stopping.signal.aborted) failure = error;
  });

  const assertRunning = (): void => {
    if (failure !== undefined) throw new Error('the background producer failed', { cause: failure });
    if (!child.running()) throw new Error('the processors exited during the measurement');
  };
  let stopped: Promise<IngestOutcome> | undefined;
  const stop = async (): Promise<IngestOutcome> => {
    stopping.abort();
    await loop.catch(() => undefined);
    await producer.disconnect();
    assertRunning();
    const after = await scrapeMetrics(metricsUrl);
    return {
      sent,
      lateSlices,
      consumed: delta(before, after, 'agent_telemetry_consumed_messages_total'),
      deadLettered: delta(before, after, 'agent_telemetry_dead_lettered_total'),
    };
  };
  return {
    child,
    assertRunning,
    stop: () => (stopped ??= stop()),
  };
}
