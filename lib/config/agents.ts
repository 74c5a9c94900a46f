import { z } from 'zod';
import { defineSlice, port, positiveInt } from './slice.js';

const rate = (fallback: number) => z.coerce.number().gt(0).max(100_000).default(fallback);

/** The agent runtime: concurrency, heartbeats, the orchestrator's steps, error reporting, OTLP export. */
export const agentsSlice = defineSlice({
  name: 'agents',
  title: 'Agents',
  summary: 'Read by `agents run` and `agents submit`.',
  variables: {
    AGENT_MAX_CONCURRENCY: positiveInt(4, 1_000).describe('tasks an agent handles at once'),
    AGENT_HEARTBEAT_MS: positiveInt(5_000, 600_000).describe(
      'heartbeat period (also sent on every idle/busy change)',
    ),
    AGENT_STEP_TIMEOUT_MS: positiveInt(60_000, 3_600_000).describe("the orchestrator's wait per step"),
    AGENT_MAX_RETRIES: z.coerce
      .number()
      .int()
      .min(0)
      .max(20)
      .default(2)
      .describe("the orchestrator's retries per step"),
    AGENT_TASK_TTL_SECONDS: positiveInt(600, 86_400).describe('TTL of the tasks the orchestrator sends'),
    AGENTS_HTTP_PORT: port(9465).describe(
      '`/healthz`, `/readyz`, `/metrics` of `agents run`; `0` turns them off',
    ),
    AGENT_ENVIRONMENT: z.string().min(1).default('local').describe('`environment` of the DetailedErrors'),
    ERROR_RATE_PER_AGENT: rate(10).describe('DetailedErrors per second per agent'),
    ERROR_BURST_PER_AGENT: positiveInt(20, 1_000_000).describe('burst of DetailedErrors per agent'),
    ERROR_RATE_PER_FINGERPRINT: rate(1).describe('DetailedErrors per second per fingerprint'),
    ERROR_BURST_PER_FINGERPRINT: positiveInt(5, 1_000_000).describe(
      'burst of DetailedErrors per fingerprint',
    ),
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .url()
      .optional()
      .describe('OTLP/HTTP endpoint (spans to `<endpoint>/v1/traces`); unset: no export'),
    OTEL_SERVICE_NAME: z
      .string()
      .min(1)
      .default('agent-telemetry-agents')
      .describe('service name of the exported spans'),
  },
  build: (e) => ({
    agentRuntime: {
      maxConcurrency: e.AGENT_MAX_CONCURRENCY,
      heartbeatMs: e.AGENT_HEARTBEAT_MS,
      stepTimeoutMs: e.AGENT_STEP_TIMEOUT_MS,
      maxRetries: e.AGENT_MAX_RETRIES,
      taskTtlSeconds: e.AGENT_TASK_TTL_SECONDS,
      httpPort: e.AGENTS_HTTP_PORT,
      environment: e.AGENT_ENVIRONMENT,
      errorLimits: {
        perAgent: { ratePerSecond: e.ERROR_RATE_PER_AGENT, burst: e.ERROR_BURST_PER_AGENT },
        perFingerprint: { ratePerSecond: e.ERROR_RATE_PER_FINGERPRINT, burst: e.ERROR_BURST_PER_FINGERPRINT },
      },
    },
    otel: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
  }),
});

export type AgentsConfig = z.output<typeof agentsSlice.schema>;
