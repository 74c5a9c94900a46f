// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
// eslint-disable-next-line import-x/no-unresolved -- as above
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../api/mcp/server.js';
import { buildInertApi } from './inert-api.js';
import { schemaDescription, schemaProperties, schemaType } from './json-schema.js';
import { anchor, cell, code, page, plain, table } from './markdown.js';

/** What an MCP client sees of the server: its instructions and everything it lists. */
export interface McpListing {
  name: string;
  version: string;
  instructions: string | undefined;
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

/**
 * Connects an MCP client to the API's MCP server in memory and lists what it offers, as a coding
 * assistant would see it (the SDK's JSON Schemas of the zod inputs, the annotations it sends).
 */
export async function listMcpServer(): Promise<McpListing> {
  const server = createMcpServer(buildInertApi().context);
  const client = new Client({ name: 'agent-telemetry-docs', version: '0.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const capabilities = client.getServerCapabilities() ?? {};
    const info = client.getServerVersion();
    return {
      name: info?.name ?? '',
      version: info?.version ?? '',
      instructions: client.getInstructions(),
      tools: capabilities.tools === undefined ? [] : (await client.listTools()).tools,
      resources: capabilities.resources === undefined ? [] : (await client.listResources()).resources,
      resourceTemplates:
        capabilities.resources === undefined ? [] : (await client.listResourceTemplates()).resourceTemplates,
      prompts: capabilities.prompts === undefined ? [] : (await client.listPrompts()).prompts,
    };
  } finally {
    await client.close();
    await server.close();
  }
}

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

function hints(tool: Tool): string {
  const annotations = tool.annotations ?? {};
  const given = HINTS.filter((hint) => annotations[hint] !== undefined).map(
    (hint) => `${hint}: ${String(annotations[hint])}`,
  );
  return given.length === 0 ? 'none (clients assume a destructive, open-world tool)' : given.join(', ');
}

function toolBlock(tool: Tool): string {
  const title = tool.title ?? tool.annotations?.title;
  const lines = [`### ${code(tool.name)}`, ''];
  if (title !== undefined) lines.push(`**${title}**`, '');
  lines.push(plain(tool.description ?? ''), '', `Annotations: ${hints(tool)}.`);
  const input = schemaProperties(tool.inputSchema);
  lines.push(
    '',
    input.length === 0
      ? 'No arguments.'
      : table(
          ['argument', 'type', 'required', 'default', 'meaning'],
          input.map((argument) => [
            code(argument.name),
            cell(schemaType(argument.schema)),
            argument.required ? 'yes' : 'no',
            'default' in argument.schema ? code(JSON.stringify(argument.schema.default)) : '',
            cell(plain(schemaDescription(argument.schema) ?? '')),
          ]),
        ),
  );
  return lines.join('\n');
}

/** `docs/reference/mcp-tools.md`: the tools, resources and prompts of the MCP server. */
export function renderMcpReference(listing: McpListing): string {
  const writes = listing.tools.filter((tool) => tool.annotations?.readOnlyHint !== true);
  const blocks = [
    `The MCP server ${code(listing.name)} ${listing.version} (${code('api/mcp/')}), as an MCP client ` +
      'lists it: on stdio (`agent-telemetry mcp`), on Streamable HTTP (`agent-telemetry mcp --http <port>`) ' +
      'and at `/api/v1/mcp` of the API. Arguments are validated before a tool runs; a failure the caller ' +
      'can act on (an unknown id, a refused query, a dependency that is down) comes back as a tool ' +
      'error with its reason. Answers are JSON, trimmed to a budget of characters.',
  ];
  if (listing.instructions !== undefined) {
    blocks.push('The instructions the server sends at initialization:', `> ${plain(listing.instructions)}`);
  }
  blocks.push(
    '## Tools',
    table(
      ['tool', 'title', 'read-only'],
      listing.tools.map((tool) => [
        `[${code(tool.name)}](#${anchor(code(tool.name))})`,
        cell(tool.title ?? tool.annotations?.title),
        tool.annotations?.readOnlyHint === true ? 'yes' : '**no**',
      ]),
    ),
  );
  if (writes.length > 0) {
    blocks.push(
      `The tools that act (${writes.map((tool) => code(tool.name)).join(', ')}) work only when the API ` +
        'runs with `API_ACTIONS=on` and `API_AUTH_TOKEN`; each call is audited in `action_log`.',
    );
  }
  blocks.push(...listing.tools.map(toolBlock));
  blocks.push(
    '## Resources',
    listing.resources.length === 0
      ? 'The server offers no resources.'
      : table(
          ['URI', 'name', 'title', 'MIME type', 'description'],
          listing.resources.map((resource) => [
            code(resource.uri),
            code(resource.name),
            cell(resource.title),
            cell(resource.mimeType),
            cell(plain(resource.description ?? '')),
          ]),
        ),
  );
  if (listing.resourceTemplates.length > 0) {
    blocks.push(
      table(
        ['URI template', 'name', 'description'],
        listing.resourceTemplates.map((template) => [
          code(template.uriTemplate),
          code(template.name),
          cell(template.description),
        ]),
      ),
    );
  }
  blocks.push(
    '## Prompts',
    listing.prompts.length === 0
      ? 'The server offers no prompts.'
      : table(
          ['prompt', 'description', 'arguments'],
          listing.prompts.map((prompt) => [
            code(prompt.name),
            cell(prompt.description),
            cell(
              (prompt.arguments ?? []).map((a) => `${a.name}${a.required === true ? '' : '?'}`).join(', '),
            ),
          ]),
        ),
  );
  return page('api/mcp/ (the tools as an MCP client lists them)', 'MCP server reference', blocks);
}
