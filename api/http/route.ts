import type { z } from 'zod';
import type { HttpMethod, RawRestRequest, RestRequest, RestRoute } from '../module.js';
import { parseParams, parseQuery, type ParamShape } from './params.js';

/** A route without path or query parameters. */
export type NoParams = Record<string, never>;

export interface RouteDefinition<P extends ParamShape, Q extends ParamShape> {
  method?: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  pathParams?: P;
  query?: Q;
  response: z.ZodType;
  handler: (request: RestRequest<P, Q>) => Promise<unknown>;
}

/**
 * A route whose path and query parameters are validated before the handler runs: a bad value
 * becomes a 400 naming the parameter, and the handler sees typed values.
 */
export function defineRoute<P extends ParamShape = NoParams, Q extends ParamShape = NoParams>(
  definition: RouteDefinition<P, Q>,
): RestRoute {
  const pathParams = (definition.pathParams ?? {}) as P;
  const query = (definition.query ?? {}) as Q;
  return {
    method: definition.method ?? 'GET',
    path: definition.path,
    summary: definition.summary,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    pathParams,
    query,
    response: definition.response,
    handle: (raw: RawRestRequest) =>
      definition.handler({
        path: parseParams(pathParams, (name) => raw.pathParams[name]),
        query: parseQuery(query, raw.url.searchParams),
        url: raw.url,
        request: raw.request,
      }),
  };
}
