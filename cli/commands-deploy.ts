import { readFile } from 'node:fs/promises';
import { CommanderError, type Command } from 'commander';
import type { Config } from '../lib/config.js';

/**
 * `agent-telemetry healthcheck`: the container image's HEALTHCHECK (deploy/Dockerfile). One image
 * runs every entry point, so the check asks the container's main process (PID 1) which command it
 * runs and probes that command's own liveness route, with Node alone (no curl in the image).
 */

/** The liveness URL of a long-running command, or undefined when it serves none. */
export function livenessUrl(command: string | undefined, config: Config): string | undefined {
  switch (command) {
    case 'api':
      return `http://127.0.0.1:${config.api.port}/health`;
    case 'processors':
      return config.processors.httpPort === 0
        ? undefined
        : `http://127.0.0.1:${config.processors.httpPort}/healthz`;
    case 'agents':
      return config.agentRuntime.httpPort === 0
        ? undefined
        : `http://127.0.0.1:${config.agentRuntime.httpPort}/healthz`;
    default:
      return undefined;
  }
}

/**
 * The subcommand in a NUL-separated command line (`/proc/<pid>/cmdline`) of the binary: the first
 * argument after `…/cli/main.js` or `…/agent-telemetry`.
 */
export function commandOf(cmdline: string): string | undefined {
  const args = cmdline.split('\0').filter((arg) => arg.length > 0);
  const binary = args.findIndex((arg) => /(^|\/)(cli\/main\.js|agent-telemetry)$/.test(arg));
  return binary === -1 ? undefined : args[binary + 1];
}

/** 0 when `url` answers 2xx within `timeoutMs`, 1 otherwise (the reason goes to `err`). */
export async function probe(url: string, timeoutMs: number, err: NodeJS.WritableStream): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (response.ok) return 0;
    err.write(`healthcheck: ${url} answered ${response.status}\n`);
  } catch (error) {
    err.write(`healthcheck: ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return 1;
}

/**
 * Probes the liveness route of the command PID 1 runs. A command without one (mcp, a one-shot
 * command) is healthy while it runs, which it does if this check can run at all.
 */
export async function runHealthcheck(
  config: Config,
  cmdline: string,
  timeoutMs: number,
  err: NodeJS.WritableStream,
): Promise<number> {
  const url = livenessUrl(commandOf(cmdline), config);
  return url === undefined ? 0 : probe(url, timeoutMs, err);
}

export function registerDeployCommands(root: Command, loadConfig: () => Config): void {
  root
    .command('healthcheck')
    .description(
      "Exit 0 when the container's main process answers its liveness route (the image HEALTHCHECK)",
    )
    .option('--pid <pid>', 'process whose command is checked', '1')
    .option('--timeout-ms <ms>', 'give up after this long', '4000')
    .action(async (flags: { pid: string; timeoutMs: string }) => {
      const timeoutMs = Number(flags.timeoutMs);
      if (!/^\d+$/.test(flags.pid) || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        throw new CommanderError(
          2,
          'agent-telemetry.badHealthcheck',
          '--pid must be a process id and --timeout-ms a positive number of milliseconds',
        );
      }
      const config = loadConfig();
      let cmdline: string;
      try {
        cmdline = await readFile(`/proc/${flags.pid}/cmdline`, 'utf8');
      } catch {
        // no such process: the container's main process is gone, which is unhealthy
        process.stderr.write(`healthcheck: no process ${flags.pid}\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runHealthcheck(config, cmdline, timeoutMs, process.stderr);
    });
}
