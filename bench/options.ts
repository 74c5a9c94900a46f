import { parseArgs } from 'node:util';

/**
 * Options of `npm run bench:ingest -- [--messages N] [--rate R] [--latency-seconds S]
 * [--payload-bytes B] [--processors P]`.
 */
export interface IngestBenchOptions {
  /** Messages produced before the throughput runs. Default 200,000. */
  messages: number;
  /** Messages per second during the freshness run. Default 10,000. */
  rate: number;
  /** Length of the freshness run in seconds. Default 10. */
  latencySeconds: number;
  /** When set, both consumers run with `node --cpu-prof` and write their profiles here. */
  cpuProfDir: string | undefined;
  /**
   * When set, every task and result carries a payload of about this many bytes (LLM prompts and
   * outputs); otherwise the mix averages about 1 KB per message.
   */
  payloadBytes: number | undefined;
  /**
   * Processor processes in one consumer group for the scale-out phase; 1 (the default) skips it.
   * The one-process run always comes first, so the two figures come from the same machine and run.
   */
  processors: number;
  /** Whether the plain KafkaJS peer runs (`--no-peer` leaves it out). */
  peer: boolean;
}

const USAGE =
  'usage: npm run bench:ingest -- [--messages N (200000)] [--rate MSG_PER_S (10000)] ' +
  '[--latency-seconds S (10)] [--payload-bytes B] [--processors P (1)] [--no-peer] [--cpu-prof-dir DIR]';

function positiveInteger(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name} must be an integer from 1 to ${max}, got "${raw}"\n${USAGE}`);
  }
  return value;
}

/** Parses the command line; throws one error naming the bad option and showing the usage. */
export function parseBenchOptions(argv: readonly string[]): IngestBenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        messages: { type: 'string' },
        rate: { type: 'string' },
        'latency-seconds': { type: 'string' },
        'cpu-prof-dir': { type: 'string' },
        'payload-bytes': { type: 'string' },
        processors: { type: 'string' },
        'no-peer': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, { cause: error });
  }
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    messages: positiveInteger('messages', text('messages'), 200_000, 10_000_000),
    rate: positiveInteger('rate', text('rate'), 10_000, 1_000_000),
    latencySeconds: positiveInteger('latency-seconds', text('latency-seconds'), 10, 3_600),
    cpuProfDir: text('cpu-prof-dir'),
    payloadBytes:
      text('payload-bytes') === undefined
        ? undefined
        : positiveInteger('payload-bytes', text('payload-bytes'), 1_024, 1_000_000),
    processors: positiveInteger('processors', text('processors'), 1, 8),
    peer: values['no-peer'] !== true,
  };
}
