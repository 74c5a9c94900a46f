import { z } from 'zod';
import { badParameter, notFound } from '../http/http-error.js';
import { enumParam, idParam, intParam, optionalIdParam, textParam, timeParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiContext, RestRoute } from '../module.js';
import { CATEGORIES, SEVERITIES } from '../read-models/errors.js';
import { ApiErrorSchema, ErrorGroupSchema, ErrorsSchema, ErrorSummarySchema } from './schemas.js';

const filterQuery = {
  trace_id: optionalIdParam().describe('only errors of this trace'),
  severity: enumParam(SEVERITIES).describe('only errors of this severity'),
  category: enumParam(CATEGORIES).describe('only errors of this category'),
  since: timeParam(),
  until: timeParam(),
  limit: intParam(50, 1, 500),
  cursor: textParam(400).describe('the `next_cursor` of the previous page; absent for the first page'),
};
const listQuery = {
  ...filterQuery,
  agent_name: optionalIdParam().describe('only errors reported by this agent'),
};

/** Errors: listing with filters and keyset pages, one error, the summary, groups. */
export function errorRoutes(context: ApiContext): RestRoute[] {
  const { errors } = context.readModels;

  const list = async (query: {
    trace_id?: string | undefined;
    severity?: (typeof SEVERITIES)[number] | undefined;
    category?: (typeof CATEGORIES)[number] | undefined;
    agent_name?: string | undefined;
    since?: number | undefined;
    until?: number | undefined;
    limit: number;
    cursor?: string | undefined;
  }) => {
    if (query.since !== undefined && query.until !== undefined && query.until <= query.since) {
      throw badParameter('until', 'must be after since');
    }
    const [page, summary] = await Promise.all([
      errors.list(
        {
          traceId: query.trace_id,
          severity: query.severity,
          category: query.category,
          agent: query.agent_name,
          sinceMs: query.since,
          untilMs: query.until,
        },
        query.limit,
        query.cursor,
      ),
      errors.summary(),
    ]);
    return { total: page.total, errors: page.items, summary, next_cursor: page.next_cursor };
  };

  return [
    defineRoute({
      path: '/api/v1/errors',
      summary: 'Errors newest first, filtered by trace, severity, category, agent and time (keyset pages)',
      description:
        'Unlike the old service, an unknown severity or category is refused (400 naming the parameter) and the store is never re-sorted in place.',
      query: listQuery,
      response: ErrorsSchema,
      handler: ({ query }) => list(query),
    }),
    defineRoute({
      path: '/api/v1/errors/summary',
      summary: 'Error counts by severity, category and agent (all time, or since a time)',
      query: { since: timeParam() },
      response: ErrorSummarySchema,
      handler: ({ query }) => errors.summary({ sinceMs: query.since }),
    }),
    defineRoute({
      path: '/api/v1/errors/groups',
      summary:
        'Errors grouped by fingerprint: first and last seen, count, agents, sample, trend over the last hour',
      query: {
        agent_name: optionalIdParam().describe('only groups with an error reported by this agent'),
        since: timeParam(),
        limit: intParam(50, 1, 500),
      },
      response: z.object({ groups: z.array(ErrorGroupSchema) }),
      handler: async ({ query }) => ({
        groups: await errors.groups({ limit: query.limit, agent: query.agent_name, sinceMs: query.since }),
      }),
    }),
    defineRoute({
      path: '/api/v1/errors/agent/{agent}',
      summary: "One agent's errors, newest first (as /errors with agent_name)",
      pathParams: { agent: idParam().describe('the agent whose errors to list') },
      query: filterQuery,
      response: ErrorsSchema,
      handler: ({ path, query }) => list({ ...query, agent_name: path.agent }),
    }),
    defineRoute({
      path: '/api/v1/errors/{error_id}',
      summary: 'One error with every field; 404 {detail} when unknown',
      pathParams: { error_id: idParam().describe("the error's id (`error_id`)") },
      response: z.object({ error: ApiErrorSchema }),
      handler: async ({ path }) => {
        const error = await errors.get(path.error_id);
        if (error === undefined) throw notFound(`error ${path.error_id}`);
        return { error };
      },
    }),
  ];
}
