import { z } from 'zod';
import { csv, defineSlice, flag, port, positiveInt } from './slice.js';

/** The API: listening, authentication, CORS, request and GraphQL limits, the read cache, WebSockets. */
export const apiSlice = defineSlice({
  name: 'api',
  title: 'API',
  summary: 'Read by `agent-telemetry api` (GraphQL, REST, WebSocket, the dashboard) and by `mcp`.',
  variables: {
    API_PORT: port(8080).describe('port of the API (`0` picks a free one)'),
    API_HOST: z.string().min(1).optional().meta({
      description:
        'address the API listens on (the start-up log says which, and warns when it is not loopback without a token)',
      unset: '`127.0.0.1`, or `0.0.0.0` with `API_AUTH_TOKEN`',
    }),
    API_ALLOWED_HOSTS: z
      .string()
      .default('')
      .transform(csv)
      .describe(
        'host names a request may name besides the loopback ones (on loopback every other `Host` is a 403, against DNS rebinding; elsewhere the list, when given, is the only hosts allowed)',
      ),
    API_CLICKHOUSE_USER: z
      .string()
      .min(1)
      .default('telemetry_ro')
      .describe('the read-only ClickHouse user the API reads as (a warning is logged if it can write)'),
    API_CLICKHOUSE_PASSWORD: z.string().default('').describe("the API's ClickHouse user's password"),
    API_CLICKHOUSE_CONNECTIONS: positiveInt(8, 1_000).describe(
      'ClickHouse connections for the reads a caller waits on (lookups, filtered lists, `sql_query`); a caller that goes away stops its queries',
    ),
    API_CLICKHOUSE_QUEUE_MS: positiveInt(3_000, 600_000).describe(
      'how long a read a caller waits on waits for one of those connections; then it is answered 503 with `Retry-After` (ClickHouse busy) instead of joining a queue that outgrows every timeout',
    ),
    API_CLICKHOUSE_SHARED_CONNECTIONS: positiveInt(1, 1_000).describe(
      'ClickHouse connections for loading the views callers share (the read cache, the diagnosis): whole-store scans wait for one of these instead of taking the connections of lookups (a load a caller waits for, with nothing to serve, goes before the queued background refreshes). Each scan already uses every core ClickHouse gives one query (`max_threads`), so running more at once finishes them no sooner and leaves lookups fewer cores',
    ),
    API_AUTH_TOKEN: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe(
        "bearer token required on every route but `/health`, `/ready` and the dashboard's static `/ui/` files (at least 16 characters)",
      ),
    API_CORS_ORIGINS: z
      .string()
      .default('')
      .transform(csv)
      .pipe(z.array(z.union([z.literal('*'), z.url()])))
      .describe(
        'allowed origins (comma-separated URLs, or `*` without credentials); empty turns CORS off, and browser requests from any other foreign origin are refused',
      ),
    API_CORS_CREDENTIALS: flag('false').describe('whether CORS responses allow credentials'),
    API_MAX_BODY_BYTES: positiveInt(1_048_576, 104_857_600).describe('largest request body (413 above)'),
    API_RATE_LIMIT_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1_200)
      .describe(
        'requests per minute per client address, WebSocket upgrades and `subscribe` frames included, counted after authentication (429 above); `0` turns the limit off',
      ),
    API_METRICS_TOKEN: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe('a bearer token that reads `/metrics` and nothing else (Prometheus scrapes)'),
    API_METRICS_PORT: port(0).describe(
      'a second port serving only `/metrics`, without a token; `0` turns it off',
    ),
    API_GRAPHQL_MAX_DEPTH: positiveInt(8, 100).describe(
      'deepest GraphQL document (400 naming the limit and its variable)',
    ),
    API_GRAPHQL_MAX_ALIASES: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000)
      .default(10)
      .describe('aliases in a GraphQL document; `0` forbids aliases'),
    API_GRAPHQL_MAX_COST: positiveInt(5_000, 1_000_000).describe('estimated cost of a GraphQL document'),
    API_GRAPHQL_MAX_TOKENS: positiveInt(2_000, 1_000_000).describe('tokens of a GraphQL document'),
    API_SQL_MAX_BYTES: positiveInt(4 * 1024 * 1024, 64 * 1024 * 1024).describe(
      'bytes of rows `sql_query` reads and returns at most (`truncated_by: "max_bytes"` above)',
    ),
    API_CACHE_TTL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(1_000)
      .describe(
        'how long the whole-system views (queues, pending lists and counts, error summary, groups and totals, agents, the diagnosis) are served from the read cache before a refresh, or twice the time the last refresh took when that is longer; `0` turns the cache off',
      ),
    API_WS_MAX_CLIENTS: positiveInt(1_000, 100_000).describe(
      'live streams at once: WebSocket clients, event streams and GraphQL subscriptions together (503 above)',
    ),
    API_WS_MAX_BUFFERED_BYTES: positiveInt(1_048_576, 268_435_456).describe(
      'unsent bytes a WebSocket client may hold before it is disconnected',
    ),
    API_WS_MAX_MESSAGE_BYTES: positiveInt(65_536, 16_777_216).describe(
      'largest client frame answered normally (larger ones get a `protocol_error`)',
    ),
  },
  check: (env, ctx) => {
    if (env.API_CORS_CREDENTIALS === 'true' && env.API_CORS_ORIGINS.includes('*')) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_CORS_ORIGINS'],
        message: '"*" may not be used with API_CORS_CREDENTIALS=true; list the origins',
      });
    }
  },
  build: (e) => ({
    port: e.API_PORT,
    host: e.API_HOST ?? (e.API_AUTH_TOKEN === undefined ? '127.0.0.1' : '0.0.0.0'),
    allowedHosts: e.API_ALLOWED_HOSTS,
    clickhouseUser: e.API_CLICKHOUSE_USER,
    clickhousePassword: e.API_CLICKHOUSE_PASSWORD,
    clickhouseConnections: e.API_CLICKHOUSE_CONNECTIONS,
    clickhouseQueueMs: e.API_CLICKHOUSE_QUEUE_MS,
    clickhouseSharedConnections: e.API_CLICKHOUSE_SHARED_CONNECTIONS,
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
  }),
});

export type ApiConfig = z.output<typeof apiSlice.schema>;
