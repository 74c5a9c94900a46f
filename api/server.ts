import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createYoga, type Plugin } from 'graphql-yoga';
import { inRequestScope } from '../lib/query-scope.js';
import type { ClickHouseReader } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { composeSchema } from './graphql/compose.js';
import { createHealth, type DependencyCheck } from './health.js';
import { errorResponse, jsonResponse } from './http/http-error.js';
import { isLoopback } from './http/guards.js';
import { LiveBudget } from './http/live-budget.js';
import { createRequestGate, rawResponse } from './http/request-gate.js';
import { useNotAcceptableDetail, useQueryLimits, useSubscriptionBudget } from './graphql/limits.js';
import { openApiDocument } from './http/openapi.js';
import { createRestRouter } from './http/rest-router.js';
import type { KafkaView } from './kafka-view.js';
import type { LiveFeed } from './live-feed.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import type { ActionsService } from './actions/service.js';
import type { ApiContext, ApiModuleFactory, RestRoute } from './module.js';
import { API_MODULES } from './modules.js';
import { createReadModels } from './read-models/index.js';
import { createEventStreams, EVENT_STREAM_PATH } from './event-stream.js';
import { createDebugSocketServer, type DebugSocketServer } from './ws/debug-socket.js';
import { Response } from './http/fetch-api.js';

export interface ApiDeps {
  logger: Logger;
  /** ClickHouse as the read-only user. */
  reader: ClickHouseReader;
  kafka: KafkaView;
  /** Live records from the API's own Kafka tap. */
  feed: LiveFeed;
  /** Dependencies checked by /ready (and reported by /health). */
  checks: readonly DependencyCheck[];
  /** Defaults to a fresh registry with the process metrics. */
  metrics?: ApiMetrics;
  /** Cancel, retry and dead-letter replay (api/actions/backend.ts); absent, the action routes answer 403. */
  actions?: ActionsService | undefined;
  /** Defaults to the modules listed in api/modules.ts. */
  modules?: readonly ApiModuleFactory[];
  now?: () => number;
}

export interface Api {
  /** Answers one request without a socket (tests, and the HTTP server below). */
  fetch(request: Request): Promise<Response>;
  /** Listens on `config.api.port` (0 picks a free port); resolves to the port. */
  start(): Promise<number>;
  /** Closes the WebSocket clients and the HTTP server. Idempotent. */
  stop(): Promise<void>;
  context: ApiContext;
  metrics: ApiMetrics;
  /** Every REST route of every module (for the OpenAPI test and the logs). */
  routes: readonly RestRoute[];
}

const VERSION = '0.1.0';
/** Request line and headers, in bytes: a longer URL is a 431 naming the limit. */
const MAX_HEADER_BYTES = 16_384;

/** Listens on `port` (0 picks a free one) and resolves to the port taken. */
async function listen(http: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

interface NodeContext {
  req?: IncomingMessage;
  res?: ServerResponse;
}

/**
 * The API: GraphQL (graphql-yoga, GraphiQL on GET /graphql), the REST routes of every module under
 * /api/v1, /health, /ready, /metrics, and the WebSocket feed on /ws/debug/{client_id}, all on one
 * HTTP server. Nothing happens at import or at build time beyond wiring: `start()` opens the port.
 */
export function buildApi(config: Config, deps: ApiDeps): Api {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createApiMetrics();
  const now = deps.now ?? Date.now;
  const context: ApiContext = {
    config,
    logger,
    reader: deps.reader,
    kafka: deps.kafka,
    feed: deps.feed,
    now,
    readModels: createReadModels({ reader: deps.reader, kafka: deps.kafka, config, logger, now }),
    actions: deps.actions,
    // yoga is built below from the modules this context builds; nothing calls this before that
    fetch: (request) => Promise.resolve(yoga.fetch(request, {})),
  };
  const modules = (deps.modules ?? API_MODULES).map((factory) => factory(context));
  const routes = modules.flatMap((m) => m.rest ?? []);
  const router = createRestRouter(routes, logger, (route, method, status, seconds) => {
    metrics.requests.inc({ route, method, status: String(status) });
    metrics.duration.observe({ route, method }, seconds);
  });
  const openApi = openApiDocument(
    modules.map((m) => ({ tag: m.name, routes: m.rest ?? [] })),
    { title: 'agent-telemetry REST API', version: VERSION },
  );
  const schema = composeSchema(modules, logger);
  const gate = createRequestGate(config, now);
  const budget = new LiveBudget(config.api.wsMaxClients);
  let sockets: DebugSocketServer | undefined;
  const streams = createEventStreams({
    feed: deps.feed,
    maxBufferedBytes: config.api.wsMaxBufferedBytes,
    budget,
    logger,
    metrics,
  });
  const health = createHealth(deps.checks, () => sockets?.clients ?? 0, now);

  const metricsResponse = async (): Promise<Response> =>
    new Response(await metrics.registry.metrics(), {
      headers: { 'content-type': metrics.registry.contentType },
    });

  const routesPlugin: Plugin<Record<string, unknown>, NodeContext> = {
    onRequest: async (event) => {
      const { request, url, serverContext } = event;
      const endResponse = (response: Response): void => {
        event.endResponse(response);
      };
      const started = performance.now();
      const refused = gate.check(request, url, serverContext.req?.socket.remoteAddress ?? 'local');
      if (refused !== undefined) {
        endResponse(refused);
        return;
      }
      const path = url.pathname;
      const fixed = async (): Promise<Response | undefined> => {
        if (path === '/health') return health.live();
        if (path === '/ready') return health.ready();
        if (path === '/metrics') return metricsResponse();
        if (path === '/api/v1/openapi.json') return jsonResponse(openApi);
        if (path === EVENT_STREAM_PATH && request.method === 'GET') {
          try {
            return streams.open(url, request.signal);
          } catch (error) {
            return errorResponse(error, logger, { route: path });
          }
        }
        return undefined;
      };
      const answer = await fixed();
      if (answer !== undefined) {
        metrics.requests.inc({ route: path, method: request.method, status: String(answer.status) });
        metrics.duration.observe(
          { route: path, method: request.method },
          (performance.now() - started) / 1000,
        );
        endResponse(answer);
        return;
      }
      // /ui is the dashboard (api/ui/), served by the same router as REST
      if (path === '/api' || path.startsWith('/api/') || path === '/ui' || path.startsWith('/ui/')) {
        const response = await router.handle(request, url);
        endResponse(response ?? jsonResponse({ detail: `no route ${path}` }, 404));
      }
    },
  };

  const yoga = createYoga<NodeContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // /health is ours (the contract's shape); yoga's own check moves out of the way
    healthCheckEndpoint: '/graphql/health',
    graphiql: { title: 'agent-telemetry' },
    landingPage: false,
    logging: logger,
    cors:
      config.api.corsOrigins.length === 0
        ? false
        : {
            // a list is matched against the request's origin; "*" alone means any origin
            origin: config.api.corsOrigins.includes('*') ? '*' : config.api.corsOrigins,
            credentials: config.api.corsCredentials,
            methods: ['GET', 'POST', 'OPTIONS'],
            allowedHeaders: ['authorization', 'content-type'],
          },
    plugins: [
      routesPlugin,
      ...useQueryLimits(config.api.graphql),
      useSubscriptionBudget(budget),
      useNotAcceptableDetail(),
    ],
  });

  let server: Server | undefined;
  let metricsServer: Server | undefined;
  let stopping: Promise<void> | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // a body without a declared length could be of any size: refuse it rather than count it
    if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) {
      res
        .writeHead(411, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: 'content-length required' }));
      req.resume();
      return;
    }
    // the queries of a caller that goes away before its answer is written are stopped
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    inRequestScope(gone.signal, () => void yoga(req, res));
  };

  return {
    fetch: (request) => Promise.resolve(yoga.fetch(request, {})),
    context,
    metrics,
    routes,
    async start() {
      if (server !== undefined) throw new Error('API already started');
      const http = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000 }, onRequest);
      sockets = createDebugSocketServer({ config, logger, feed: deps.feed, metrics, budget });
      http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const { url, denied } = gate.checkUpgrade(req);
        if (denied === undefined) {
          sockets?.handleUpgrade(req, socket, head, url);
          return;
        }
        void rawResponse(denied).then((text) => socket.end(text));
      });
      // a request Node's parser refuses (headers over the limit, garbage) still gets a JSON detail
      http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
        if (!socket.writable) return;
        const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
        const detail = tooLarge
          ? `request line and headers over ${MAX_HEADER_BYTES} bytes`
          : 'malformed HTTP request';
        void rawResponse(jsonResponse({ detail }, tooLarge ? 431 : 400)).then((text) => socket.end(text));
      });
      server = http;
      const port = await listen(http, config.api.port, config.api.host);
      const host = config.api.host;
      logger.info(
        { host, port, routes: routes.length, modules: modules.map((m) => m.name) },
        'API listening',
      );
      if (config.api.authToken === undefined) {
        const note = isLoopback(host)
          ? 'no API_AUTH_TOKEN: listening on loopback only; set API_AUTH_TOKEN to listen on every interface (or API_HOST to choose)'
          : `no API_AUTH_TOKEN while listening on ${host}: anyone who reaches this port reads every record; set API_AUTH_TOKEN`;
        logger.warn({ host }, note);
      }
      if (config.api.metricsPort > 0) {
        metricsServer = createServer((req, res) => {
          if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/metrics') {
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"only /metrics here"}');
            return;
          }
          void metricsResponse().then(async (response) => {
            res.writeHead(200, { 'content-type': response.headers.get('content-type') ?? 'text/plain' });
            res.end(await response.text());
          });
        });
        const metricsPort = await listen(metricsServer, config.api.metricsPort, host);
        logger.info({ host, port: metricsPort }, 'metrics listening (no token on this port)');
      }
      return port;
    },
    stop() {
      stopping ??= (async () => {
        streams.close();
        await sockets?.close();
        metricsServer?.close();
        const http = server;
        if (http === undefined) return;
        await new Promise<void>((resolve) => {
          http.close(() => {
            resolve();
          });
          http.closeIdleConnections();
          setTimeout(() => {
            http.closeAllConnections();
          }, 2_000).unref();
        });
      })();
      return stopping;
    },
  };
}
