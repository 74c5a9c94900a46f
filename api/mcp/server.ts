// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ApiContext } from '../module.js';
import { registerResources } from './resources.js';
import { registerTools } from './tool-kit.js';
import { actionTools } from './tools-actions.js';
import { errorTools } from './tools-errors.js';
import { systemTools } from './tools-system.js';
import { timeTools } from './tools-time.js';
import { workTools } from './tools-work.js';

export const MCP_SERVER_NAME = 'agent-telemetry';
const VERSION = '0.1.0';

const INSTRUCTIONS =
  'Debug a multi-agent system whose agents talk through Kafka queues. Start with diagnose (ranked issues with evidence and fixes), ' +
  'then follow its ids: get_trace for a cascade, pending_tasks / get_task for stuck work, error_groups / list_errors / get_error for failures, ' +
  "queue_status for lag, agent_status for liveness and LLM usage, task_time for where tasks' time went (queue, work, LLM). sql_query runs read-only SQL; the resource agent-telemetry://tables lists the tables. " +
  'When the API allows actions (API_ACTIONS=on): cancel_task, retry_task and replay_dead_letters act, each audited (action_log) and idempotent.';

/** One MCP server over the API's context: its read models, its diagnosis and oracle routes. */
export function createMcpServer(context: ApiContext): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {} } },
  );
  registerTools(
    server,
    [
      ...systemTools(context),
      ...errorTools(context),
      ...workTools(context),
      ...timeTools(context),
      ...actionTools(context),
    ],
    context.logger,
  );
  registerResources(server, context);
  return server;
}
