import { EVENT_STREAM_PATH } from '../../api/event-stream.js';
import { buildInertApi } from './inert-api.js';
import { schemaDescription, schemaProperties, schemaType, type JsonSchema } from './json-schema.js';
import { anchor, cell, code, page, plain, table } from './markdown.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface Response {
  description: string;
  content?: Record<string, { schema?: JsonSchema }>;
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Parameter[];
  responses: Record<string, Response>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/** The OpenAPI document exactly as the API serves it at `GET /api/v1/openapi.json`. */
export async function servedOpenApi(): Promise<OpenApiDocument> {
  const response = await buildInertApi().fetch(new Request('http://localhost/api/v1/openapi.json'));
  if (response.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

const UNTAGGED = 'other';

function heading(method: string, path: string): string {
  return code(`${method.toUpperCase()} ${path}`);
}

function body(response: Response): JsonSchema | undefined {
  return response.content?.['application/json']?.schema;
}

/** The top-level fields of a JSON body, or its type when it is not an object. */
function bodyFields(schema: JsonSchema): string {
  const properties = schemaProperties(schema);
  if (properties.length === 0) return schemaType(schema);
  return properties.map((p) => `${code(p.name)} ${schemaType(p.schema)}`).join(', ');
}

function operationBlock(method: string, path: string, operation: Operation): string {
  const lines = [`### ${heading(method, path)}`, '', plain(operation.summary ?? '')];
  if (operation.description !== undefined) lines.push('', plain(operation.description));
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    lines.push(
      '',
      table(
        ['parameter', 'in', 'type', 'required', 'meaning'],
        parameters.map((p) => {
          const schema = p.schema ?? {};
          return [
            code(p.name),
            p.in,
            cell(schemaType(schema)),
            p.required === true ? 'yes' : 'no',
            cell(plain(p.description ?? schemaDescription(schema) ?? '')),
          ];
        }),
      ),
    );
  }
  lines.push(
    '',
    table(
      ['status', 'meaning'],
      Object.entries(operation.responses).map(([status, response]) => {
        const schema = status === '200' ? body(response) : undefined;
        const meaning =
          schema === undefined ? response.description : `${response.description}: ${bodyFields(schema)}`;
        return [status, cell(plain(meaning))];
      }),
    ),
  );
  return lines.join('\n');
}

/** `docs/reference/rest.md`: every route of the served OpenAPI document, grouped by tag. */
export function renderRestReference(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const tags = [
    ...new Set([
      ...(doc.tags ?? []).map((t) => t.name),
      ...operations.map((o) => o.operation.tags?.[0] ?? UNTAGGED),
    ]),
  ];
  const blocks = [
    `The routes the API serves, from the OpenAPI ${doc.openapi} document it publishes at ` +
      `${code('GET /api/v1/openapi.json')} (${doc.info.title} ${doc.info.version}), which ` +
      `${code('api/http/openapi.ts')} derives from each API module's routes (${code('api/modules.ts')}); ` +
      'a tag is the module that serves the route. Query parameters arrive as text and are validated ' +
      'one by one: a bad value is a 400 whose `parameter` names it. With `API_AUTH_TOKEN` set, every ' +
      'route needs `Authorization: Bearer <token>`. `/health`, `/ready`, `/metrics`, `/graphql`, the ' +
      `live event stream (${code(`GET ${EVENT_STREAM_PATH}`)}) and the WebSocket feed are served beside these ` +
      'routes and are not part of the document.',
    table(
      ['method', 'path', 'tag', 'summary'],
      operations.map(({ path, method, operation }) => [
        method.toUpperCase(),
        `[${code(path)}](#${anchor(heading(method, path))})`,
        operation.tags?.[0] ?? UNTAGGED,
        cell(plain(operation.summary ?? '')),
      ]),
    ),
  ];
  for (const tag of tags) {
    const inTag = operations.filter((o) => (o.operation.tags?.[0] ?? UNTAGGED) === tag);
    if (inTag.length === 0) continue;
    blocks.push(`## ${tag}`);
    for (const { path, method, operation } of inTag) blocks.push(operationBlock(method, path, operation));
  }
  return page('api/http/openapi.ts (GET /api/v1/openapi.json)', 'REST API reference', blocks);
}
