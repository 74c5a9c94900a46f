#!/usr/bin/env node
import { CommanderError } from 'commander';
import { configSecrets, isSecretVariable, loadConfig, type Config } from '../lib/config.js';
import { isTelemetryError } from '../lib/errors.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { createLogger, redactSecrets, type Logger } from '../lib/logger.js';
import type { ServiceStart } from './command-deps.js';
import { buildProgram } from './program.js';

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

try {
  await buildProgram({
    context,
    runService,
    env: process.env,
    out: process.stdout,
    err: process.stderr,
  }).parseAsync(process.argv);
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
