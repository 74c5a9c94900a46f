import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../../lib/config.js';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';
import { createKafka } from '../../lib/kafka.js';
import type { Lifecycle } from '../../lib/lifecycle.js';
import type { Logger } from '../../lib/logger.js';
import { checkBearer, foreignRequest, hostAllowed, originAllowed } from '../http/guards.js';
import { jsonResponse } from '../http/http-error.js';
import { createKafkaView, type KafkaView } from '../kafka-view.js';
import { openReadOnlyReader } from '../main.js';
import { createActionsBackend } from '../actions/backend.js';
import { createCodec } from '../../lib/registry.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import { handleMcpRequest } from './http.js';
import { createMcpServer } from './server.js';

/** How long a CLI or MCP process waits for Kafka at start before going on without live lag. */
const KAFKA_CONNECT_TIMEOUT_MS = 5_000;

/** Kafka could not be reached at start: live lag answers fall back to ClickHouse's lag samples. */
function unavailableKafka(cause: unknown): KafkaView {
  const fail = (): Promise<never> =>
    Promise.reject(
      new TelemetryError(ErrorCode.KAFKA_UNAVAILABLE, 'Kafka was not reachable at start', { cause }),
    );
  return { groupLag: fail, check: fail };
}

/**
 * The API built in process, not listening: the same read models, diagnosis and oracle routes the
 * API serves, as its read-only ClickHouse user, with a Kafka admin for live lag (best effort).
 * For `agent-telemetry mcp` and the people CLI; every part is closed by the lifecycle.
 */
export async function openApiInProcess(
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
  options: { actions?: boolean } = {},
): Promise<Api> {
  const reader = openReadOnlyReader(config, lifecycle);
  const admin = createKafka(config, logger, 'mcp').admin();
  let kafka: KafkaView;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.connect(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new TelemetryError(
              ErrorCode.KAFKA_UNAVAILABLE,
              `no Kafka connection within ${KAFKA_CONNECT_TIMEOUT_MS} ms`,
            ),
          );
        }, KAFKA_CONNECT_TIMEOUT_MS);
      }),
    ]);
    lifecycle.add('kafka-admin', () => admin.disconnect());
    kafka = createKafkaView(admin);
  } catch (error) {
    logger.warn({ err: error }, 'Kafka not reachable: live lag falls back to the lag samples');
    void admin.disconnect().catch(() => undefined);
    kafka = unavailableKafka(error);
  } finally {
    clearTimeout(timer);
  }
  // the MCP server acts as the API does, under the same switch; the people CLI only reads
  const actions =
    options.actions === true
      ? createActionsBackend({ config, logger, lifecycle, reader, codec: createCodec(config) })
      : undefined;
  return buildApi(config, {
    logger,
    reader,
    kafka,
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
    actions,
  });
}

/** `agent-telemetry mcp`: the MCP server on stdin/stdout until the client closes stdin. */
export async function startMcpStdio(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<void> {
  const api = await openApiInProcess(config, logger, lifecycle, { actions: true });
  const server = createMcpServer(api.context);
  const transport = new StdioServerTransport();
  lifecycle.add('mcp', () => server.close());
  await server.connect(transport);
  // the client owns the process: when it closes our stdin, the session is over
  process.stdin.once('end', () => {
    void lifecycle.shutdown('stdin closed').then((code) => process.exit(code));
  });
  logger.info({ tools: 16 }, 'MCP server on stdio');
}

export { hostAllowed };

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
  res.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * `agent-telemetry mcp --http <port>`: Streamable HTTP on `/mcp` (stateless, JSON answers), with
 * the API's bearer token when one is configured and the API's body size limit. Resolves to the port.
 */
export async function startMcpHttp(
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
  options: { port: number; host: string },
): Promise<number> {
  const api = await openApiInProcess(config, logger, lifecycle, { actions: true });
  const http = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/health') return send(res, jsonResponse({ status: 'ok' }));
      if (url.pathname !== '/mcp')
        return send(res, jsonResponse({ detail: `no route ${url.pathname}: MCP is on /mcp` }, 404));
      if (!hostAllowed(options.host, req.headers.host, config.api.allowedHosts)) {
        return send(res, foreignRequest('Host', req.headers.host));
      }
      if (!originAllowed(req.headers.origin, req.headers.host ?? '', config.api.corsOrigins)) {
        return send(res, foreignRequest('Origin', req.headers.origin));
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) headers.set(name, value.join(', '));
      }
      const probe = new Request(url, { method: req.method ?? 'GET', headers });
      const denied = checkBearer(probe, url, config.api.authToken);
      if (denied !== undefined) return send(res, denied);
      const hasBody = req.method === 'POST';
      const body = hasBody ? await readBody(req, config.api.maxBodyBytes) : undefined;
      if (hasBody && body === undefined) {
        return send(res, jsonResponse({ detail: `request body over ${config.api.maxBodyBytes} bytes` }, 413));
      }
      const request = new Request(url, {
        method: req.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body: new Uint8Array(body) }),
      });
      return send(res, await handleMcpRequest(api.context, request));
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'MCP HTTP request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'internal error' }));
    });
  });
  lifecycle.add(
    'mcp-http',
    () =>
      new Promise<void>((resolve) => {
        http.close(() => {
          resolve();
        });
        http.closeAllConnections();
      }),
  );
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  logger.info({ port, host: options.host, path: '/mcp' }, 'MCP server on Streamable HTTP');
  return port;
}
