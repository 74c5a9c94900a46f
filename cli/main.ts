#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { configSecrets, isSecretVariable, loadConfig, type Config } from '../lib/config.js';
import { isTelemetryError } from '../lib/errors.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { createLogger, redactSecrets, type Logger } from '../lib/logger.js';
import { registerActionCommands } from './commands-actions.js';
import { registerApiCommand } from './commands-api.js';
import { registerAgentCommands } from './commands-agents.js';
import { runMigrate, runStackScript, runTopics } from './commands-infra.js';
import { registerDeployCommands } from './commands-deploy.js';
import { registerMcpCommand } from './commands-mcp.js';
import { registerOpsCommands } from './commands-ops.js';
import { registerTimeCommand } from './commands-time.js';
import type { ServiceStart } from './command-deps.js';

/** Credentials in the environment (tokens, passwords, keys), never printed in an error. */
const ENV_SECRETS = Object.entries(process.env)
  .filter(([name, value]) => isSecretVariable(name) && value !== undefined)
  .map(([, value]) => value ?? '');

/** Writes an error line to stderr with every credential of the environment redacted. */
function printError(text: string): void {
  process.stderr.write(redactSecrets(text, ENV_SECRETS));
}

/**
 * The `agent-telemetry` binary: the composition root of every command. It is the only module that
 * reads `process.env`; each command receives the parsed configuration.
 */
function context(component = 'cli'): { config: Config; logger: Logger } {
  const config = loadConfig(process.env);
  // command output goes to stdout; logs go to stderr so `--json` output stays parseable. One-shot
  // commands print their own results, so they log warnings and errors only unless LOG_LEVEL says more.
  const oneShot = component === 'cli' || component === 'replay';
  const level = oneShot && process.env.LOG_LEVEL === undefined ? 'warn' : config.log.level;
  const logger = createLogger({
    level,
    component,
    destination: process.stderr,
    secrets: configSecrets(config),
  });
  return { config, logger };
}

/** Runs a long-lived service until SIGTERM/SIGINT, or until it fails on its own (exit 1). */
async function runService(component: string, start: ServiceStart): Promise<void> {
  const { config, logger } = context(component);
  const lifecycle = new Lifecycle({ logger, deadlineMs: config.shutdownDeadlineMs });
  lifecycle.installSignalHandlers();
  const onFatal = (error: Error): void => {
    printError(`agent-telemetry ${component}: ${error.message}\n`);
    void lifecycle.shutdown('fatal error').then(() => process.exit(1));
  };
  try {
    await start(config, logger, lifecycle, onFatal);
  } catch (error) {
    await lifecycle.shutdown('start failed');
    throw error;
  }
}

function program(): Command {
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
      process.exitCode = await runStackScript(oneService ? [action, service ?? ''] : [action], process.env);
    });

  root
    .command('topics')
    .description(
      'Create agent-queue-<agent> for every configured agent, agent-telemetry-errors and agent-telemetry-dlq (idempotent)',
    )
    .action(async () => {
      const { config, logger } = context();
      process.exitCode = await runTopics(config, logger, process.stdout);
    });

  root
    .command('migrate')
    .description(
      'Create the ClickHouse database if needed and apply the migrations not applied yet (idempotent)',
    )
    .action(async () => {
      const { config, logger } = context();
      process.exitCode = await runMigrate(config, logger, process.stdout);
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
      process.exitCode = await runReplay(config, logger, flags, process.stdout, process.stderr);
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

  registerOpsCommands(root, { context, out: process.stdout, err: process.stderr });
  registerTimeCommand(root, { context, out: process.stdout, err: process.stderr });

  registerActionCommands(root, { context, out: process.stdout, err: process.stderr });

  return root;
}

try {
  await program().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander printed its own usage errors and help; ours are printed here
    if (error.code.startsWith('agent-telemetry.')) printError(`agent-telemetry: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (isTelemetryError(error)) {
    printError(`agent-telemetry: ${error.message}\n`);
    process.exitCode = error.code === 'CONFIG_INVALID' || error.code === 'BAD_INPUT' ? 2 : 1;
  } else {
    printError(
      `agent-telemetry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
