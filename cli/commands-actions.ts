import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import type { CommandContext } from './command-deps.js';
import { intOption } from './commands-ops.js';

/**
 * `agent-telemetry act …`: cancel a task, retry a task, replay dead letters, read the audit log.
 * A client of the running API (its REST routes, with API_AUTH_TOKEN as the bearer), so that every
 * action goes through the one place that checks API_ACTIONS, audits and deduplicates.
 */
export interface ActionsDeps {
  context: CommandContext;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

interface CommonFlags {
  api?: string;
  key?: string;
  actor?: string;
  json?: boolean;
}

function actorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Calls the API; prints the answer; exit 0 for done/duplicate, 1 refused, 2 bad usage (400), 3 unreachable or refused access. */
async function call(
  deps: ActionsDeps,
  flags: CommonFlags,
  method: 'GET' | 'POST',
  path: string,
): Promise<number> {
  const { config } = deps.context();
  const base = (flags.api ?? `http://127.0.0.1:${config.api.port}`).replace(/\/+$/, '');
  const headers: Record<string, string> = {
    'x-action-channel': 'cli',
    'x-actor': flags.actor ?? actorName(),
    'user-agent': 'agent-telemetry-cli',
  };
  if (config.api.authToken !== undefined) headers.authorization = `Bearer ${config.api.authToken}`;
  if (flags.key !== undefined) headers['idempotency-key'] = flags.key;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    deps.err.write(
      `agent-telemetry act: the API at ${base} did not answer (${error instanceof Error ? error.message : String(error)}); is "agent-telemetry api" running? (--api <url>)\n`,
    );
    return 3;
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: printed as it is
  }
  deps.out.write(
    flags.json === true || typeof body !== 'object'
      ? `${typeof body === 'string' ? body : JSON.stringify(body, null, 2)}\n`
      : `${summary(body)}\n`,
  );
  if (response.ok) return 0;
  if (response.status === 400) return 2;
  if (response.status === 409 || response.status === 404) return 1;
  return 3;
}

/** One line per action result, or the error's detail. */
function summary(body: object | null): string {
  const value = body as Record<string, unknown> | null;
  if (value === null) return 'null';
  if (typeof value.detail === 'string') return `refused (${value.detail})`;
  const one = (r: Record<string, unknown>): string => {
    const detail = (r.detail ?? {}) as Record<string, unknown>;
    const extra =
      r.outcome === 'refused' && typeof detail.reason === 'string' ? detail.reason : JSON.stringify(detail);
    return `${String(r.action)} ${String(r.target)}: ${String(r.outcome)} (action ${String(r.action_id)}) ${extra}`;
  };
  if (Array.isArray(value.results)) {
    return [
      `produced ${String(value.produced)}`,
      ...(value.results as Record<string, unknown>[]).map(one),
    ].join('\n');
  }
  if (Array.isArray(value.entries)) {
    return (value.entries as Record<string, unknown>[])
      .map(
        (e) =>
          `${String(e.at)}  ${String(e.actor)} via ${String(e.channel)}  ${String(e.action)} ${String(e.target)}  ${String(e.outcome)}`,
      )
      .join('\n');
  }
  return one(value);
}

export function registerActionCommands(root: Command, deps: ActionsDeps): void {
  const act = root
    .command('act')
    .description(
      'Act through the running API (needs API_ACTIONS=on and API_AUTH_TOKEN there; this process sends API_AUTH_TOKEN): ' +
        'cancel or retry a task, replay dead letters, read the audit log. Exit 0 done or duplicate, 1 refused, 2 usage, 3 API unreachable or actions off',
    );
  const common = (command: Command): Command =>
    command
      .addOption(new Option('--api <url>', 'the API base URL (default http://127.0.0.1:<API_PORT>)'))
      .addOption(
        new Option(
          '--key <idempotency-key>',
          'idempotency key: the same action with the same key is done once',
        ),
      )
      .addOption(new Option('--actor <name>', 'who asks, for the audit log (default cli:<user>)'))
      .addOption(new Option('--json', 'print the API answer as JSON'));

  common(
    act.command('cancel').argument('<task_id>').option('--reason <text>', 'why', 'cancelled from the CLI'),
  )
    .description("Cancel a pending task: a CANCEL through its agent's queue")
    .action(async (taskId: string, flags: CommonFlags & { reason: string }) => {
      process.exitCode = await call(
        deps,
        flags,
        'POST',
        `/api/v1/actions/tasks/${encodeURIComponent(taskId)}/cancel?reason=${encodeURIComponent(flags.reason)}`,
      );
    });

  common(act.command('retry').argument('<task_id>').option('--reason <text>', 'why', 'retried from the CLI'))
    .description('Retry a task: produced again with the next attempt number, same trace')
    .action(async (taskId: string, flags: CommonFlags & { reason: string }) => {
      process.exitCode = await call(
        deps,
        flags,
        'POST',
        `/api/v1/actions/tasks/${encodeURIComponent(taskId)}/retry?reason=${encodeURIComponent(flags.reason)}`,
      );
    });

  common(
    act
      .command('replay')
      .argument(
        '[letters...]',
        'dead letters as topic/partition/offset (agent-telemetry act dead-letters lists them)',
      )
      .option('--since <minutes>', 'or: the dead letters of the last minutes', intOption(1, 10_080))
      .option('--limit <n>', 'at most this many letters', intOption(1, 100), 20)
      .option('--force', 'replay bytes the codec still cannot decode'),
  )
    .description('Replay dead letters to their origin topic once the producer is fixed')
    .action(
      async (letters: string[], flags: CommonFlags & { since?: number; limit: number; force?: boolean }) => {
        const query = new URLSearchParams({
          limit: String(flags.limit),
          force: String(flags.force === true),
        });
        if (letters.length > 0) query.set('letters', letters.join(','));
        if (flags.since !== undefined) query.set('since_minutes', String(flags.since));
        process.exitCode = await call(
          deps,
          flags,
          'POST',
          `/api/v1/actions/dead-letters/replay?${query.toString()}`,
        );
      },
    );

  common(act.command('dead-letters').option('--limit <n>', 'rows', intOption(1, 500), 50))
    .description('List the dead letters (newest first)')
    .action(async (flags: CommonFlags & { limit: number }) => {
      process.exitCode = await call(
        deps,
        { ...flags, json: true },
        'GET',
        `/api/v1/dead-letters?limit=${flags.limit}`,
      );
    });

  common(act.command('log').option('--limit <n>', 'rows', intOption(1, 500), 50))
    .description('The action audit log, newest first')
    .action(async (flags: CommonFlags & { limit: number }) => {
      process.exitCode = await call(deps, flags, 'GET', `/api/v1/actions?limit=${flags.limit}`);
    });
}
