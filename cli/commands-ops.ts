import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander';
import type { Api } from '../api/server.js';
import type { Config } from '../lib/config.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { Priority, Severity } from '../schemas/records.js';
import {
  ExitCode,
  formatDiagnosis,
  formatErrors,
  formatGroups,
  formatPending,
  formatStatus,
  formatTrace,
  exitIfUnavailable,
  relevantAgents,
  statusVerdict,
  type DiagnosisDigest,
} from './ops-format.js';
import { watch, type WatchFlags } from './ops-watch.js';
import type { CommandContext } from './command-deps.js';

/**
 * The CLI for people at a terminal: `status`, `errors`, `pending`, `diagnose`, `trace <id>`,
 * `watch`. Each reads what the API reads (the API built in process, as its read-only ClickHouse
 * user), prints a table, or JSON with `--json`, and exits with a code scripts can branch on.
 */
export interface OpsDeps {
  context: CommandContext;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 healthy / nothing needing attention, 1 issues found (see each command), 2 usage error, ' +
  '3 ClickHouse or Kafka unavailable.\n';

export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

/** Usage errors exit 2 (commander's default is 1, which these commands keep for "issues found"). */
export function usageExit(command: Command): Command {
  return command.exitOverride((error) => {
    throw error.exitCode === 0 ? error : new CommanderError(ExitCode.USAGE, error.code, error.message);
  });
}

/** Builds the API in process, runs `work`, closes everything; sets the exit code. */
export async function withApi(
  deps: OpsDeps,
  work: (api: Api, config: Config) => Promise<ExitCode>,
): Promise<void> {
  const { config, logger } = deps.context();
  const lifecycle = new Lifecycle({ logger, deadlineMs: config.shutdownDeadlineMs });
  try {
    const { openApiInProcess } = await import('../api/mcp/main.js');
    const api = await openApiInProcess(config, logger, lifecycle);
    process.exitCode = await work(api, config);
  } catch (error) {
    exitIfUnavailable(error, deps.err);
  } finally {
    await lifecycle.shutdown('done');
  }
}

export function print(deps: OpsDeps, json: boolean, value: unknown, text: string): void {
  deps.out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** GET one of the API's routes in process; a 503 means a dependency is down. */
export async function route(api: Api, config: Config, path: string): Promise<Record<string, unknown>> {
  const token = config.api.authToken;
  const response = await api.fetch(
    new Request(`http://localhost${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    }),
  );
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status === 503) {
    // the diagnosis needs ClickHouse; Kafka is best effort there
    throw new TelemetryError(ErrorCode.CLICKHOUSE_UNAVAILABLE, `${path}: ${String(body.detail)}`);
  }
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${String(body.detail)}`);
  return body;
}

export function registerOpsCommands(root: Command, deps: OpsDeps): void {
  const json = new Option('--json', 'print JSON (for scripts) instead of a table');

  usageExit(root.command('status'))
    .description(
      "Agents and queues at a glance: liveness, in-flight work, pending tasks, the oldest one's age, consumer lag with Burrow's status, error rate, rate-limited LLM calls",
    )
    .addOption(json)
    .option('--window <minutes>', 'window of the counts, in minutes', intOption(1, 1_440), 15)
    .option(
      '--all',
      'every agent and queue ever seen, not only the expected ones and those active in the window or with pending tasks',
    )
    .addHelpText(
      'after',
      `\nExits 1 when an expected agent is silent or dead, or a queue's lag is ERR or a partition is STOP/STALL.${EXIT_CODES_HELP}`,
    )
    .action(async (flags: { json?: boolean; window: number; all?: boolean }) => {
      await withApi(deps, async (api, config) => {
        const [allQueues, allAgents] = await Promise.all([
          api.context.readModels.queues.list(),
          api.context.readModels.agents.list(flags.window),
        ]);
        const agents =
          flags.all === true
            ? allAgents
            : relevantAgents(allAgents, allQueues, config.agents, api.context.now());
        const shown = new Set(agents.map((a) => a.agent_name));
        const queues =
          flags.all === true
            ? allQueues
            : allQueues.filter((q) => shown.has(q.agent_name) || q.pending_tasks > 0);
        const verdict = statusVerdict(queues, agents, config.agents);
        print(
          deps,
          flags.json === true,
          { healthy: verdict.healthy, problems: verdict.problems, agents, queues },
          formatStatus(queues, agents, verdict),
        );
        return verdict.healthy ? ExitCode.OK : ExitCode.ISSUES;
      });
    });

  usageExit(root.command('errors'))
    .description(
      'Errors the agents reported, newest first (or grouped by fingerprint with --groups), with filters',
    )
    .addOption(json)
    .option('--agent <name>', 'only this agent')
    .addOption(new Option('--severity <level>', 'only this severity').choices(Object.values(Severity)))
    .option('--since <minutes>', 'only the last N minutes', intOption(1, 10_080))
    .option('--trace <trace_id>', 'only errors of this trace')
    .option('--limit <n>', 'how many', intOption(1, 500), 20)
    .option('--groups', 'error groups (fingerprints) with counts and trends instead of single errors')
    .addHelpText('after', `\nExits 1 when any error matches.${EXIT_CODES_HELP}`)
    .action(
      async (flags: {
        json?: boolean;
        agent?: string;
        severity?: Severity;
        since?: number;
        trace?: string;
        limit: number;
        groups?: boolean;
      }) => {
        await withApi(deps, async (api) => {
          const { errors } = api.context.readModels;
          const sinceMs = flags.since === undefined ? undefined : api.context.now() - flags.since * 60_000;
          if (flags.groups === true) {
            const groups = await errors.groups({ limit: flags.limit, agent: flags.agent, sinceMs });
            print(deps, flags.json === true, { groups }, formatGroups(groups));
            return groups.length > 0 ? ExitCode.ISSUES : ExitCode.OK;
          }
          const page = await errors.list(
            { agent: flags.agent, severity: flags.severity, traceId: flags.trace, sinceMs },
            flags.limit,
          );
          print(
            deps,
            flags.json === true,
            { total: page.total, errors: page.items },
            formatErrors(page.items, page.total),
          );
          return page.total > 0 ? ExitCode.ISSUES : ExitCode.OK;
        });
      },
    );

  usageExit(root.command('pending'))
    .description(
      'Tasks sent to an agent and not answered yet, oldest first: who asked, priority, attempt, age, deadline, trace',
    )
    .addOption(json)
    .option('--agent <name>', 'only tasks waiting on this agent')
    .addOption(
      new Option('--priority <level>', 'only tasks of at least this priority').choices(
        Object.values(Priority),
      ),
    )
    .option('--min-age <seconds>', 'only tasks pending at least this long', intOption(0, 31_536_000))
    .option(
      '--stuck-after <seconds>',
      'a task pending this long counts as stuck',
      intOption(1, 31_536_000),
      300,
    )
    .option('--limit <n>', 'how many', intOption(1, 5_000), 50)
    .addHelpText(
      'after',
      `\nExits 1 when a listed task has been pending longer than --stuck-after.${EXIT_CODES_HELP}`,
    )
    .action(
      async (flags: {
        json?: boolean;
        agent?: string;
        priority?: Priority;
        minAge?: number;
        stuckAfter: number;
        limit: number;
      }) => {
        await withApi(deps, async (api) => {
          const tasks = await api.context.readModels.tasks.pending({
            agent: flags.agent,
            minPriority: flags.priority,
            minAgeSeconds: flags.minAge,
            limit: flags.limit,
          });
          const stuck = tasks.filter((t) => t.age_seconds >= flags.stuckAfter);
          print(
            deps,
            flags.json === true,
            { count: tasks.length, stuck: stuck.length, tasks },
            formatPending(tasks, flags.stuckAfter),
          );
          return stuck.length > 0 ? ExitCode.ISSUES : ExitCode.OK;
        });
      },
    );

  usageExit(root.command('diagnose'))
    .description(
      'Ranked issues of the last minutes with evidence and what to do (the same diagnosis as GET /api/v1/claude/diagnose)',
    )
    .addOption(json)
    .option('--window <minutes>', 'time window to diagnose', intOption(1, 60), 15)
    .option('--issues <n>', 'issues to show', intOption(1, 50), 10)
    .option('--agent <name...>', 'only issues affecting these agents (status and score stay system-wide)')
    .option(
      '--kind <kind...>',
      'only issues of these kinds, e.g. delegation_loop orphan_answers (GET /api/v1/claude/diagnose/kinds)',
    )
    .addHelpText(
      'after',
      `\nExits 1 when the system is degraded or critical (with --agent or --kind: when an issue of them is shown).${EXIT_CODES_HELP}`,
    )
    .action(
      async (flags: {
        json?: boolean;
        window: number;
        issues: number;
        agent?: string[];
        kind?: string[];
      }) => {
        await withApi(deps, async (api, config) => {
          const kinds = flags.kind === undefined ? '' : `&kind=${encodeURIComponent(flags.kind.join(','))}`;
          const report = await route(
            api,
            config,
            `/api/v1/claude/diagnose?time_window_minutes=${flags.window}&format=json${kinds}`,
          );
          const { compactDiagnosis } = await import('../api/mcp/tools-system.js');
          const digest = compactDiagnosis(
            report as unknown as Parameters<typeof compactDiagnosis>[0],
            flags.issues,
            flags.agent ?? [],
          ) as unknown as DiagnosisDigest;
          print(deps, flags.json === true, report, formatDiagnosis(digest));
          if (flags.agent !== undefined || flags.kind !== undefined)
            return digest.issues.length > 0 ? ExitCode.ISSUES : ExitCode.OK;
          return digest.system_status === 'healthy' ? ExitCode.OK : ExitCode.ISSUES;
        });
      },
    );

  usageExit(root.command('trace'))
    .description(
      'One trace: its messages and errors across agents on one timeline, and whether it completed, failed or is still pending',
    )
    .argument('<trace_id>', 'the trace id (from errors, pending or diagnose)')
    .addOption(json)
    .addHelpText('after', `\nExits 1 when the trace failed or is unknown.${EXIT_CODES_HELP}`)
    .action(async (traceId: string, flags: { json?: boolean }) => {
      if (!/^[\w.:-]{1,200}$/.test(traceId)) {
        throw new CommanderError(
          ExitCode.USAGE,
          'agent-telemetry.badTraceId',
          `not a trace id: "${traceId}"`,
        );
      }
      await withApi(deps, async (api) => {
        const trace = await api.context.readModels.traces.get(traceId);
        if (trace === undefined) {
          deps.err.write(`agent-telemetry: no trace ${traceId}\n`);
          return ExitCode.ISSUES;
        }
        // the timeline holds every message and error; the nested tree would repeat them
        print(deps, flags.json === true, { ...trace, roots: undefined }, formatTrace(trace));
        return trace.status === 'failed' ? ExitCode.ISSUES : ExitCode.OK;
      });
    });

  usageExit(root.command('watch'))
    .description(
      'Follow the live feed: every message on the agent queues and every error, as they arrive on Kafka (a tap with its own consumer group, from the latest offsets)',
    )
    .option('--json', 'one JSON object per line (NDJSON)')
    .option('--agent <name>', 'only messages from or to this agent, and its errors')
    .option('--trace <trace_id>', 'only this trace')
    .addOption(
      new Option(
        '--type <kind>',
        'only this kind: a message type (task, result, error = a failed answer, cancel, heartbeat) or errors (reported errors)',
      ).choices(['task', 'result', 'error', 'cancel', 'heartbeat', 'errors']),
    )
    .option('--count <n>', 'stop after N records', intOption(1, 1_000_000))
    .addHelpText(
      'after',
      '\nRuns until Ctrl-C (exit 0), or until --count records were printed. Exits 3 when Kafka or the registry cannot be reached.\n',
    )
    .action(async (flags: WatchFlags) => {
      await watch(deps, flags);
    });
}
