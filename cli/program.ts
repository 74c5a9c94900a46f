import { Command, CommanderError } from 'commander';
import { registerActionCommands } from './commands-actions.js';
import { registerApiCommand } from './commands-api.js';
import { registerAgentCommands } from './commands-agents.js';
import { runMigrate, runStackScript, runTopics } from './commands-infra.js';
import { registerDeployCommands } from './commands-deploy.js';
import { registerMcpCommand } from './commands-mcp.js';
import { registerOpsCommands } from './commands-ops.js';
import { registerTimeCommand } from './commands-time.js';
import type { CommandContext, RunService } from './command-deps.js';

/** What the commands are wired to: `cli/main.ts` passes the process's own. */
export interface ProgramDeps {
  context: CommandContext;
  runService: RunService;
  /** The environment handed to the local stack's scripts. */
  env: NodeJS.ProcessEnv;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/**
 * The `agent-telemetry` command tree. Building it starts nothing: each command loads its
 * configuration and its parts only when it runs, so the tree can be built to print its help or to
 * document it (docs/reference/cli.md).
 */
export function buildProgram(deps: ProgramDeps): Command {
  const { context, runService, env, out, err } = deps;
  const root = new Command('agent-telemetry')
    .description('Telemetry for multi-agent systems on Kafka: local stack, topics, migrations and more.')
    .showHelpAfterError()
    .exitOverride();

  root
    .command('stack')
    .description(
      'Install (if needed) and manage the local Kafka, schema registry and ClickHouse on 127.0.0.1',
    )
    .argument('<action>', 'up | down | status | start <service> | stop <service>')
    .argument('[service]', 'kafka | registry | clickhouse (for start and stop)')
    .action(async (action: string, service: string | undefined) => {
      const oneService = action === 'start' || action === 'stop';
      if (!['up', 'down', 'status', 'start', 'stop'].includes(action)) {
        throw new CommanderError(
          2,
          'agent-telemetry.badAction',
          `unknown stack action "${action}": use up, down, status, start or stop`,
        );
      }
      if (oneService && !['kafka', 'registry', 'clickhouse'].includes(service ?? '')) {
        throw new CommanderError(
          2,
          'agent-telemetry.badService',
          `stack ${action} needs a service: kafka, registry or clickhouse`,
        );
      }
      process.exitCode = await runStackScript(oneService ? [action, service ?? ''] : [action], env);
    });

  root
    .command('topics')
    .description(
      'Create agent-queue-<agent> for every configured agent, agent-telemetry-errors and agent-telemetry-dlq (idempotent)',
    )
    .action(async () => {
      const { config, logger } = context();
      process.exitCode = await runTopics(config, logger, out);
    });

  root
    .command('migrate')
    .description(
      'Create the ClickHouse database if needed and apply the migrations not applied yet (idempotent)',
    )
    .action(async () => {
      const { config, logger } = context();
      process.exitCode = await runMigrate(config, logger, out);
    });

  root
    .command('processors')
    .description(
      'Run the stream processors in the foreground: consume every agent queue and the errors topic read-only ' +
        '(group PROCESSOR_GROUP_ID), store them in ClickHouse, sample consumer lag; stops cleanly on SIGTERM/SIGINT',
    )
    .action(async () => {
      const { startProcessors } = await import('../processors/main.js');
      await runService('processors', startProcessors);
    });

  root
    .command('replay')
    .description(
      'Rebuild every view from the earliest offsets of the topics into a fresh database (event sourcing), ' +
        'with a progress bar; with --switch, replace the live tables with the rebuilt ones (stop the processors first)',
    )
    .option(
      '--database <name>',
      'database to rebuild into (default: <CLICKHOUSE_DATABASE>_replay_<timestamp>)',
    )
    .option(
      '--switch',
      'replace the live tables with the rebuilt ones; the old ones are kept in a backup database',
    )
    .action(async (flags: { database?: string; switch?: boolean }) => {
      const { config, logger } = context('replay');
      const { runReplay } = await import('./commands-replay.js');
      process.exitCode = await runReplay(config, logger, flags, out, err);
    });

  root
    .command('alerts')
    .description(
      'Run the alert notifier in the foreground: evaluate the diagnosis every ALERT_INTERVAL_MS and send issues at or above ' +
        'ALERT_MIN_SEVERITY to ALERT_WEBHOOK_URLS (JSON) and ALERT_SLACK_WEBHOOK_URLS (Slack) as they open and resolve; ' +
        'state in ClickHouse (alert_state); stops cleanly on SIGTERM/SIGINT',
    )
    .action(async () => {
      const { startAlerts } = await import('../api/alerts/main.js');
      await runService('alerts', startAlerts);
    });

  registerDeployCommands(root, () => context().config);

  registerApiCommand(root, runService);

  registerAgentCommands(root, { context, runService });

  registerMcpCommand(root, runService);

  registerOpsCommands(root, { context, out: out, err: err });
  registerTimeCommand(root, { context, out: out, err: err });

  registerActionCommands(root, { context, out: out, err: err });

  return root;
}
