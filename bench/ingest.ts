import { availableParallelism, loadavg } from 'node:os';
import { loadConfig } from '../lib/config.js';
import { createCodec } from '../lib/registry.js';
import { setUpBench } from './bench-env.js';
import { parseBenchOptions } from './options.js';
import { peerPhase } from './peer-phase.js';
import { CONSUMER_TUNING, rate, type Run } from './phase.js';
import { processorsPhase } from './processors-phase.js';
import { scalePhase, type ScaleOutcome } from './scale-phase.js';
import { beginBenchRun } from './run-lock.js';
import { createBulkProducer, encodeWorkload, produceAll } from './produce.js';
import { int, mb, say, seconds } from './report.js';
import { startGroupsAtEnd } from '../lib/test-support/helpers.js';
import { recordBenchRun, type Recording } from './results.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { Expected } from './visibility.js';
import { sizing, WorkloadGenerator } from './workload.js';

/**
 * Ingest benchmark: the real processors against a plain KafkaJS consumer on the same workload, then
 * the processors' produce-to-queryable latency under a steady load, and their peak memory. See
 * bench/README.md. The last line of the output is the machine-readable RESULT line.
 */

async function producePhase(run: Run, prefix: string): Promise<Expected> {
  const { env, options } = run;
  const codec = createCodec(run.config);
  const generator = new WorkloadGenerator(env.agents, prefix, 0x5eed, sizing(options));
  let started = Date.now();
  const workload = await encodeWorkload(codec, generator, options.messages, started - options.messages);
  const { counts } = workload;
  const mix = Object.entries(counts.byType)
    .map(([type, n]) => `${type} ${((n * 100) / options.messages).toFixed(0)}%`)
    .join(', ');
  say(
    `encoded ${int(options.messages)} messages in ${seconds(Date.now() - started)}: ${mix}; ` +
      `${mb(counts.bytes)}, ${int(counts.bytes / options.messages)} bytes/msg on average`,
  );
  const producer = createBulkProducer(env.kafka);
  await producer.connect();
  try {
    started = Date.now();
    await produceAll(producer, workload.topics, run.signal);
    const ms = Date.now() - started;
    say(
      `produced ${int(options.messages)} messages in ${seconds(ms)} (${int(rate(options.messages, ms))} msg/s)`,
    );
  } finally {
    await producer.disconnect();
  }
  return { messages: counts.messages, errors: counts.errors };
}

function machineLoad(): string {
  const averages = loadavg().map((value) => value.toFixed(2));
  return `load average ${averages.join(' ')} on ${availableParallelism()} cores`;
}

interface Outcome {
  ingest: number;
  peer: number;
  p99: number;
  rss: number;
  scaled: ScaleOutcome | undefined;
}

async function runPhases(run: Run): Promise<Outcome> {
  const { env, config } = run;
  const prefixes = { bulk: `${env.token}-t-`, live: `${env.token}-f-` };
  // the shared errors topic keeps what earlier runs produced: both groups start where it ends now
  const groups = [env.processors, env.peer, ...(env.scaled === undefined ? [] : [env.scaled])];
  await startGroupsAtEnd(
    config,
    groups.map((target) => target.groupId),
    [ERRORS_TOPIC],
  );
  say(`both consumers observe this run's queues only, and the errors topic from where it ends now`);
  const expected = await producePhase(run, prefixes.bulk);
  // the peer batches by count, as a consumer written without a byte budget does: with large
  // payloads its 5,000-message inserts fail, so `--no-peer` leaves it out
  const peer = run.options.peer
    ? await peerPhase(run, prefixes.bulk, expected)
    : { msgsPerS: Number.NaN, peakRssMb: undefined };
  const processors = await processorsPhase(run, prefixes, expected);
  const ratio = processors.throughput.msgsPerS / peer.msgsPerS;
  say(
    `summary: processors ${int(processors.throughput.msgsPerS)} msg/s ` +
      (run.options.peer
        ? `vs peer ${int(peer.msgsPerS)} msg/s (ratio ${ratio.toFixed(2)})`
        : '(no peer run)') +
      `; freshness p99 ${int(processors.freshness.p99Ms ?? Number.NaN)} ms; ` +
      `peak RSS processors ${processors.peakRssMb?.toFixed(0) ?? 'n/a'} MiB, ` +
      `peer ${peer.peakRssMb?.toFixed(0) ?? 'n/a'} MiB`,
  );
  const scaled =
    env.scaled === undefined ? undefined : await scalePhase(run, env.scaled, prefixes.bulk, expected);
  if (scaled !== undefined) {
    const one = processors.throughput.msgsPerS;
    say(
      `scale-out: ${scaled.processes} processes ${int(scaled.totalMsgsPerS)} msg/s in total ` +
        `(${scaled.perProcess.map((p) => int(p.msgsPerS)).join(' + ')} per process) vs one process ` +
        `${int(one)} msg/s: ${(scaled.totalMsgsPerS / one).toFixed(2)}x on ${availableParallelism()} cores`,
    );
  }
  say(`machine: ${machineLoad()}`);
  say('targets: ≥ 30,000 msg/s, ratio ≥ 2, freshness p99 ≤ 1,000 ms, RSS ≤ 256 MiB (reported, not asserted)');
  if (processors.freshness.missing > 0) {
    throw new Error(`${processors.freshness.missing} freshness messages never became visible`);
  }
  return {
    ingest: processors.throughput.msgsPerS,
    peer: peer.msgsPerS,
    p99: processors.freshness.p99Ms ?? Number.NaN,
    rss: processors.peakRssMb ?? Number.NaN,
    scaled,
  };
}

/** A RESULT figure, or `n/a` for one that was not measured. */
function figure(value: number | string): string {
  return Number.isNaN(Number(value)) ? 'n/a' : String(value);
}

async function main(recording: Recording): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  recording.setOptions(options);
  const { config, logger, abort, token } = await beginBenchRun();
  const consumers = loadConfig({ ...process.env, ...CONSUMER_TUNING }).processors;
  say(
    `ingest benchmark ${token}: ${int(options.messages)} messages; freshness ${int(options.rate)} msg/s ` +
      `for ${options.latencySeconds} s; consumers store ${int(consumers.batchSize)} messages or every ` +
      `${consumers.flushIntervalMs} ms, buffer at most ${int(consumers.maxBufferedMessages)}, ` +
      `${consumers.maxStoresInFlight} stores in flight, poll ${int(consumers.maxPollBatch)}, ` +
      `client cache ${int(consumers.consumerCacheMs)} ms` +
      (Object.keys(CONSUMER_TUNING).length > 0 ? ` (bench tuning ${JSON.stringify(CONSUMER_TUNING)})` : '') +
      (options.payloadBytes === undefined
        ? ''
        : `; task and result payloads of ${int(options.payloadBytes)} bytes`) +
      (options.processors > 1 ? `; then ${options.processors} processes in one group` : ''),
  );
  say(`machine: ${machineLoad()}`);
  const env = await setUpBench(config, logger, token, { scaled: options.processors > 1 });
  say(
    `created databases ${env.processors.database}, ${env.peer.database} and topics ${env.queueTopics.join(', ')}`,
  );
  const run: Run = { options, config, env, signal: abort.signal, children: [] };
  let outcome: Outcome | undefined;
  let failure: unknown;
  try {
    outcome = await runPhases(run);
  } catch (error) {
    failure = error;
  } finally {
    await Promise.all(run.children.map((child) => child.stop(10_000)));
    const problems = await env.cleanUp();
    for (const problem of problems) process.stderr.write(`bench: clean-up: ${problem}\n`);
    say(
      `removed the bench databases, topics and consumer groups${problems.length > 0 ? ' (with problems)' : ''}`,
    );
  }
  if (outcome === undefined) {
    const message = failure instanceof Error ? failure.message : String(failure);
    process.stderr.write(`bench: failed: ${message}\n`);
    return 1;
  }
  say(
    `RESULT ingest_msgs_per_s=${Math.round(outcome.ingest)} peer_msgs_per_s=${figure(Math.round(outcome.peer))} ` +
      `ratio=${figure((outcome.ingest / outcome.peer).toFixed(2))} freshness_p99_ms=${Math.round(outcome.p99)} ` +
      `rss_mb=${Math.round(outcome.rss)}` +
      (outcome.scaled === undefined
        ? ''
        : ` processes=${outcome.scaled.processes} scaled_msgs_per_s=${Math.round(outcome.scaled.totalMsgsPerS)} ` +
          `per_process_msgs_per_s=${outcome.scaled.perProcess.map((p) => Math.round(p.msgsPerS)).join('/')} ` +
          `scaled_rss_mb=${Math.round(Math.max(...outcome.scaled.perProcess.map((p) => p.peakRssMb ?? Number.NaN)))}`),
  );
  return 0;
}

const recording = recordBenchRun('ingest', process.argv.slice(2), process.env);
let exitCode = 1;
try {
  exitCode = await main(recording);
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
}
process.exitCode = exitCode;
recording.finish(exitCode);
