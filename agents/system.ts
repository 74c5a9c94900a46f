import { hostname } from 'node:os';
import type { Config } from '../lib/config.js';
import { createKafka, type Kafka } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import { ensureTopics } from '../lib/topics.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { ErrorCollector } from './errors/collector.js';
import { createLlmProvider } from './llm/factory.js';
import { startFaultLlmServer } from './llm/fault-server.js';
import { OpenAiCompatibleProvider } from './llm/openai.js';
import { createPriceTable } from './llm/pricing.js';
import type { LlmProvider } from './llm/provider.js';
import { orchestrate, type OrchestratorSettings } from './roles/orchestrator.js';
import { roleOf } from './roles/planner.js';
import { coder, generic, researcher, reviewer, withFaults, writer, type WorkerEnv } from './roles/workers.js';
import { AgentRuntime, type TaskHandler } from './runtime.js';
import type { RoleFaults, Scenario } from './scenarios.js';
import { Tracing } from './tracing.js';
import { AgentTransport } from './transport.js';

export interface AgentSystemOptions {
  config: Config;
  logger: Logger;
  /** Agents to run in this process (names; the role is the name before any `-suffix`). */
  agents: readonly string[];
  /** Every agent of the deployment, so the orchestrator knows its workers. Default: `config.agents`. */
  allAgents?: readonly string[];
  scenario?: Scenario;
  /** Kills the process; the `crashing-agent` fault calls it. */
  crash: () => void;
  /** Overrides the configured settings (tests use short periods). */
  heartbeatMs?: number;
  drainMs?: number;
  toolTimeoutMs?: number;
  /** Overrides the provider of one agent (tests point an agent at their own HTTP server). */
  llmFor?: (agent: string) => LlmProvider | undefined;
}

export interface AgentSystem {
  runtimes: AgentRuntime[];
  transport: AgentTransport;
  collector: ErrorCollector;
  tracing: Tracing;
  kafka: Kafka;
  /** Stops the agents (draining), then flushes errors and spans and disconnects. Idempotent. */
  stop(): Promise<void>;
}

function handlerFor(agent: string, env: WorkerEnv, orchestrator: OrchestratorSettings): TaskHandler {
  switch (roleOf(agent)) {
    case 'orchestrator':
      return (context) => orchestrate(context, orchestrator);
    case 'researcher':
      return withFaults(researcher, env);
    case 'writer':
      return withFaults(writer, env);
    case 'coder':
      return withFaults((context) => coder(context, env), env);
    case 'reviewer':
      return withFaults(reviewer, env);
    default:
      return withFaults(generic, env);
  }
}

/**
 * Starts agents in this process over one producer, one error collector and one tracer. `agents run`
 * calls it once per child process (one agent each), tests call it with all five.
 */
export async function startAgentSystem(options: AgentSystemOptions): Promise<AgentSystem> {
  const { config, logger } = options;
  const rt = config.agentRuntime;
  const closers: (() => Promise<void>)[] = [];
  const tracing = new Tracing({ serviceName: config.otel.serviceName, endpoint: config.otel.endpoint });
  const kafka = createKafka(config, logger, 'agents');
  // an agent's queue must exist before it subscribes; creating it is idempotent
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(
      admin,
      [...options.agents.map(queueTopic), ERRORS_TOPIC].map((topic) => ({
        topic,
        numPartitions: config.topics.partitions,
        replicationFactor: config.topics.replicationFactor,
      })),
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const transport = new AgentTransport({ kafka, codec: createCodec(config), tracing, logger });
  await transport.connect();
  const collector = new ErrorCollector({
    send: (record) => transport.sendError(record),
    logger,
    serviceName: config.otel.serviceName,
    environment: rt.environment,
    host: hostname(),
    perAgent: rt.errorLimits.perAgent,
    perFingerprint: rt.errorLimits.perFingerprint,
  });
  const prices = createPriceTable(config.llm.pricesJson);
  const all = options.allAgents ?? config.agents;
  const scenario = options.scenario;
  const runtimes: AgentRuntime[] = [];
  try {
    for (const agent of options.agents) {
      const role = roleOf(agent);
      const faults: RoleFaults = scenario?.roles[role] ?? {};
      let llm = options.llmFor?.(agent);
      if (llm === undefined && faults.llm !== undefined) {
        const server = await startFaultLlmServer(faults.llm);
        closers.push(server.close);
        llm = new OpenAiCompatibleProvider({
          baseUrl: server.url,
          model: 'sim-gpt',
          providerName: 'simulated',
          timeoutMs: faults.llmTimeoutMs ?? config.llm.timeoutMs,
          maxRetries: faults.llmMaxRetries ?? config.llm.maxRetries,
          prices,
          initialBackoffMs: 100,
          maxBackoffMs: 5_000,
        });
      }
      llm ??= createLlmProvider(config, prices, faults.offlineLatencyMs);
      const env: WorkerEnv = {
        faults: faults.faults ?? {},
        toolTimeoutMs: options.toolTimeoutMs ?? 500,
        crash: options.crash,
      };
      const orchestrator: OrchestratorSettings = {
        workers: all.filter((a) => roleOf(a) !== 'orchestrator'),
        stepTimeoutMs: scenario?.orchestrator?.stepTimeoutMs ?? rt.stepTimeoutMs,
        maxRetries: scenario?.orchestrator?.maxRetries ?? rt.maxRetries,
        retryBackoffMs: scenario?.orchestrator?.retryBackoffMs ?? 500,
        retryBackoffMaxMs: scenario?.orchestrator?.retryBackoffMaxMs ?? 10_000,
        maxReworks: 1,
      };
      const runtime = new AgentRuntime({
        name: agent,
        kafka,
        transport,
        collector,
        tracing,
        logger,
        llm,
        handler: handlerFor(agent, env, orchestrator),
        maxConcurrency: rt.maxConcurrency,
        heartbeatMs: options.heartbeatMs ?? rt.heartbeatMs,
        drainMs: options.drainMs ?? Math.max(1_000, config.shutdownDeadlineMs - 5_000),
        taskTtlSeconds: rt.taskTtlSeconds,
      });
      runtimes.push(runtime);
      await runtime.start();
    }
  } catch (error) {
    await Promise.all(runtimes.map((r) => r.stop()));
    await transport.close();
    for (const close of closers) await close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    runtimes,
    transport,
    collector,
    tracing,
    kafka,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(runtimes.map((r) => r.stop()));
        await collector.close();
        await transport.close();
        await tracing.shutdown().catch((error: unknown) => {
          logger.warn({ err: error }, 'span export on shutdown failed');
        });
        for (const close of closers) await close();
      })()),
  };
}
