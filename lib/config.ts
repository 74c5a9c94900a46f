import { z } from 'zod';
import { normalizeAgentName } from '../schemas/topics.js';
import { ErrorCode, TelemetryError } from './errors.js';

/** The environment as a plain record; pass `process.env` from a composition root, a literal in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULT_AGENTS = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const hostPort = /^[^\s:,]+:\d{1,5}$/;

const csv = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const positiveInt = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

/**
 * Every variable the project reads, with its default. Names are the public contract (README's
 * configuration table and the Kubernetes manifests use them).
 */
const EnvShape = z.object({
  KAFKA_BOOTSTRAP_SERVERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform(csv)
    .pipe(z.array(z.string().regex(hostPort, 'expected host:port')).min(1, 'at least one host:port')),
  KAFKA_CLIENT_ID: z.string().min(1).default('agent-telemetry'),
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: z.string().min(1).default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscores, not starting with a digit')
    .default('agent_telemetry'),
  AGENT_NAMES: z
    .string()
    .default(DEFAULT_AGENTS.join(','))
    .transform((value) => csv(value).map(normalizeAgentName))
    .pipe(
      z
        .array(
          z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'agent names may use letters, digits, ".", "_" and "-"'),
        )
        .min(1, 'at least one agent'),
    ),
  TOPIC_PARTITIONS: positiveInt(3, 1000),
  TOPIC_REPLICATION_FACTOR: positiveInt(1, 7),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SHUTDOWN_DEADLINE_MS: positiveInt(20_000, 600_000),
  PROCESSOR_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-"')
    .refine((group) => !group.startsWith('agent-'), 'must not be an agent group (agent-<name>)')
    .default('telemetry-processors'),
  PROCESSOR_BATCH_SIZE: positiveInt(5_000, 1_000_000),
  PROCESSOR_FLUSH_INTERVAL_MS: positiveInt(200, 60_000),
  PROCESSOR_MAX_BUFFERED: positiveInt(10_000, 10_000_000),
  PROCESSOR_MAX_POLL_BATCH: positiveInt(2_000, 100_000),
  PROCESSOR_METADATA_REFRESH_MS: positiveInt(5_000, 600_000),
  PROCESSOR_POISON_MAX_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  PROCESSOR_POISON_WINDOW: positiveInt(1_000, 1_000_000),
  PROCESSOR_POISON_MIN_MESSAGES: positiveInt(100, 1_000_000),
  PROCESSOR_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  LAG_SAMPLE_INTERVAL_MS: positiveInt(5_000, 3_600_000),
  LAG_RETENTION_DAYS: positiveInt(7, 3_650),
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  API_HOST: z.string().min(1).default('0.0.0.0'),
  API_CLICKHOUSE_USER: z.string().min(1).default('telemetry_ro'),
  API_CLICKHOUSE_PASSWORD: z.string().default(''),
  API_AUTH_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  API_CORS_ORIGINS: z
    .string()
    .default('')
    .transform(csv)
    .pipe(z.array(z.union([z.literal('*'), z.url()]))),
  API_CORS_CREDENTIALS: z.enum(['true', 'false']).default('false'),
  API_MAX_BODY_BYTES: positiveInt(1_048_576, 104_857_600),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(1_200),
  API_WS_MAX_CLIENTS: positiveInt(1_000, 100_000),
  API_WS_MAX_BUFFERED_BYTES: positiveInt(1_048_576, 268_435_456),
  API_WS_MAX_MESSAGE_BYTES: positiveInt(65_536, 16_777_216),
  LLM_BASE_URL: z.url().optional(),
  LITELLM_BASE_URL: z.url().optional(),
  OLLAMA_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().min(1).optional(),
  LLM_TIMEOUT_MS: positiveInt(30_000, 600_000),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  LLM_PRICES: z.string().optional(),
  AGENT_MAX_CONCURRENCY: positiveInt(4, 1_000),
  AGENT_HEARTBEAT_MS: positiveInt(5_000, 600_000),
  AGENT_STEP_TIMEOUT_MS: positiveInt(60_000, 3_600_000),
  AGENT_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(2),
  AGENT_TASK_TTL_SECONDS: positiveInt(600, 86_400),
  AGENTS_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
  AGENT_ENVIRONMENT: z.string().min(1).default('local'),
  ERROR_RATE_PER_AGENT: z.coerce.number().gt(0).max(100_000).default(10),
  ERROR_BURST_PER_AGENT: positiveInt(20, 1_000_000),
  ERROR_RATE_PER_FINGERPRINT: z.coerce.number().gt(0).max(100_000).default(1),
  ERROR_BURST_PER_FINGERPRINT: positiveInt(5, 1_000_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('agent-telemetry-agents'),
});

const EnvSchema = EnvShape.superRefine((env, ctx) => {
  if (env.API_CORS_CREDENTIALS === 'true' && env.API_CORS_ORIGINS.includes('*')) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_CORS_ORIGINS'],
      message: '"*" may not be used with API_CORS_CREDENTIALS=true; list the origins',
    });
  }
});

export interface Config {
  kafka: { brokers: string[]; clientId: string };
  registry: { url: string };
  clickhouse: { url: string; username: string; password: string; database: string };
  agents: string[];
  topics: { partitions: number; replicationFactor: number };
  log: { level: (typeof LOG_LEVELS)[number] };
  /** Graceful shutdown must finish within this; keep it below the Kubernetes grace period. */
  shutdownDeadlineMs: number;
  processors: {
    groupId: string;
    batchSize: number;
    flushIntervalMs: number;
    maxBufferedMessages: number;
    maxPollBatch: number;
    metadataRefreshMs: number;
    poison: { maxRatio: number; window: number; minMessages: number };
    /** Port of /metrics, /healthz and /readyz; 0 turns the server off. */
    httpPort: number;
  };
  lag: { sampleIntervalMs: number; retentionDays: number };
  api: {
    port: number;
    host: string;
    /** The API reads ClickHouse as this (read-only) user. */
    clickhouseUser: string;
    clickhousePassword: string;
    /** When set, every route but /health needs `Authorization: Bearer <token>`. */
    authToken: string | undefined;
    /** Allowed CORS origins; empty turns CORS off, `*` allows any origin (never with credentials). */
    corsOrigins: string[];
    corsCredentials: boolean;
    maxBodyBytes: number;
    /** Requests per minute per client address; 0 turns the limit off. */
    rateLimitPerMinute: number;
    wsMaxClients: number;
    /** A WebSocket client with more than this many bytes unsent is disconnected. */
    wsMaxBufferedBytes: number;
    wsMaxMessageBytes: number;
  };
  llm: {
    /** OpenAI-compatible base URL (with `/v1`); undefined selects the offline provider. */
    baseUrl: string | undefined;
    /** Which backend the URL came from: `openai` (LLM_BASE_URL), `litellm`, `ollama` or `offline`. */
    provider: 'openai' | 'litellm' | 'ollama' | 'offline';
    apiKey: string | undefined;
    model: string | undefined;
    timeoutMs: number;
    maxRetries: number;
    /** JSON price table overrides (USD per 1,000 tokens per model). */
    pricesJson: string | undefined;
  };
  agentRuntime: {
    maxConcurrency: number;
    heartbeatMs: number;
    stepTimeoutMs: number;
    maxRetries: number;
    taskTtlSeconds: number;
    /** `/healthz`, `/readyz`, `/metrics` of `agents run`; 0 turns them off. */
    httpPort: number;
    environment: string;
    errorLimits: {
      perAgent: { ratePerSecond: number; burst: number };
      perFingerprint: { ratePerSecond: number; burst: number };
    };
  };
  otel: { endpoint: string | undefined; serviceName: string };
}

/** `/v1` appended unless the URL already ends with it (Ollama and LiteLLM are given as host URLs). */
function withV1(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** Names of every environment variable `loadConfig` reads (checked against the manifests by test). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvShape.shape);

/**
 * Parses the configuration once, at the edge. Throws a `CONFIG_INVALID` error that lists every
 * problem, one per line, each naming its variable.
 */
export function loadConfig(env: Environment): Config {
  const blankAsUnset = Object.fromEntries(
    CONFIG_VARIABLES.map((name) => {
      const value = env[name];
      return [name, value === undefined || value.trim() === '' ? undefined : value.trim()];
    }),
  );
  const parsed = EnvSchema.safeParse(blankAsUnset);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      return `  ${variable}=${JSON.stringify(env[variable] ?? '')}: ${issue.message}`;
    });
    throw new TelemetryError(
      ErrorCode.CONFIG_INVALID,
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
    );
  }
  const e = parsed.data;
  return {
    kafka: { brokers: e.KAFKA_BOOTSTRAP_SERVERS, clientId: e.KAFKA_CLIENT_ID },
    registry: { url: e.SCHEMA_REGISTRY_URL.replace(/\/+$/, '') },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      username: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
    },
    agents: [...new Set(e.AGENT_NAMES)],
    topics: { partitions: e.TOPIC_PARTITIONS, replicationFactor: e.TOPIC_REPLICATION_FACTOR },
    log: { level: e.LOG_LEVEL },
    shutdownDeadlineMs: e.SHUTDOWN_DEADLINE_MS,
    processors: {
      groupId: e.PROCESSOR_GROUP_ID,
      batchSize: e.PROCESSOR_BATCH_SIZE,
      flushIntervalMs: e.PROCESSOR_FLUSH_INTERVAL_MS,
      maxBufferedMessages: e.PROCESSOR_MAX_BUFFERED,
      maxPollBatch: e.PROCESSOR_MAX_POLL_BATCH,
      metadataRefreshMs: e.PROCESSOR_METADATA_REFRESH_MS,
      poison: {
        maxRatio: e.PROCESSOR_POISON_MAX_RATIO,
        window: e.PROCESSOR_POISON_WINDOW,
        minMessages: e.PROCESSOR_POISON_MIN_MESSAGES,
      },
      httpPort: e.PROCESSOR_HTTP_PORT,
    },
    lag: { sampleIntervalMs: e.LAG_SAMPLE_INTERVAL_MS, retentionDays: e.LAG_RETENTION_DAYS },
    api: {
      port: e.API_PORT,
      host: e.API_HOST,
      clickhouseUser: e.API_CLICKHOUSE_USER,
      clickhousePassword: e.API_CLICKHOUSE_PASSWORD,
      authToken: e.API_AUTH_TOKEN,
      corsOrigins: e.API_CORS_ORIGINS,
      corsCredentials: e.API_CORS_CREDENTIALS === 'true',
      maxBodyBytes: e.API_MAX_BODY_BYTES,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      wsMaxClients: e.API_WS_MAX_CLIENTS,
      wsMaxBufferedBytes: e.API_WS_MAX_BUFFERED_BYTES,
      wsMaxMessageBytes: e.API_WS_MAX_MESSAGE_BYTES,
    },
    llm: {
      baseUrl:
        e.LLM_BASE_URL?.replace(/\/+$/, '') ??
        (e.LITELLM_BASE_URL === undefined ? undefined : withV1(e.LITELLM_BASE_URL)) ??
        (e.OLLAMA_BASE_URL === undefined ? undefined : withV1(e.OLLAMA_BASE_URL)),
      provider:
        e.LLM_BASE_URL !== undefined
          ? 'openai'
          : e.LITELLM_BASE_URL !== undefined
            ? 'litellm'
            : e.OLLAMA_BASE_URL !== undefined
              ? 'ollama'
              : 'offline',
      apiKey: e.LLM_API_KEY,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      maxRetries: e.LLM_MAX_RETRIES,
      pricesJson: e.LLM_PRICES,
    },
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
  };
}
