import type { Logger } from '../../lib/logger.js';
import { ErrorCode, isUnavailable, TelemetryError } from '../../lib/errors.js';
import { Response } from './fetch-api.js';

/**
 * An answer other than 200 that a route decides on purpose: a bad parameter (400, naming it), an
 * unknown id (404), an exhausted limit (429). Anything else thrown by a route is a server fault.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** The query or path parameter at fault, for 400s. */
  readonly parameter: string | undefined;
  readonly problems: readonly ParameterProblem[];

  constructor(
    status: number,
    detail: string,
    options: { parameter?: string; problems?: ParameterProblem[] } = {},
  ) {
    super(detail);
    this.status = status;
    this.parameter = options.parameter;
    this.problems = options.problems ?? [];
  }
}

export interface ParameterProblem {
  parameter: string;
  message: string;
}

/** 400 naming every parameter at fault (the first one is `parameter`). */
export function badParameters(problems: readonly ParameterProblem[]): HttpError {
  const first = problems[0];
  if (first === undefined) throw new RangeError('badParameters needs at least one problem');
  return new HttpError(400, problems.map((p) => `${p.parameter}: ${p.message}`).join('; '), {
    parameter: first.parameter,
    problems: [...problems],
  });
}

export function badParameter(parameter: string, message: string): HttpError {
  return badParameters([{ parameter, message }]);
}

/** 404 for an id that is well formed but unknown. */
export function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * The response for anything a route threw. Route decisions keep their status and detail (the body
 * is `{detail}` as the contract's 404 is, plus `parameter` for 400s). Server faults are logged with
 * their cause and answered 503 (a dependency is unavailable) or 500, without internals in the body.
 */
export function errorResponse(
  error: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
): Response {
  if (error instanceof HttpError) {
    const body: Record<string, unknown> = { detail: error.message };
    if (error.parameter !== undefined) body.parameter = error.parameter;
    if (error.problems.length > 1) body.problems = error.problems;
    return jsonResponse(body, error.status);
  }
  if (error instanceof TelemetryError && error.code === ErrorCode.ABANDONED) {
    // the caller is gone: nobody reads this answer, and it is no fault of the server
    logger.debug({ ...context, err: error }, 'request abandoned by its caller');
    return jsonResponse({ detail: 'the client closed the request' }, 499);
  }
  if (isUnavailable(error)) {
    logger.warn({ ...context, err: error, code: error.code }, 'dependency unavailable');
    return jsonResponse({ detail: 'a dependency is unavailable, retry later', code: error.code }, 503, {
      'retry-after': '5',
    });
  }
  logger.error({ ...context, err: error }, 'request failed');
  return jsonResponse({ detail: 'internal server error' }, 500);
}
