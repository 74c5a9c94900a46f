import { performance } from 'node:perf_hooks';
import type { ReadModels } from '../api/read-models/index.js';
import type { BenchRoute, HttpRequest } from './api-routes.js';
import type { RouteRun } from './api-stats.js';

/**
 * Closed-loop load: `clients` workers, each sending its next request as soon as the previous one is
 * answered, for a fixed time. HTTP requests go through Node's fetch (undici, keep-alive), so each
 * worker keeps its connection; a response counts once its body has been read to the end.
 */

/** A request not answered by then counts as an error (and bounds how long a run can overrun its time). */
const REQUEST_TIMEOUT_MS = 30_000;

/** At most this many latencies are kept per run; beyond it a run only counts (bounded memory). */
const MAX_SAMPLES = 2_000_000;

export interface LoadOptions {
  clients: number;
  durationMs: number;
  signal: AbortSignal;
}

/** Runs `call` from `clients` workers until the time is up; a call that throws counts as an error. */
export async function closedLoop(
  options: LoadOptions,
  call: (n: number) => Promise<void>,
): Promise<RouteRun> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && !options.signal.aborted) {
      const n = next++;
      const t0 = performance.now();
      try {
        await call(n);
      } catch {
        errors += 1;
      }
      if (latenciesMs.length < MAX_SAMPLES) latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, worker));
  options.signal.throwIfAborted();
  return { latenciesMs, errors, elapsedMs: performance.now() - started };
}

/** A response that is not 2xx, or a GraphQL answer carrying `errors`. */
export class BadAnswerError extends Error {
  override readonly name = 'BadAnswerError';
  readonly code = 'BAD_ANSWER';
  constructor(
    readonly status: number,
    readonly excerpt: string,
  ) {
    super(`answered ${status}: ${excerpt}`);
  }
}

/** Sends one request and returns the parsed body; non-2xx and GraphQL errors throw BadAnswerError. */
export async function send(baseUrl: string, request: HttpRequest, parse: boolean): Promise<unknown> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const response = await fetch(
    `${baseUrl}${request.path}`,
    request.body === undefined
      ? { method: request.method, signal }
      : {
          method: request.method,
          headers: { 'content-type': 'application/json' },
          body: request.body,
          signal,
        },
  );
  const text = await response.text();
  if (!response.ok) throw new BadAnswerError(response.status, text.slice(0, 300));
  const graphql = request.path === '/graphql';
  if (!parse && !graphql) return undefined;
  const body: unknown = JSON.parse(text);
  if (graphql && typeof body === 'object' && body !== null && 'errors' in body) {
    throw new BadAnswerError(response.status, text.slice(0, 300));
  }
  return body;
}

/** One request, its answer checked against the route's shape; throws naming the route when wrong. */
export async function checkRoute(baseUrl: string, route: BenchRoute): Promise<unknown> {
  const request = route.request(0);
  let body: unknown;
  try {
    body = await send(baseUrl, request, true);
  } catch (error) {
    throw new Error(`${route.name} (${request.method} ${request.path}) failed its check`, { cause: error });
  }
  const problem = route.check(body);
  if (problem !== undefined) {
    throw new Error(
      `${route.name} (${request.method} ${request.path}): ${problem}; body ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
  return body;
}

export function measureApi(baseUrl: string, route: BenchRoute, options: LoadOptions): Promise<RouteRun> {
  return closedLoop(options, async (n) => {
    await send(baseUrl, route.request(n), false);
  });
}

export function measureDirect(
  models: ReadModels,
  route: BenchRoute,
  options: LoadOptions,
): Promise<RouteRun> {
  return closedLoop(options, async (n) => {
    await route.direct(models, n);
  });
}
