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

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

/** Whether an address the server listens on is a loopback one. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host name of a `Host` header (`name:port`, `[v6]:port`), lower-case. */
function hostName(hostHeader: string): string {
  const name = hostHeader.startsWith('[')
    ? hostHeader.slice(1, hostHeader.indexOf(']'))
    : (hostHeader.split(':')[0] ?? '');
  return name.toLowerCase();
}

/**
 * On a loopback address, only requests naming a loopback host or one of `allowed`: a web page whose
 * domain resolves to 127.0.0.1 (DNS rebinding) must not reach the API through the user's browser.
 * Elsewhere every host is allowed unless `allowed` lists some.
 */
export function hostAllowed(
  listenHost: string,
  hostHeader: string | null | undefined,
  allowed: readonly string[] = [],
): boolean {
  if (!isLoopback(listenHost) && allowed.length === 0) return true;
  if (hostHeader === undefined || hostHeader === null || hostHeader === '') return false;
  const name = hostName(hostHeader);
  return isLoopback(name) || allowed.some((host) => host.toLowerCase() === name);
}

/**
 * A request's `Origin` may be absent (not a browser), the API's own (same origin: the dashboard),
 * or one of the CORS origins. Any other page must not open the live feed or call the API through
 * the user's browser: a WebSocket is not bound by CORS, and neither is a simple request's side effect.
 */
export function originAllowed(
  origin: string | null | undefined,
  ownHost: string,
  corsOrigins: readonly string[],
): boolean {
  if (origin === undefined || origin === null) return true;
  if (corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === ownHost.toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a file) or garbage: not an origin we know
    return false;
  }
}

/** The 403 for a request that fails the Host or Origin check, naming what to configure. */
export function foreignRequest(what: 'Host' | 'Origin', value: string | null | undefined): Response {
  const setting = what === 'Host' ? 'API_ALLOWED_HOSTS' : 'API_CORS_ORIGINS';
  return jsonResponse(
    { detail: `${what} ${JSON.stringify(value ?? '(none)')} is not allowed: list it in ${setting}` },
    403,
  );
}
