import { z } from 'zod';
import { normalizeAgentName } from '../schemas/topics.js';
import { ErrorCode, TelemetryError } from './errors.js';

/** The environment as a plain record; pass `process.env` from a composition root, a literal in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULT_AGENTS = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const hostPort = /^[^\s:,]+:\d{1,5}$/;

/** Where Kubernetes mounts the pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const PRIORITY_NAMES = ['critical', 'high', 'normal', 'low'] as const;

/** Diagnosis severities, highest first (api/diagnosis `IssueSeverity`). */
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** `critical=60,high=120,normal=300,low=900`: seconds per priority; every priority must be given. */
function parseStuckThresholds(
  value: string,
  ctx: z.RefinementCtx,
): Record<(typeof PRIORITY_NAMES)[number], number> {
  const entries = new Map(
    value.split(',').map((part) => {
      const [name = '', seconds = ''] = part.split('=').map((x) => x.trim());
      return [name, /^\d+$/.test(seconds) ? Number(seconds) : NaN] as const;
    }),
  );
  const out = { critical: 0, high: 0, normal: 0, low: 0 };
  for (const name of PRIORITY_NAMES) {
    const seconds = entries.get(name);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${PRIORITY_NAMES.map((p) => `${p}=<seconds>`).join(',')}`,
      });
      return out;
    }
    out[name] = seconds;
  }
  return out;
}

const LlmLimitShape = z.strictObject({
  model: z.string().min(1),
  provider: z.string().default(''),
  tpm_max: z.number().int().min(0),
  rpm_max: z.number().int().min(0),
});

/** A JSON array of `{model, provider?, tpm_max, rpm_max}`; provider absent or '' matches any provider. */
function parseLlmLimits(value: string, ctx: z.RefinementCtx): z.output<typeof LlmLimitShape>[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a JSON array of {model, provider, tpm_max, rpm_max}' });
    return [];
  }
  const parsed = z.array(LlmLimitShape).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({
      code: 'custom',
      message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    });
    return [];
  }
  return parsed.data;
}

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
  PROCESSOR_QUEUE_TOPIC_PATTERN: z
    .string()
    .refine(
      (pattern) => pattern.startsWith('^'),
      'must start with "^" (a regular expression, as librdkafka expects)',
    )
    .refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression')
    .default('^agent-queue-.*'),
  PROCESSOR_BATCH_SIZE: positiveInt(5_000, 1_000_000),
  PROCESSOR_FLUSH_INTERVAL_MS: positiveInt(200, 60_000),
  PROCESSOR_MAX_BUFFERED: positiveInt(10_000, 10_000_000),
  PROCESSOR_MAX_BUFFERED_BYTES: positiveInt(64 * 1024 * 1024, 16 * 1024 * 1024 * 1024),
  PROCESSOR_REVOKE_TIMEOUT_MS: positiveInt(10_000, 240_000),
  PROCESSOR_MAX_STORES_IN_FLIGHT: positiveInt(2, 8),
  PROCESSOR_MAX_POLL_BATCH: positiveInt(2_000, 100_000),
  PROCESSOR_CONSUMER_CACHE_MS: positiveInt(1_500, 60_000),
  PROCESSOR_METADATA_REFRESH_MS: positiveInt(5_000, 600_000),
  PROCESSOR_POISON_MAX_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  PROCESSOR_POISON_WINDOW: positiveInt(1_000, 1_000_000),
  PROCESSOR_POISON_MIN_MESSAGES: positiveInt(100, 1_000_000),
  PROCESSOR_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  LAG_SAMPLE_INTERVAL_MS: positiveInt(5_000, 3_600_000),
  LAG_RETENTION_DAYS: positiveInt(7, 3_650),
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  API_HOST: z.string().min(1).optional(),
  API_ALLOWED_HOSTS: z.string().default('').transform(csv),
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
  API_METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  API_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  API_GRAPHQL_MAX_DEPTH: positiveInt(8, 100),
  API_GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1_000).default(10),
  API_GRAPHQL_MAX_COST: positiveInt(5_000, 1_000_000),
  API_GRAPHQL_MAX_TOKENS: positiveInt(2_000, 1_000_000),
  API_SQL_MAX_BYTES: positiveInt(4 * 1024 * 1024, 64 * 1024 * 1024),
  API_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  API_WS_MAX_CLIENTS: positiveInt(1_000, 100_000),
  API_WS_MAX_BUFFERED_BYTES: positiveInt(1_048_576, 268_435_456),
  API_WS_MAX_MESSAGE_BYTES: positiveInt(65_536, 16_777_216),
  API_ACTIONS: z.enum(['on', 'off']).default('off'),
  API_ACTIONS_DLQ_SCAN_MS: positiveInt(15_000, 600_000),
  ALERT_WEBHOOK_URLS: z.string().default('').transform(csv).pipe(z.array(z.url())),
  ALERT_SLACK_WEBHOOK_URLS: z.string().default('').transform(csv).pipe(z.array(z.url())),
  ALERT_MIN_SEVERITY: z.enum(ALERT_SEVERITIES).default('high'),
  ALERT_INTERVAL_MS: positiveInt(30_000, 3_600_000),
  ALERT_WINDOW_MINUTES: positiveInt(15, 60),
  ALERT_MAX_PER_MINUTE: positiveInt(20, 10_000),
  ALERT_TIMEOUT_MS: positiveInt(5_000, 120_000),
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
  DIAGNOSIS_STUCK_AFTER_S: z
    .string()
    .default('critical=60,high=120,normal=300,low=900')
    .transform((value, ctx) => parseStuckThresholds(value, ctx)),
  DIAGNOSIS_HEARTBEAT_TIMEOUT_S: positiveInt(30, 86_400),
  DIAGNOSIS_BASELINE_WINDOWS: positiveInt(4, 96),
  DIAGNOSIS_SPIKE_FACTOR: z.coerce.number().min(1).max(1_000).default(3),
  DIAGNOSIS_SPIKE_MIN_ERRORS: positiveInt(5, 1_000_000),
  DIAGNOSIS_CASCADE_MIN_AGENTS: z.coerce.number().int().min(2).max(100).default(2),
  DIAGNOSIS_RETRY_STORM_MIN_ATTEMPTS: z.coerce.number().int().min(2).max(1_000_000).default(5),
  DIAGNOSIS_SLOW_FACTOR: z.coerce.number().min(1).max(1_000).default(3),
  DIAGNOSIS_SLOW_MIN_MS: positiveInt(2_000, 86_400_000),
  DIAGNOSIS_TIMEOUT_MIN_COUNT: positiveInt(3, 1_000_000),
  LLM_LIMITS: z
    .string()
    .default('[]')
    .transform((value, ctx) => parseLlmLimits(value, ctx)),
  LLM_LIMIT_WARN_RATIO: z.coerce.number().gt(0).max(1).default(0.9),
  ORACLE_DISCOVERY_MODE: z.enum(['auto', 'labeled', 'all', 'telemetry']).default('auto'),
  ORACLE_STRICT_SCHEMA: z.enum(['true', 'false']).default('true'),
  ORACLE_SYSTEM_ID: z.string().min(1).default('agent-telemetry'),
  ORACLE_ACTIVITY_WINDOW_MINUTES: positiveInt(60, 10_080),
  ORACLE_MAX_TASKS_PER_QUEUE: positiveInt(100, 10_000),
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.coerce.number().int().min(1).max(65_535).default(443),
  ORACLE_KUBERNETES_API_URL: z.url().optional(),
  ORACLE_KUBERNETES_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')
    .optional(),
  ORACLE_KUBERNETES_TOKEN_FILE: z.string().min(1).default(`${SERVICE_ACCOUNT_DIR}/token`),
  ORACLE_KUBERNETES_CA_FILE: z.string().min(1).default(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
  ORACLE_KUBERNETES_TIMEOUT_MS: positiveInt(5_000, 120_000),
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
    /** Agent queue topics observed (subscribed by pattern, so a new agent's topic is picked up). */
    queueTopicPattern: RegExp;
    batchSize: number;
    flushIntervalMs: number;
    maxBufferedMessages: number;
    /** Bytes held in hand and being stored (estimated per message), default 64 MiB. */
    maxBufferedBytes: number;
    /** On a revoke, how long the batches in hand may take to be stored before they are let go (10 s). */
    revokeTimeoutMs: number;
    /** Batches stored at once, commits kept in batch order. */
    maxStoresInFlight: number;
    maxPollBatch: number;
    /** How many milliseconds of consumption the client keeps fetched ahead in JS memory. */
    consumerCacheMs: number;
    metadataRefreshMs: number;
    poison: { maxRatio: number; window: number; minMessages: number };
    /** Port of /metrics, /healthz and /readyz; 0 turns the server off. */
    httpPort: number;
  };
  lag: { sampleIntervalMs: number; retentionDays: number };
  api: {
    port: number;
    /** `API_HOST`; unset, 127.0.0.1 without a token and 0.0.0.0 with one. */
    host: string;
    /**
     * Host names a request may name besides the loopback ones (`API_ALLOWED_HOSTS`). On a loopback
     * address every request must name a loopback host or one of these (DNS rebinding); elsewhere the
     * list, when given, is the only hosts allowed.
     */
    allowedHosts: string[];
    /** The API reads ClickHouse as this (read-only) user. */
    clickhouseUser: string;
    clickhousePassword: string;
    /** When set, every route but /health needs `Authorization: Bearer <token>`. */
    authToken: string | undefined;
    /**
     * Allowed CORS origins; empty turns CORS off, `*` allows any origin (never with credentials).
     * Browser requests (WebSocket and SSE included) from any other foreign Origin are refused.
     */
    corsOrigins: string[];
    corsCredentials: boolean;
    maxBodyBytes: number;
    /** Requests per minute per client address; 0 turns the limit off. */
    rateLimitPerMinute: number;
    /** A bearer token that may read /metrics and nothing else (Prometheus scrapes). */
    metricsToken: string | undefined;
    /** A second port serving only /metrics, without a token; 0 turns it off. */
    metricsPort: number;
    /** Limits of a GraphQL document, checked before it runs (0 aliases forbids aliases). */
    graphql: { maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number };
    /** What `sql_query` reads and returns of an answer at most, in bytes of JSON rows. */
    sqlMaxBytes: number;
    /**
     * How long whole-system views (queues, pending tasks, error summary, groups and totals, agents)
     * are served from the read cache before a refresh; 0 turns the cache off. See api/read-models/cache.ts.
     */
    cacheTtlMs: number;
    wsMaxClients: number;
    /** A WebSocket client with more than this many bytes unsent is disconnected. */
    wsMaxBufferedBytes: number;
    wsMaxMessageBytes: number;
    /**
     * Cancel, retry and dead-letter replay (`API_ACTIONS=on`). They need `API_AUTH_TOKEN` as well:
     * `actions.enabled` is false without it, and `actions.refusal` says why.
     */
    actions: {
      requested: boolean;
      enabled: boolean;
      /** Why actions are off, for the 403 and the start-up log; undefined when enabled. */
      refusal: string | undefined;
      /** How long a dead-letter replay may read agent-telemetry-dlq looking for its letters (15 s). */
      dlqScanMs: number;
    };
  };
  /** The alert notifier (`agent-telemetry alerts`). */
  alerts: {
    /** Webhooks sent the generic JSON body. */
    webhookUrls: string[];
    /** Webhooks sent the Slack-compatible body (`text` + `blocks`). */
    slackWebhookUrls: string[];
    /** Issues at or above this severity are alerted (default high). */
    minSeverity: (typeof ALERT_SEVERITIES)[number];
    /** How often the diagnosis is evaluated (30 s). */
    intervalMs: number;
    /** The diagnosis window, in minutes (15). */
    windowMinutes: number;
    /** Notifications per webhook per minute; the rest wait for the next evaluation (20). */
    maxPerMinute: number;
    /** One webhook request's timeout (5 s). */
    timeoutMs: number;
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
  diagnosis: {
    /** Seconds after which a pending task counts as stuck, per priority. */
    stuckAfterS: { critical: number; high: number; normal: number; low: number };
    /** An agent with no heartbeat for this long is down. */
    heartbeatTimeoutS: number;
    /** Length of the baseline before the window, in windows. */
    baselineWindows: number;
    spikeFactor: number;
    spikeMinErrors: number;
    cascadeMinAgents: number;
    retryStormMinAttempts: number;
    slowFactor: number;
    slowMinMs: number;
    timeoutMinCount: number;
    /** Share of a configured TPM/RPM limit at which usage is reported. */
    llmUtilizationWarn: number;
  };
  /** Configured LLM limits per model (LLM_LIMITS); provider '' matches any provider. */
  llmLimits: { model: string; provider: string; tpm_max: number; rpm_max: number }[];
  oracle: {
    discoveryMode: 'auto' | 'labeled' | 'all' | 'telemetry';
    strictSchema: boolean;
    systemId: string;
    activityWindowMinutes: number;
    maxTasksPerQueue: number;
    /** Set when running in a cluster (KUBERNETES_SERVICE_HOST) or when ORACLE_KUBERNETES_API_URL is given. */
    kubernetes:
      | {
          apiUrl: string;
          namespace: string | undefined;
          tokenFile: string;
          caFile: string;
          timeoutMs: number;
        }
      | undefined;
  };
}

/** `/v1` appended unless the URL already ends with it (Ollama and LiteLLM are given as host URLs). */
function withV1(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** Variables whose values are credentials: never printed, in errors or logs. */
export function isSecretVariable(name: string): boolean {
  return /(TOKEN|PASSWORD|SECRET|API_KEY)$/.test(name);
}

/** The credentials of a configuration, for the logger to redact wherever they appear. */
export function configSecrets(config: Config): string[] {
  return [
    config.api.authToken,
    config.api.metricsToken,
    config.api.clickhousePassword,
    config.clickhouse.password,
    config.llm.apiKey,
  ].filter((value): value is string => value !== undefined && value.length >= 4);
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
      const value = env[variable] ?? '';
      const shown = isSecretVariable(variable)
        ? `[redacted, ${value.length} characters]`
        : JSON.stringify(value);
      return `  ${variable}=${shown}: ${issue.message}`;
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
      queueTopicPattern: new RegExp(e.PROCESSOR_QUEUE_TOPIC_PATTERN),
      batchSize: e.PROCESSOR_BATCH_SIZE,
      flushIntervalMs: e.PROCESSOR_FLUSH_INTERVAL_MS,
      maxBufferedMessages: e.PROCESSOR_MAX_BUFFERED,
      maxBufferedBytes: e.PROCESSOR_MAX_BUFFERED_BYTES,
      revokeTimeoutMs: e.PROCESSOR_REVOKE_TIMEOUT_MS,
      maxStoresInFlight: e.PROCESSOR_MAX_STORES_IN_FLIGHT,
      maxPollBatch: e.PROCESSOR_MAX_POLL_BATCH,
      consumerCacheMs: e.PROCESSOR_CONSUMER_CACHE_MS,
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
      host: e.API_HOST ?? (e.API_AUTH_TOKEN === undefined ? '127.0.0.1' : '0.0.0.0'),
      allowedHosts: e.API_ALLOWED_HOSTS,
      clickhouseUser: e.API_CLICKHOUSE_USER,
      clickhousePassword: e.API_CLICKHOUSE_PASSWORD,
      authToken: e.API_AUTH_TOKEN,
      corsOrigins: e.API_CORS_ORIGINS,
      corsCredentials: e.API_CORS_CREDENTIALS === 'true',
      maxBodyBytes: e.API_MAX_BODY_BYTES,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      metricsToken: e.API_METRICS_TOKEN,
      metricsPort: e.API_METRICS_PORT,
      graphql: {
        maxDepth: e.API_GRAPHQL_MAX_DEPTH,
        maxAliases: e.API_GRAPHQL_MAX_ALIASES,
        maxCost: e.API_GRAPHQL_MAX_COST,
        maxTokens: e.API_GRAPHQL_MAX_TOKENS,
      },
      sqlMaxBytes: e.API_SQL_MAX_BYTES,
      cacheTtlMs: e.API_CACHE_TTL_MS,
      wsMaxClients: e.API_WS_MAX_CLIENTS,
      wsMaxBufferedBytes: e.API_WS_MAX_BUFFERED_BYTES,
      wsMaxMessageBytes: e.API_WS_MAX_MESSAGE_BYTES,
      actions: {
        requested: e.API_ACTIONS === 'on',
        enabled: e.API_ACTIONS === 'on' && e.API_AUTH_TOKEN !== undefined,
        refusal:
          e.API_ACTIONS !== 'on'
            ? 'actions are off: the API starts with API_ACTIONS=on and API_AUTH_TOKEN set to allow cancel, retry and dead-letter replay'
            : e.API_AUTH_TOKEN === undefined
              ? 'actions are off: API_ACTIONS=on needs API_AUTH_TOKEN as well (actions are never open to anyone who reaches the port)'
              : undefined,
        dlqScanMs: e.API_ACTIONS_DLQ_SCAN_MS,
      },
    },
    alerts: {
      webhookUrls: e.ALERT_WEBHOOK_URLS,
      slackWebhookUrls: e.ALERT_SLACK_WEBHOOK_URLS,
      minSeverity: e.ALERT_MIN_SEVERITY,
      intervalMs: e.ALERT_INTERVAL_MS,
      windowMinutes: e.ALERT_WINDOW_MINUTES,
      maxPerMinute: e.ALERT_MAX_PER_MINUTE,
      timeoutMs: e.ALERT_TIMEOUT_MS,
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
    diagnosis: {
      stuckAfterS: e.DIAGNOSIS_STUCK_AFTER_S,
      heartbeatTimeoutS: e.DIAGNOSIS_HEARTBEAT_TIMEOUT_S,
      baselineWindows: e.DIAGNOSIS_BASELINE_WINDOWS,
      spikeFactor: e.DIAGNOSIS_SPIKE_FACTOR,
      spikeMinErrors: e.DIAGNOSIS_SPIKE_MIN_ERRORS,
      cascadeMinAgents: e.DIAGNOSIS_CASCADE_MIN_AGENTS,
      retryStormMinAttempts: e.DIAGNOSIS_RETRY_STORM_MIN_ATTEMPTS,
      slowFactor: e.DIAGNOSIS_SLOW_FACTOR,
      slowMinMs: e.DIAGNOSIS_SLOW_MIN_MS,
      timeoutMinCount: e.DIAGNOSIS_TIMEOUT_MIN_COUNT,
      llmUtilizationWarn: e.LLM_LIMIT_WARN_RATIO,
    },
    llmLimits: e.LLM_LIMITS,
    oracle: {
      discoveryMode: e.ORACLE_DISCOVERY_MODE,
      strictSchema: e.ORACLE_STRICT_SCHEMA === 'true',
      systemId: e.ORACLE_SYSTEM_ID,
      activityWindowMinutes: e.ORACLE_ACTIVITY_WINDOW_MINUTES,
      maxTasksPerQueue: e.ORACLE_MAX_TASKS_PER_QUEUE,
      kubernetes:
        e.ORACLE_KUBERNETES_API_URL === undefined && e.KUBERNETES_SERVICE_HOST === undefined
          ? undefined
          : {
              apiUrl:
                e.ORACLE_KUBERNETES_API_URL ??
                `https://${(e.KUBERNETES_SERVICE_HOST ?? '').includes(':') ? `[${e.KUBERNETES_SERVICE_HOST ?? ''}]` : (e.KUBERNETES_SERVICE_HOST ?? '')}:${e.KUBERNETES_SERVICE_PORT}`,
              namespace: e.ORACLE_KUBERNETES_NAMESPACE,
              tokenFile: e.ORACLE_KUBERNETES_TOKEN_FILE,
              caFile: e.ORACLE_KUBERNETES_CA_FILE,
              timeoutMs: e.ORACLE_KUBERNETES_TIMEOUT_MS,
            },
    },
  };
}
