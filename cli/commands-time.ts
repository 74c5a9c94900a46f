import { CommanderError, Option, type Command } from 'commander';
import type { AgentTime } from '../api/timing/breakdown.js';
import { TaskTimeReadModel } from '../api/timing/read-model.js';
import { intOption, print, route, usageExit, withApi, type OpsDeps } from './commands-ops.js';
import { ExitCode } from './ops-format.js';
import { formatAgentTimes, formatTaskTime, formatTraceTime } from './time-format.js';

const ID = /^[\w.:-]{1,200}$/;

function checkId(flag: string, value: string | undefined): void {
  if (value !== undefined && !ID.test(value))
    throw new CommanderError(ExitCode.USAGE, 'agent-telemetry.badId', `${flag}: not an id: "${value}"`);
}

/**
 * `agent-telemetry time`: where tasks' time went (queued, working, LLM, other), per agent over a
 * window, for one task (`--task`) or for a trace (`--trace`), through the API's routes in process.
 */
export function registerTimeCommand(root: Command, deps: OpsDeps): void {
  usageExit(root.command('time'))
    .description(
      "Where tasks' time went: queued (sent → started), working (started → answered), and within working the LLM calls and the rest; per agent (p50/p95), for one task or for a trace",
    )
    .addOption(new Option('--json', 'print JSON (for scripts) instead of a table'))
    .option('--task <task_id>', 'one task')
    .option('--trace <trace_id>', 'every task of a trace')
    .option('--agent <name>', 'only this worker agent (per-agent view)')
    .option('--window <minutes>', 'window of the per-agent view, in minutes', intOption(1, 1_440), 15)
    .addHelpText(
      'after',
      '\nTasks whose answers do not report started_at (older or other producers) show "?" for the split.\n' +
        'Exits 1 when the task or trace is unknown; 2 on a usage error; 3 when ClickHouse is unavailable.\n',
    )
    .action(
      async (flags: { json?: boolean; task?: string; trace?: string; agent?: string; window: number }) => {
        checkId('--task', flags.task);
        checkId('--trace', flags.trace);
        checkId('--agent', flags.agent);
        if (flags.task !== undefined && flags.trace !== undefined)
          throw new CommanderError(
            ExitCode.USAGE,
            'agent-telemetry.conflict',
            '--task and --trace: give one',
          );
        const json = flags.json === true;
        await withApi(deps, async (api, config) => {
          if (flags.task !== undefined || flags.trace !== undefined) {
            // the read model behind GET /api/v1/tasks/{id}/time and /traces/{id}/time
            const model = new TaskTimeReadModel(api.context.reader);
            const found =
              flags.task !== undefined ? await model.task(flags.task) : await model.trace(flags.trace ?? '');
            if (found === undefined) {
              const what = flags.task !== undefined ? `task ${flags.task}` : `trace ${flags.trace ?? ''}`;
              deps.err.write(`agent-telemetry: no ${what}\n`);
              return ExitCode.ISSUES;
            }
            print(deps, json, found, 'tasks' in found ? formatTraceTime(found) : formatTaskTime(found));
            return ExitCode.OK;
          }
          const agent = flags.agent === undefined ? '' : `&agent_name=${encodeURIComponent(flags.agent)}`;
          const body = await route(
            api,
            config,
            `/api/v1/agents/time?time_window_minutes=${flags.window}${agent}`,
          );
          print(deps, json, body, formatAgentTimes(body.agents as AgentTime[], flags.window));
          return ExitCode.OK;
        });
      },
    );
}
