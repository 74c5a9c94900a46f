import type { IncomingMessage } from 'node:http';
import type { Config } from '../../lib/config.js';
import { jsonResponse } from './http-error.js';
import {
  bearerMatches,
  checkBearer,
  foreignRequest,
  hostAllowed,
  originAllowed,
  RateLimiter,
} from './guards.js';

/** The orchestrator's probes: never throttled, and answered whatever Host they name. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/**
 * The checks every request passes before any route runs, in this order: the Host it names
 * (DNS rebinding, when bound to loopback), its Origin (pages of other sites), the bearer token,
 * then the rate limit per client address (after authentication, so that requests without the
 * token cannot spend an authenticated client's budget), then the declared body size.
 * WebSocket upgrades pass the same checks, the token also as `?access_token=`.
 */
export interface RequestGate {
  /** `undefined` when the request may go on, else the answer to send. */
  check(request: Request, url: URL, client: string): Response | undefined;
  /** The same checks for a WebSocket upgrade, with the URL its Host header names. */
  checkUpgrade(req: IncomingMessage): { url: URL; denied: Response | undefined };
}

export function createRequestGate(config: Config, now?: () => number): RequestGate {
  const api = config.api;
  const limiter = new RateLimiter(api.rateLimitPerMinute, now === undefined ? {} : { now });
  const metricsScrape = (request: Request, url: URL): boolean =>
    url.pathname === '/metrics' &&
    api.metricsToken !== undefined &&
    bearerMatches(request.headers.get('authorization'), api.metricsToken);

  const common = (
    request: Request,
    url: URL,
    client: string,
    authorized: (denied: Response) => boolean,
  ): Response | undefined => {
    // the orchestrator's probes name the pod's address, whatever the allow-list says
    const probe = UNLIMITED_PATHS.has(url.pathname);
    if (!probe && !hostAllowed(api.host, url.host, api.allowedHosts)) return foreignRequest('Host', url.host);
    const origin = request.headers.get('origin');
    if (!originAllowed(origin, url.host, api.corsOrigins)) return foreignRequest('Origin', origin);
    const denied = checkBearer(request, url, api.authToken);
    if (denied !== undefined && !authorized(denied)) return denied;
    const waitSeconds = probe ? 0 : limiter.take(client);
    if (waitSeconds > 0) {
      return jsonResponse(
        {
          detail: `rate limit exceeded (API_RATE_LIMIT_PER_MINUTE=${api.rateLimitPerMinute}), retry in ${waitSeconds} s`,
        },
        429,
        { 'retry-after': String(waitSeconds) },
      );
    }
    return undefined;
  };

  return {
    check(request, url, client) {
      const refused = common(request, url, client, () => metricsScrape(request, url));
      if (refused !== undefined) return refused;
      const length = Number(request.headers.get('content-length') ?? '0');
      if (length > api.maxBodyBytes) {
        return jsonResponse(
          { detail: `request body over ${api.maxBodyBytes} bytes (API_MAX_BODY_BYTES)` },
          413,
        );
      }
      return undefined;
    },
    checkUpgrade(req) {
      const host = req.headers.host ?? '';
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${host === '' ? 'invalid.invalid' : host}`);
      } catch {
        return { url: new URL('http://invalid.invalid/'), denied: foreignRequest('Host', host) };
      }
      const headers = new Headers();
      if (req.headers.origin !== undefined) headers.set('origin', req.headers.origin);
      if (req.headers.authorization !== undefined) headers.set('authorization', req.headers.authorization);
      // browsers cannot set headers on a WebSocket: the token may come as ?access_token= instead
      const queryToken = url.searchParams.get('access_token');
      const tokenInQuery = (): boolean =>
        api.authToken !== undefined &&
        queryToken !== null &&
        bearerMatches(`Bearer ${queryToken}`, api.authToken);
      const denied = common(
        new Request(url, { headers }),
        url,
        req.socket.remoteAddress ?? 'local',
        tokenInQuery,
      );
      return { url, denied };
    },
  };
}

/** A refusal written on the raw socket of an upgrade request, with its JSON body. */
export async function rawResponse(response: Response): Promise<string> {
  const body = await response.text();
  const reason = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    429: 'Too Many Requests',
    431: 'Request Header Fields Too Large',
  }[response.status];
  const lines = [`HTTP/1.1 ${response.status} ${reason ?? 'Error'}`];
  // its own length below: a response may carry one already (the server adapter's Response does)
  response.headers.forEach((value, name) => {
    if (name !== 'content-length') lines.push(`${name}: ${value}`);
  });
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body);
  return lines.join('\r\n');
}
