import type { BenchRoute, HttpRequest } from './api-routes.js';

/**
 * Requests of the API benchmark through Node's fetch (undici, keep-alive); a response counts once
 * its body has been read to the end.
 */

/** A request not answered by then counts as an error (and bounds how long a run can overrun its time). */
const REQUEST_TIMEOUT_MS = 30_000;

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
export async function send(
  baseUrl: string,
  request: HttpRequest,
  parse: boolean,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
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
