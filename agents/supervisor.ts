import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import type { Config } from '../lib/config.js';
import { startProbeServer } from '../lib/http-probe-server.js';
import { createKafka } from '../lib/kafka.js';
import type { Lifecycle } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import { Severity } from '../schemas/records.js';
import { queueTopic } from '../schemas/topics.js';
import { JobClient } from './client.js';
import { ErrorCollector } from './errors/collector.js';
import { roleOf } from './roles/planner.js';
import type { Scenario } from './scenarios.js';
import { Tracing } from './tracing.js';
import { AgentTransport } from './transport.js';

export interface SupervisorOptions {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  /** The `agent-telemetry` entry script; each agent runs as `<cliPath> agents worker <name>`. */
  cliPath: string;
  scenario: Scenario;
  agents: readonly string[];
  /** Interval of demo jobs; 0 submits none. */
  jobsEveryMs: number;
  httpPort: number;
}

/** An agent process that died on its own (not asked to stop): the crash is real and reported. */
export class AgentProcessDiedError extends Error {
  override readonly name = 'AgentProcessDiedError';
  readonly code = 'AGENT_PROCESS_DIED';
  readonly signal: string | null;
  readonly exitCode: number | null;
  constructor(agent: string, exitCode: number | null, signal: string | null) {
    super(
      `agent process ${agent} exited ${signal === null ? `with code ${exitCode ?? '?'}` : `on ${signal}`} while running`,
    );
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

interface Child {
  agent: string;
  process: ChildProcess;
  ready: boolean;
  exited: boolean;
}

const GOALS = [
  'Compare three approaches to rate limiting an LLM gateway',
  'Explain consumer lag in Kafka to a new engineer',
  'Summarize the trade-offs of event sourcing for audit logs',
  'Write a checklist for debugging a stuck multi-agent job',
  'Estimate the token cost of a nightly report pipeline',
  'Describe how W3C trace context crosses a message queue',
];

/**
 * `agents run`: one child process per agent (so an agent can really die), a probe server
 * (`/healthz`, `/readyz` once every agent is consuming, `/metrics`), demo jobs on an interval, and the
 * scenario's poison producer. A child that dies on its own is reported as a critical DetailedError
 * and is not restarted: the scenario's evidence stays in place.
 */
export async function startSupervisor(options: SupervisorOptions): Promise<{ httpPort: number | undefined }> {
  const { config, logger, lifecycle, scenario } = options;
  const children: Child[] = [];
  let stopping = false;

  const tracing = new Tracing({ serviceName: config.otel.serviceName, endpoint: config.otel.endpoint });
  const kafka = createKafka(config, logger, 'agents-supervisor');
  const transport = new AgentTransport({ kafka, codec: createCodec(config), tracing, logger });
  await transport.connect();
  lifecycle.add('supervisor-transport', async () => {
    await transport.close();
    await tracing.shutdown().catch(() => undefined);
  });
  const collector = new ErrorCollector({
    send: (record) => transport.sendError(record),
    logger,
    serviceName: 'agent-telemetry-supervisor',
    environment: config.agentRuntime.environment,
    host: hostname(),
    perAgent: config.agentRuntime.errorLimits.perAgent,
    perFingerprint: config.agentRuntime.errorLimits.perFingerprint,
  });
  lifecycle.add('supervisor-errors', () => collector.close());

  const registry = new Registry();
  const up = new Gauge({
    name: 'agent_telemetry_agent_up',
    help: 'Agent process running and consuming',
    labelNames: ['agent'],
    registers: [registry],
  });
  if (options.httpPort > 0) {
    const probes = await startProbeServer({
      port: options.httpPort,
      logger,
      registry,
      isAlive: () => !stopping,
      isReady: () => children.length > 0 && children.every((c) => c.ready),
    });
    lifecycle.add('probe-server', probes.close);
  }

  const allStopped = (): Promise<void> =>
    Promise.all(
      children
        .filter((c) => !c.exited)
        .map(
          (c) =>
            new Promise<void>((resolve) =>
              c.process.once('exit', () => {
                resolve();
              }),
            ),
        ),
    ).then(() => undefined);
  lifecycle.add('agent-processes', async () => {
    stopping = true;
    for (const child of children) if (!child.exited) child.process.kill('SIGTERM');
    await allStopped();
  });

  for (const agent of options.agents) {
    const child: Child = {
      agent,
      process: fork(options.cliPath, ['agents', 'worker', agent, '--scenario', scenario.name], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
      ready: false,
      exited: false,
    };
    children.push(child);
    child.process.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'type' in message && message.type === 'ready') {
        child.ready = true;
        up.set({ agent }, 1);
        logger.info({ agent, pid: child.process.pid }, 'agent process ready');
      }
    });
    child.process.once('exit', (code, signal) => {
      child.exited = true;
      up.set({ agent }, 0);
      if (stopping) return;
      const error = new AgentProcessDiedError(agent, code, signal);
      logger.error({ agent, code, signal }, 'agent process died; not restarted');
      collector.record(error, {
        agent,
        agentId: `${agent}@${hostname()}:${child.process.pid ?? 0}`,
        operation: 'process',
        severity: Severity.CRITICAL,
        input: { pid: child.process.pid, scenario: scenario.name },
      });
    });
  }

  const startedAt = Date.now();
  while (!children.every((c) => c.ready)) {
    const dead = children.find((c) => c.exited);
    if (dead !== undefined) throw new Error(`agent ${dead.agent} exited during start-up`);
    if (Date.now() - startedAt > 90_000) throw new Error('agents not ready within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const orchestrator = options.agents.find((a) => roleOf(a) === 'orchestrator');
  if (options.jobsEveryMs > 0 && orchestrator !== undefined) {
    const client = new JobClient({
      config,
      kafka,
      transport,
      tracing,
      logger,
      name: 'demo-load',
      orchestrator,
    });
    await client.start();
    lifecycle.add('demo-load-client', () => client.close());
    let outstanding = 0;
    let n = 0;
    const timer = setInterval(() => {
      if (outstanding >= 20) return; // bounded: a stalled system does not pile up jobs here
      const goal = GOALS[n++ % GOALS.length] ?? 'Say hello';
      outstanding += 1;
      void client
        .submit(goal, { timeoutMs: 300_000 })
        .then(async (job) => {
          const answer = await job.answer;
          logger.info(
            { job: job.task.job_id, outcome: answer.message_type, reason: answer.reason },
            'demo job answered',
          );
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'demo job not submitted');
        })
        .finally(() => {
          outstanding -= 1;
        });
    }, options.jobsEveryMs);
    lifecycle.add('demo-load', () => {
      clearInterval(timer);
      return Promise.resolve();
    });
  }

  const poison = scenario.poison;
  const poisonTarget =
    poison === undefined ? undefined : options.agents.find((a) => roleOf(a) === poison.role);
  if (poison !== undefined && poisonTarget !== undefined) {
    const send = (): void => {
      // JSON text, not the Confluent wire format: a producer that bypasses the schema registry
      const bytes = Buffer.from(JSON.stringify({ goal: 'poison', at: Date.now() }));
      transport.sendRaw(queueTopic(poisonTarget), bytes, 'poison').catch((error: unknown) => {
        logger.warn({ err: error }, 'poison message not sent');
      });
    };
    send();
    const timer = setInterval(send, poison.everyMs);
    lifecycle.add('poison-producer', () => {
      clearInterval(timer);
      return Promise.resolve();
    });
  }
  logger.info({ scenario: scenario.name, agents: options.agents }, 'agents running');
  return { httpPort: options.httpPort > 0 ? options.httpPort : undefined };
}
