import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { Scenario } from '../agents/scenarios.js';
import type { CommandContext, RunService } from './command-deps.js';

/** What `cli/main.ts` lends the agent commands: its configuration loader and its service runner. */
export interface AgentCommandDeps {
  context: CommandContext;
  runService: RunService;
}

const CLI_PATH = fileURLToPath(new URL('./main.js', import.meta.url));

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new CommanderError(
        2,
        'agent-telemetry.badOption',
        `${name} must be a whole number ≥ 0, got "${value}"`,
      );
    return n;
  };
}

async function scenarioNamed(name: string): Promise<Scenario> {
  const { findScenario, SCENARIOS } = await import('../agents/scenarios.js');
  const scenario = findScenario(name);
  if (scenario === undefined) {
    throw new CommanderError(
      2,
      'agent-telemetry.badScenario',
      `unknown scenario "${name}": use one of ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return scenario;
}

/** `agents run`, `agents worker` (one agent process), `agents submit`, `agents scenarios`. */
export function registerAgentCommands(root: Command, deps: AgentCommandDeps): void {
  const agents = root
    .command('agents')
    .description('The reference multi-agent system: run the agents, submit jobs, list fault scenarios');

  agents
    .command('run')
    .description(
      'Run every configured agent (AGENT_NAMES), one process each, with a fault scenario, demo jobs on an interval and ' +
        '/healthz, /readyz, /metrics on AGENTS_HTTP_PORT; stops cleanly on SIGTERM/SIGINT',
    )
    .option('--scenario <name>', 'fault scenario (see `agents scenarios`)', 'healthy')
    .option(
      '--jobs-every <ms>',
      "submit a demo job this often (0: none; default: the scenario's interval)",
      positiveInt('--jobs-every'),
    )
    .action(async (flags: { scenario: string; jobsEvery?: number }) => {
      const scenario = await scenarioNamed(flags.scenario);
      await deps.runService('agents', async (config, logger, lifecycle) => {
        const { startSupervisor } = await import('../agents/supervisor.js');
        return startSupervisor({
          config,
          logger,
          lifecycle,
          cliPath: CLI_PATH,
          scenario,
          agents: config.agents,
          jobsEveryMs: flags.jobsEvery ?? scenario.jobsEveryMs,
          httpPort: config.agentRuntime.httpPort,
        });
      });
    });

  agents.addCommand(
    new Command('worker')
      .description('Run one agent in this process (what `agents run` starts per agent)')
      .argument('<name>', 'agent name; its role is the part before any "-suffix"')
      .option('--scenario <name>', 'fault scenario', 'healthy')
      .action(async (name: string, flags: { scenario: string }) => {
        const scenario = await scenarioNamed(flags.scenario);
        await deps.runService(`agent-${name}`, async (config, logger, lifecycle) => {
          const { startAgentSystem } = await import('../agents/system.js');
          const system = await startAgentSystem({
            config,
            logger,
            agents: [name],
            scenario,
            // the crashing-agent fault: a real, abrupt process death with no chance to answer
            crash: () => process.kill(process.pid, 'SIGKILL'),
          });
          lifecycle.add('agents', () => system.stop());
          // the supervisor went away without stopping us: stop rather than run orphaned
          process.once(
            'disconnect',
            () => void lifecycle.shutdown('supervisor gone').then((code) => process.exit(code)),
          );
          process.send?.({ type: 'ready' });
        });
      }),
    { hidden: true },
  );

  agents
    .command('submit')
    .description(
      'Submit a job to the orchestrator and print its result (exit 0), its error (exit 1) or a timeout (exit 3); Ctrl-C cancels the job (exit 130)',
    )
    .argument('<goal>', 'what the agents should do')
    .option('--timeout <ms>', 'job deadline', positiveInt('--timeout'), 120_000)
    .option(
      '--max-retries <n>',
      'retries per step (default: AGENT_MAX_RETRIES)',
      positiveInt('--max-retries'),
    )
    .option(
      '--step-timeout <ms>',
      'per-step timeout (default: AGENT_STEP_TIMEOUT_MS)',
      positiveInt('--step-timeout'),
    )
    .option('--orchestrator <name>', 'orchestrator agent name', 'orchestrator')
    .addOption(
      new Option('--as <name>', 'requester name; answers arrive on agent-queue-<name>').default('cli'),
    )
    .option('--json', 'print the answer as JSON')
    .action(
      async (
        goal: string,
        flags: {
          timeout: number;
          maxRetries?: number;
          stepTimeout?: number;
          orchestrator: string;
          as: string;
          json?: boolean;
        },
      ) => {
        const { config, logger } = deps.context();
        const { submitAndWait } = await import('../agents/submit.js');
        // Ctrl-C cancels the job instead of leaving it running unattended
        const interrupt = new AbortController();
        process.once('SIGINT', () => {
          interrupt.abort();
        });
        process.exitCode = await submitAndWait({
          interrupt: interrupt.signal,
          config,
          logger,
          goal,
          out: process.stdout,
          timeoutMs: flags.timeout,
          orchestrator: flags.orchestrator,
          requester: flags.as,
          json: flags.json === true,
          ...(flags.maxRetries === undefined ? {} : { maxRetries: flags.maxRetries }),
          ...(flags.stepTimeout === undefined ? {} : { stepTimeoutMs: flags.stepTimeout }),
        });
      },
    );

  agents
    .command('scenarios')
    .description('List the fault scenarios, what each does and what a correct diagnosis says')
    .action(async () => {
      const { SCENARIOS } = await import('../agents/scenarios.js');
      for (const s of SCENARIOS)
        process.stdout.write(`${s.name}\n  does:      ${s.what}\n  diagnosis: ${s.diagnosis}\n\n`);
    });
}
