import { timingSafeEqual } from 'node:crypto';
import { jsonResponse } from './http-error.js';

/**
 * Paths that answer without a token: the orchestrator's liveness and readiness probes carry none.
 * Both tell only whether the process and its dependencies are up.
 */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/** The dashboard's page and assets hold no data, and the page is what asks for the token. */
function isOpenPath(pathname: string): boolean {
  return OPEN_PATHS.has(pathname) || pathname === '/ui' || pathname.startsWith('/ui/');
}

/** `Authorization: Bearer <token>`; `undefined` when allowed, else the 401 to send. */
export function checkBearer(request: Request, url: URL, token: string | undefined): Response | undefined {
  if (token === undefined || isOpenPath(url.pathname) || request.method === 'OPTIONS') return undefined;
  if (bearerMatches(request.headers.get('authorization'), token)) return undefined;
  return jsonResponse({ detail: 'missing or invalid bearer token' }, 401, {
    'www-authenticate': 'Bearer realm="agent-telemetry"',
  });
}

export function bearerMatches(header: string | null | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const given = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Requests per minute per client address, as a token bucket refilled continuously. At most
 * `maxClients` addresses are tracked; the least recently seen is forgotten first.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(perMinute: number, options: { maxClients?: number; now?: () => number } = {}) {
    this.#perMinute = perMinute;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes one token for `client`; returns the seconds to wait when none is left, else 0. */
  take(client: string): number {
    if (this.#perMinute <= 0) return 0;
    const now = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#perMinute, at: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + ((now - bucket.at) * this.#perMinute) / 60_000);
    bucket.at = now;
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > this.#maxClients) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 60) / this.#perMinute);
  }
}
