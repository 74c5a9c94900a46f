import { loadConfig } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import { createLogger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import { createLiveProducer, producePaced } from './produce.js';
import { benchAgents, WorkloadGenerator } from './workload.js';

/**
 * The api benchmark's ingest producer, as a process of its own (bench/api-ingest.ts starts it): the
 * ingest benchmark's paced producer at `BENCH_PRODUCER_RATE` msg/s into the run's queue topics
 * (`BENCH_PRODUCER_TOKEN`), until SIGTERM. Run inside the benchmark's own process, its work (a
 * chunk's workload is generated at once, tens of milliseconds) delayed the load generator's event
 * loop, and a request sent late counts as slow.
 *
 * Protocol on stdout, one JSON object per line: `{"ready":true}` once connected, then after SIGTERM
 * `{"sent":N,"lateSlices":N}` and exit 0. A failure exits 1 with the reason on stderr.
 */

/** Length of one paced run; runs follow each other until stopped so that nothing is prepared in bulk. */
const CHUNK_SECONDS = 5;

export interface ProducerReport {
  sent: number;
  lateSlices: number;
}

async function main(): Promise<void> {
  const token = process.env.BENCH_PRODUCER_TOKEN ?? '';
  const rate = Number(process.env.BENCH_PRODUCER_RATE);
  if (token === '' || !Number.isInteger(rate) || rate < 1) {
    throw new Error('BENCH_PRODUCER_TOKEN and BENCH_PRODUCER_RATE (a positive integer) are required');
  }
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', component: 'bench-producer', destination: process.stderr });
  const kafka = createKafka(config, logger, `bench-${token}-producer`);
  const codec = createCodec(config);
  const generator = new WorkloadGenerator(benchAgents(token), `${token}-live-`, 0x1a9e);
  const producer = createLiveProducer(kafka);
  await producer.connect();
  const stopping = new AbortController();
  const stop = (): void => {
    stopping.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const report: ProducerReport = { sent: 0, lateSlices: 0 };
  try {
    while (!stopping.signal.aborted) {
      const result = await producePaced({
        producer,
        codec,
        generator,
        rate,
        seconds: CHUNK_SECONDS,
        signal: stopping.signal,
        onSlice: (_sentMs, counts) => {
          report.sent += counts.messages + counts.errors;
        },
      });
      report.lateSlices += result.lateSlices;
    }
  } catch (error) {
    if (!stopping.signal.aborted) throw error;
  } finally {
    await producer.disconnect();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench producer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
