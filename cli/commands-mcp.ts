import { InvalidArgumentError, type Command } from 'commander';
import type { RunService } from './command-deps.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a port number, 0..65535');
  return n;
}

/**
 * `agent-telemetry mcp [--http <port>]`: the MCP server for coding assistants, on stdio (the client
 * starts this process) or on Streamable HTTP. It reads ClickHouse as the API's read-only user.
 */
export function registerMcpCommand(root: Command, runService: RunService): void {
  root
    .command('mcp')
    .description(
      'Run the MCP server for coding assistants (Claude Code and other MCP clients): on stdio by default, or on ' +
        'Streamable HTTP at http://<host>:<port>/mcp with --http. Tools: diagnose, list_errors, get_error, error_groups, ' +
        'pending_tasks, queue_status, get_task, get_trace, agent_status, task_time, oracle_state, validate_state, sql_query, action_log (read-only); ' +
        'cancel_task, retry_task, replay_dead_letters (writes, with API_ACTIONS=on and API_AUTH_TOKEN); ' +
        'resources: the oracle JSON Schema and the table reference. Logs go to stderr. The API also serves it at /api/v1/mcp.',
    )
    .option(
      '--http <port>',
      'serve Streamable HTTP on this port instead of stdio (0 picks a free port)',
      port,
    )
    .option('--host <address>', 'address to listen on with --http', '127.0.0.1')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  claude mcp add agent-telemetry -- npx agent-telemetry mcp\n' +
        '  agent-telemetry mcp --http 8765 &  claude mcp add --transport http agent-telemetry http://127.0.0.1:8765/mcp\n',
    )
    .action(async (flags: { http?: number; host: string }) => {
      const { startMcpHttp, startMcpStdio } = await import('../api/mcp/main.js');
      const http = flags.http;
      if (http === undefined) {
        await runService('mcp', (config, logger, lifecycle) => startMcpStdio(config, logger, lifecycle));
        return;
      }
      await runService('mcp', async (config, logger, lifecycle) => {
        const listening = await startMcpHttp(config, logger, lifecycle, { port: http, host: flags.host });
        // the port on stderr, for scripts and tests that asked for port 0
        process.stderr.write(`MCP server listening on http://${flags.host}:${listening}/mcp\n`);
      });
    });
}
