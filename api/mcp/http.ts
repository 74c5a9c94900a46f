// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { defineRoute } from '../http/route.js';
import type { ApiContext, ApiModuleFactory } from '../module.js';
import { createMcpServer } from './server.js';

/** Where the API serves MCP (Streamable HTTP); `agent-telemetry mcp --http` serves it on `/mcp`. */
export const MCP_API_PATH = '/api/v1/mcp';

/**
 * Answers one Streamable HTTP request, stateless: a fresh server and transport per request (the
 * SDK's pattern for servers without sessions), JSON answers instead of an SSE stream, so that the
 * API stays stateless and any replica can answer any request.
 */
export async function handleMcpRequest(context: ApiContext, request: Request): Promise<Response> {
  const server = createMcpServer(context);
  // no sessionIdGenerator: stateless mode
  const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}

/** The MCP server mounted on the API at /api/v1/mcp (auth, rate and size limits apply). */
export const mcpModule: ApiModuleFactory = (context) => ({
  name: 'mcp',
  rest: (['POST', 'GET'] as const).map((method) =>
    defineRoute({
      method,
      path: MCP_API_PATH,
      summary: 'MCP server (Streamable HTTP, stateless, JSON answers)',
      description:
        'The Model Context Protocol endpoint: tools diagnose, list_errors, get_error, error_groups, pending_tasks, queue_status, get_task, get_trace, ' +
        'agent_status, oracle_state, validate_state, sql_query, action_log; with API_ACTIONS=on the writes cancel_task, retry_task, replay_dead_letters; resources agent-telemetry://oracle/schema and agent-telemetry://tables. ' +
        'POST JSON-RPC with Accept: application/json, text/event-stream; GET answers 405 (no server-initiated stream).',
      response: z.unknown(),
      handler: ({ request }) => handleMcpRequest(context, request),
    }),
  ),
});
