import { z } from 'zod';
import type { RestRoute } from '../module.js';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** Headers every write (POST) route reads besides its parameters (see docs/actions.md). */
const WRITE_HEADERS: JsonSchema[] = [
  {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'the same action on the same target with the same key is done once; a repeat answers outcome=duplicate',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  {
    name: 'X-Actor',
    in: 'header',
    required: false,
    description: 'who asks, recorded in the audit log',
    schema: { type: 'string', maxLength: 100 },
  },
];

function parameters(route: RestRoute): JsonSchema[] {
  const describe = (location: 'path' | 'query', name: string, schema: z.ZodType): JsonSchema => {
    const json = toSchema(schema, 'input');
    const optional = schema.safeParse(undefined).success;
    const { description, ...rest } = json;
    return {
      name,
      in: location,
      required: location === 'path' || !optional,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  };
  return [
    ...Object.entries(route.pathParams).map(([name, schema]) => describe('path', name, schema)),
    ...Object.entries(route.query).map(([name, schema]) => describe('query', name, schema)),
    ...(route.method === 'POST' && !route.path.endsWith('/mcp') ? WRITE_HEADERS : []),
  ];
}

const ERROR_BODY: JsonSchema = {
  type: 'object',
  properties: {
    detail: { type: 'string' },
    parameter: { type: 'string', description: 'the parameter at fault (400 only)' },
  },
  required: ['detail'],
};

/** The routes of one API module; the module's name is their OpenAPI tag. */
export interface TaggedRoutes {
  tag: string;
  routes: readonly RestRoute[];
}

/** OpenAPI 3.0 description of every registered REST route, derived from the routes themselves. */
export function openApiDocument(
  modules: readonly TaggedRoutes[],
  info: { title: string; version: string },
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const tagged = modules.flatMap(({ tag, routes }) => routes.map((route) => ({ tag, route })));
  for (const { tag, route } of tagged) {
    const operations = (paths[route.path] ??= {});
    const hasParams = Object.keys(route.pathParams).length + Object.keys(route.query).length > 0;
    operations[route.method.toLowerCase()] = {
      tags: [tag],
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: parameters(route),
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: toSchema(route.response, 'output') } },
        },
        ...(hasParams
          ? {
              '400': {
                description: 'a parameter is invalid; `parameter` names it',
                content: { 'application/json': { schema: ERROR_BODY } },
              },
            }
          : {}),
        ...(Object.keys(route.pathParams).length > 0
          ? { '404': { description: 'unknown id', content: { 'application/json': { schema: ERROR_BODY } } } }
          : {}),
        '401': { description: 'missing or wrong bearer token (when API_AUTH_TOKEN is set)' },
        ...(route.method === 'POST' && !route.path.endsWith('/mcp')
          ? {
              '403': {
                description:
                  'actions are off (API_ACTIONS=on and API_AUTH_TOKEN are needed); `detail` says which',
                content: { 'application/json': { schema: ERROR_BODY } },
              },
              '409': {
                description:
                  "the target's state forbids the action (outcome=refused, detail.reason says why)",
              },
            }
          : {}),
        '429': { description: 'rate limit exceeded' },
        '503': {
          description: 'a dependency (ClickHouse, Kafka) is unavailable',
          content: { 'application/json': { schema: ERROR_BODY } },
        },
        '500': {
          description: 'server fault (logged with its cause)',
          content: { 'application/json': { schema: ERROR_BODY } },
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info,
    tags: [...new Set(tagged.map(({ tag }) => tag))].map((name) => ({ name })),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }, {}],
    paths,
  };
}
