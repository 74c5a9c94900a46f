import { parseArgs } from 'node:util';

/** Options of `npm run bench:api`. */
export interface ApiBenchOptions {
  /** Error facts seeded. Default 1,000,000. */
  errors: number;
  /** Agent messages seeded (whole conversations of 20). Default 1,000,000. */
  messages: number;
  /** Seconds of the open-loop mix at each offered rate. Default 20. */
  seconds: number;
  /** Requests per route in the idle phase (one client). Default 100. */
  idleRequests: number;
  /** Offered rates of the open-loop mix, in requests per second. Default 25, 50, 100. */
  rates: number[];
  /** Messages per second produced into the running processors during the measurement. Default 2,000. */
  rate: number;
  /** Days the seeded data spans back from now. Default 3. */
  days: number;
  /** Only the routes whose name contains one of these texts (case-insensitive); empty: every route. */
  routes: string[];
  /** Writes a CPU profile of the API process here (node `--cpu-prof-dir`); undefined: none. */
  cpuProfDir: string | undefined;
}

const USAGE =
  'usage: npm run bench:api -- [--errors N (1000000)] [--messages N (1000000)] [--seconds S (20)] ' +
  '[--idle-requests N (100)] [--rates R,R (25,50,100)] [--rate MSG_PER_S (2000)] [--days D (3)] [--routes TEXT,TEXT (all)] [--cpu-prof-dir DIR]';

const LIMITS: Record<
  Exclude<keyof ApiBenchOptions, 'routes' | 'rates' | 'cpuProfDir'>,
  { fallback: number; min: number; max: number }
> = {
  errors: { fallback: 1_000_000, min: 1, max: 100_000_000 },
  messages: { fallback: 1_000_000, min: 20, max: 100_000_000 },
  seconds: { fallback: 20, min: 1, max: 3_600 },
  idleRequests: { fallback: 100, min: 1, max: 100_000 },
  rate: { fallback: 2_000, min: 1, max: 100_000 },
  days: { fallback: 3, min: 1, max: 365 },
};

/** `idleRequests` → `idle-requests`. */
const flag = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function parseRates(raw: string | boolean | undefined): number[] {
  if (typeof raw !== 'string') return [25, 50, 100];
  const rates = raw.split(',').map((part) => Number(part.trim()));
  if (rates.length === 0 || rates.some((rate) => !Number.isInteger(rate) || rate < 1 || rate > 10_000)) {
    throw new Error(`--rates must be integers from 1 to 10000, comma-separated, got "${raw}"\n${USAGE}`);
  }
  return rates;
}

/** Parses the command line; throws one error naming the bad option and showing the usage. */
export function parseApiBenchOptions(argv: readonly string[]): ApiBenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        [...Object.keys(LIMITS).map(flag), 'routes', 'rates', 'cpu-prof-dir'].map((name) => [
          name,
          { type: 'string' as const },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, { cause: error });
  }
  const read = (name: keyof typeof LIMITS): number => {
    const { fallback, min, max } = LIMITS[name];
    const raw = values[flag(name)];
    if (typeof raw !== 'string') return fallback;
    const value = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${flag(name)} must be an integer from ${min} to ${max}, got "${raw}"\n${USAGE}`);
    }
    return value;
  };
  return {
    errors: read('errors'),
    messages: read('messages'),
    seconds: read('seconds'),
    idleRequests: read('idleRequests'),
    rates: parseRates(values.rates),
    rate: read('rate'),
    days: read('days'),
    routes:
      typeof values.routes === 'string'
        ? values.routes
            .split(',')
            .map((text) => text.trim().toLowerCase())
            .filter((text) => text !== '')
        : [],
    cpuProfDir: typeof values['cpu-prof-dir'] === 'string' ? values['cpu-prof-dir'] : undefined,
  };
}
