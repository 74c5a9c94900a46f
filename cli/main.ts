#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { loadConfig, type Config } from '../lib/config.js';
import { isTelemetryError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { runMigrate, runStackScript, runTopics } from './commands-infra.js';

/**
 * The `agent-telemetry` binary: the composition root of every command. It is the only module that
 * reads `process.env`; each command receives the parsed configuration.
 */
function context(): { config: Config; logger: Logger } {
  const config = loadConfig(process.env);
  // command output goes to stdout; logs go to stderr so `--json` output stays parseable
  const logger = createLogger({ level: config.log.level, component: 'cli', destination: process.stderr });
  return { config, logger };
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
    .argument('<action>', 'up | down | status')
    .action(async (action: string) => {
      if (!['up', 'down', 'status'].includes(action)) {
        throw new CommanderError(
          2,
          'agent-telemetry.badAction',
          `unknown stack action "${action}": use up, down or status`,
        );
      }
      process.exitCode = await runStackScript(action, process.env);
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

  return root;
}

try {
  await program().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed help or the usage error
    process.exitCode = error.exitCode;
  } else if (isTelemetryError(error)) {
    process.stderr.write(`agent-telemetry: ${error.message}\n`);
    process.exitCode = error.code === 'CONFIG_INVALID' || error.code === 'BAD_INPUT' ? 2 : 1;
  } else {
    process.stderr.write(
      `agent-telemetry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
