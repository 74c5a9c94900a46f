import type { Command } from 'commander';
import type { RunService } from './command-deps.js';

/** `agent-telemetry api`: the GraphQL/REST/WebSocket API in the foreground until SIGTERM/SIGINT. */
export function registerApiCommand(root: Command, runService: RunService): void {
  root
    .command('api')
    .description(
      'Run the API in the foreground on API_PORT (default 8080): GraphQL (GraphiQL) on /graphql, REST under ' +
        '/api/v1, WebSocket /ws/debug/{client_id}, /health, /ready, /metrics; stops cleanly on SIGTERM/SIGINT',
    )
    .action(async () => {
      const { startApi } = await import('../api/main.js');
      await runService('api', (config, logger, lifecycle) => startApi(config, logger, lifecycle));
    });
}
