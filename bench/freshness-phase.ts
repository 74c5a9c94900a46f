import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCodec } from '../lib/registry.js';
import { childFailure, type BenchChild } from './child.js';
import { rate, type Run } from './phase.js';
import { createLiveProducer, producePaced } from './produce.js';
import { int, say, seconds } from './report.js';
import { FreshnessTracker, quantile } from './visibility.js';
import { sizing, WorkloadGenerator } from './workload.js';

/** After the freshness run's last send, how long to wait for its messages to become visible. */
export const FRESHNESS_GRACE_MS = 60_000;

export interface Freshness {
  /** Send to broker acknowledgement (the producer's share of the latency). */
  ackP50Ms: number | undefined;
  ackP99Ms: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
  sent: number;
  /** Messages not visible `FRESHNESS_GRACE_MS` after the last send. */
  missing: number;
  /** p99 event-loop delay of the benchmark itself while it paced and polled (a self-check). */
  benchLoopDelayP99Ms: number;
}

/**
 * Produces at the configured rate into the running processors while polling ClickHouse every
 * ~50 ms; returns the produce-to-queryable latency over every message of the run.
 */
export async function freshnessPhase(run: Run, child: BenchChild, prefix: string): Promise<Freshness> {
  const { env, options, signal } = run;
  const tracker = new FreshnessTracker(env.processors.access, prefix);
  const producer = createLiveProducer(env.kafka);
  await producer.connect();
  const stopPolling = new AbortController();
  const pollSignal = AbortSignal.any([signal, stopPolling.signal]);
  let producedAtMs: number | undefined;
  let lastReportMs = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const polling = (async () => {
    for (;;) {
      await tracker.poll();
      const now = Date.now();
      if (producedAtMs !== undefined) {
        if (tracker.visible >= tracker.expected || now - producedAtMs > FRESHNESS_GRACE_MS) return;
      }
      if (!child.running()) throw childFailure(child, 'exited during the freshness run');
      if (now - lastReportMs >= 2_000) {
        lastReportMs = now;
        say(`  freshness: ${int(tracker.expected)} sent, ${int(tracker.visible)} visible`);
      }
      await sleep(50, undefined, { signal: pollSignal });
    }
  })();
  let sent: number;
  let acks: number[];
  try {
    const paced = await producePaced({
      producer,
      codec: createCodec(run.config),
      generator: new WorkloadGenerator(env.agents, prefix, 0xf7e5, sizing(options)),
      rate: options.rate,
      seconds: options.latencySeconds,
      signal: pollSignal,
      onSlice: (sentMs, counts) => {
        tracker.expect(sentMs, counts);
      },
    });
    producedAtMs = Date.now();
    sent = paced.sent;
    acks = paced.ackLatenciesMs.sort((a, b) => a - b);
    say(
      `  freshness: produced ${int(paced.sent)} messages in ${seconds(paced.elapsedMs)} ` +
        `(${int(rate(paced.sent, paced.elapsedMs))} msg/s, ${paced.lateSlices} late slices)`,
    );
    await polling;
  } catch (error) {
    stopPolling.abort();
    await polling.catch(() => undefined);
    throw error;
  } finally {
    loopDelay.disable();
    await producer.disconnect();
  }
  const sorted = [...tracker.latenciesMs].sort((a, b) => a - b);
  return {
    ackP50Ms: quantile(acks, 0.5),
    ackP99Ms: quantile(acks, 0.99),
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1),
    sent,
    missing: tracker.expected - tracker.visible,
    benchLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
  };
}
