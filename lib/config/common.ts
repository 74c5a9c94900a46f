import { z } from 'zod';
import { normalizeAgentName } from '../../schemas/topics.js';
import { csv, defineSlice, positiveInt } from './slice.js';

export const DEFAULT_AGENTS = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const hostPort = /^[^\s:,]+:\d{1,5}$/;

/** Kafka, the schema registry, ClickHouse, the agents' topics, logging and shutdown. */
export const commonSlice = defineSlice({
  name: 'common',
  title: 'Common: Kafka, schema registry, ClickHouse, logging',
  summary: 'Read by every command that reaches the stack.',
  variables: {
    KAFKA_BOOTSTRAP_SERVERS: z
      .string()
      .default('127.0.0.1:9092')
      .transform(csv)
      .pipe(z.array(z.string().regex(hostPort, 'expected host:port')).min(1, 'at least one host:port'))
      .describe('comma-separated `host:port` list'),
    KAFKA_CLIENT_ID: z
      .string()
      .min(1)
      .default('agent-telemetry')
      .describe('client id prefix for Kafka and the registry'),
    SCHEMA_REGISTRY_URL: z
      .url()
      .default('http://127.0.0.1:8081/apis/ccompat/v7')
      .describe('Confluent-compatible registry API'),
    CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123').describe('ClickHouse HTTP interface'),
    CLICKHOUSE_USER: z.string().min(1).default('default').describe('ClickHouse user'),
    CLICKHOUSE_PASSWORD: z.string().default('').describe("the ClickHouse user's password"),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscores, not starting with a digit')
      .default('agent_telemetry')
      .describe('database the migrations create and the services use'),
    AGENT_NAMES: z
      .string()
      .default(DEFAULT_AGENTS.join(','))
      .transform((value) => csv(value).map(normalizeAgentName))
      .pipe(
        z
          .array(
            z
              .string()
              .regex(/^[a-z0-9][a-z0-9._-]*$/, 'agent names may use letters, digits, ".", "_" and "-"'),
          )
          .min(1, 'at least one agent'),
      )
      .describe('agents whose queues `topics` creates; names are lower-cased, spaces become `-`'),
    TOPIC_PARTITIONS: positiveInt(3, 1000).describe('partitions of each topic `topics` creates'),
    TOPIC_REPLICATION_FACTOR: positiveInt(1, 7).describe('replication factor of each topic `topics` creates'),
    LOG_LEVEL: z
      .enum(LOG_LEVELS)
      .default('info')
      .describe('`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`'),
    SHUTDOWN_DEADLINE_MS: positiveInt(20_000, 600_000).describe(
      'graceful shutdown budget; keep it below the Kubernetes grace period',
    ),
  },
  build: (e) => ({
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
  }),
});

export type CommonConfig = z.output<typeof commonSlice.schema>;
