import { parseArgs } from 'node:util';

/** Options of `npm run bench:api`. */
export interface ApiBenchOptions {
  /** Error facts seeded. Default 1,000,000. */
  errors: number;
  /** Agent messages seeded (whole conversations of 20). Default 1,000,000. */
  messages: number;
  /** Measured seconds per route, for the API and again for the direct peer. Default 10. */
  seconds: number;
  /** Concurrent clients. Default 20. */
  clients: number;
  /** Messages per second produced into the running processors during the measurement. Default 2,000. */
  rate: number;
  /** Days the seeded data spans back from now. Default 3. */
  days: number;
  /** Only the routes whose name contains one of these texts (case-insensitive); empty: every route. */
  routes: string[];
}

const USAGE =
  'usage: npm run bench:api -- [--errors N (1000000)] [--messages N (1000000)] [--seconds S (10)] ' +
  '[--clients N (20)] [--rate MSG_PER_S (2000)] [--days D (3)] [--routes TEXT,TEXT (all)]';

const LIMITS: Record<
  Exclude<keyof ApiBenchOptions, 'routes'>,
  { fallback: number; min: number; max: number }
> = {
  errors: { fallback: 1_000_000, min: 1, max: 100_000_000 },
  messages: { fallback: 1_000_000, min: 20, max: 100_000_000 },
  seconds: { fallback: 10, min: 1, max: 3_600 },
  clients: { fallback: 20, min: 1, max: 1_000 },
  rate: { fallback: 2_000, min: 1, max: 100_000 },
  days: { fallback: 3, min: 1, max: 365 },
};

/** Parses the command line; throws one error naming the bad option and showing the usage. */
export function parseApiBenchOptions(argv: readonly string[]): ApiBenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        [...Object.keys(LIMITS), 'routes'].map((name) => [name, { type: 'string' as const }]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, { cause: error });
  }
  const read = (name: keyof typeof LIMITS): number => {
    const { fallback, min, max } = LIMITS[name];
    const raw = values[name];
    if (typeof raw !== 'string') return fallback;
    const value = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${raw}"\n${USAGE}`);
    }
    return value;
  };
  return {
    errors: read('errors'),
    messages: read('messages'),
    seconds: read('seconds'),
    clients: read('clients'),
    rate: read('rate'),
    days: read('days'),
    routes:
      typeof values.routes === 'string'
        ? values.routes
            .split(',')
            .map((text) => text.trim().toLowerCase())
            .filter((text) => text !== '')
        : [],
  };
}
