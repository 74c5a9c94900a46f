import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../lib/config.js';
import { createLogger, redactSecrets } from '../../lib/logger.js';
import { testConfig, testLogger } from '../../lib/test-support/helpers.js';
import { LiveHub } from '../live-feed.js';
import { readJsonRows } from '../mcp/sql-query.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';

/** The API's guards against hostile input and foreign pages, without services (no rows anywhere). */
const token = 'a-very-secret-token-123';
let started: Api | undefined;

afterEach(async () => {
  await started?.stop();
  started = undefined;
});

function api(env: Record<string, string> = {}, logger = testLogger()): Api {
  return buildApi(testConfig({ AGENT_NAMES: 'coder', API_PORT: '0', ...env }), {
    logger,
    reader: { query: () => Promise.resolve([]) },
    kafka: { groupLag: () => Promise.resolve(undefined), check: () => Promise.resolve() },
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
  });
}

async function graphql(app: Api, query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await app.fetch(
    new Request('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function firstError(body: Record<string, unknown>): {
  message: string;
  extensions?: Record<string, unknown>;
} {
  const errors = body.errors as { message: string; extensions?: Record<string, unknown> }[];
  expect(errors.length).toBeGreaterThan(0);
  return errors[0] ?? { message: '' };
}

describe('GraphQL document limits', () => {
  it('refuses an alias flood with a 400 naming the alias limit', async () => {
    const fields = Array.from({ length: 40 }, (_, i) => `t${i}: traces(limit: 500) { trace_id }`);
    const { status, body } = await graphql(api(), `{ ${fields.join(' ')} }`);
    expect(status).toBe(400);
    const error = firstError(body);
    expect(error.message).toBe('Aliases limit of 10 exceeded, found 40. (API_GRAPHQL_MAX_ALIASES)');
    expect(error.extensions).toMatchObject({ code: 'QUERY_LIMIT', limit: 'API_GRAPHQL_MAX_ALIASES' });
  });

  it('refuses depth, cost and token floods, each naming its limit', async () => {
    const app = api({ API_GRAPHQL_MAX_DEPTH: '1', API_GRAPHQL_MAX_COST: '5', API_GRAPHQL_MAX_TOKENS: '200' });
    const deep = await graphql(app, '{ task(id: "x") { messages { message_id } } }');
    expect(deep.status).toBe(400);
    expect(firstError(deep.body).message).toMatch(/depth limit of 1 exceeded.*\(API_GRAPHQL_MAX_DEPTH\)/i);
    const costly = await graphql(
      api({ API_GRAPHQL_MAX_COST: '5' }),
      '{ queues { agent_name queue_topic total_messages pending_tasks } }',
    );
    expect(costly.status).toBe(400);
    expect(firstError(costly.body).message).toMatch(/Cost limit of 5 exceeded.*\(API_GRAPHQL_MAX_COST\)/);
    const long = await graphql(app, `{ ${'queues { agent_name } '.repeat(100)} }`);
    expect(long.status).toBe(400);
    expect(firstError(long.body).message).toMatch(/Token limit of 200 exceeded.*\(API_GRAPHQL_MAX_TOKENS\)/);
  });

  it('lets an ordinary query and introspection through', async () => {
    const app = api();
    expect((await graphql(app, '{ errorSummary { total_errors } }')).status).toBe(200);
    const introspection = await graphql(app, '{ __schema { types { name fields { name type { name } } } } }');
    expect(introspection.status).toBe(200);
  });
});

describe('Host and Origin', () => {
  const get = (app: Api, url: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(url, { headers }));

  it('on loopback, answers only requests that name a loopback host or an allowed one (DNS rebinding)', async () => {
    const app = api({ API_HOST: '127.0.0.1', API_ALLOWED_HOSTS: 'telemetry.local' });
    const rebound = await get(app, 'http://attacker.example:8080/api/v1/errors/summary');
    expect(rebound.status).toBe(403);
    expect(await rebound.json()).toEqual({
      detail: 'Host "attacker.example:8080" is not allowed: list it in API_ALLOWED_HOSTS',
    });
    expect((await get(app, 'http://127.0.0.1:8080/api/v1/errors/summary')).status).toBe(200);
    // the probes name the pod's address: answered whatever the Host
    expect((await get(app, 'http://10.1.2.3:8080/health')).status).toBe(200);
    expect((await get(app, 'http://telemetry.local/api/v1/errors/summary')).status).toBe(200);
    const open = api({ API_HOST: '0.0.0.0', API_AUTH_TOKEN: token });
    const named = await get(open, 'http://telemetry.example.com/api/v1/errors/summary', {
      authorization: `Bearer ${token}`,
    });
    expect(named.status).toBe(200);
  });

  it('refuses pages of other origins, and serves its own and the CORS origins', async () => {
    const app = api({ API_CORS_ORIGINS: 'https://debug.example.com' });
    const foreign = await get(app, 'http://localhost:8080/api/v1/events/stream', {
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({
      detail: 'Origin "https://evil.example" is not allowed: list it in API_CORS_ORIGINS',
    });
    expect((await get(app, 'http://localhost:8080/api/v1/errors/summary', { origin: 'null' })).status).toBe(
      403,
    );
    const own = await get(app, 'http://localhost:8080/api/v1/errors/summary', {
      origin: 'http://localhost:8080',
    });
    expect(own.status).toBe(200);
    const listed = await get(app, 'http://localhost/api/v1/errors/summary', {
      origin: 'https://debug.example.com',
    });
    expect(listed.status).toBe(200);
  });
});

describe('binding, tokens and secrets', () => {
  it('binds loopback unless a token is set', () => {
    expect(loadConfig({}).api.host).toBe('127.0.0.1');
    expect(loadConfig({ API_AUTH_TOKEN: token }).api.host).toBe('0.0.0.0');
    expect(loadConfig({ API_HOST: '0.0.0.0' }).api.host).toBe('0.0.0.0');
  });

  it('never prints a secret in the configuration error', () => {
    expect(() => loadConfig({ API_AUTH_TOKEN: 'hunter2' })).toThrow(
      'API_AUTH_TOKEN=[redacted, 7 characters]: at least 16 characters',
    );
    try {
      loadConfig({ API_AUTH_TOKEN: 'hunter2', API_METRICS_TOKEN: 'scrape' });
    } catch (error) {
      expect(String(error)).not.toMatch(/hunter2|scrape/);
    }
  });

  it('redacts configured secrets and query tokens wherever they sit in a log line', () => {
    const line = JSON.stringify({
      msg: `auth failed for ${token}`,
      url: '/ws/debug/a?access_token=abc123&x=1',
    });
    const redacted = redactSecrets(line, [token]);
    expect(redacted).not.toContain(token);
    expect(redacted).not.toContain('abc123');
    expect(redacted).toContain('access_token=[redacted]&x=1');
  });

  it('leaves a value the configuration error already redacted as it is (its length stays readable)', () => {
    const line = 'API_AUTH_TOKEN=[redacted, 7 characters]: at least 16 characters';
    expect(redactSecrets(line, [])).toBe(line);
  });

  it('counts requests after authentication: requests without the token spend nothing', async () => {
    const app = api({ API_AUTH_TOKEN: token, API_RATE_LIMIT_PER_MINUTE: '2' });
    const statuses: number[] = [];
    const summary = (authorization?: string) =>
      app.fetch(
        new Request('http://localhost/api/v1/errors/summary', {
          headers: authorization === undefined ? {} : { authorization },
        }),
      );
    for (let i = 0; i < 5; i++) statuses.push((await summary()).status);
    for (let i = 0; i < 3; i++) statuses.push((await summary(`Bearer ${token}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 200, 200, 429]);
  });

  it('lets Prometheus scrape /metrics with its own token, or on its own port without one', async () => {
    const app = api({
      API_AUTH_TOKEN: token,
      API_METRICS_TOKEN: 'scrape-only-token-456',
      API_METRICS_PORT: '0',
    });
    const scrape = (authorization: string) =>
      app.fetch(new Request('http://localhost/metrics', { headers: { authorization } }));
    expect((await scrape('Bearer scrape-only-token-456')).status).toBe(200);
    expect((await scrape(`Bearer ${token}`)).status).toBe(200);
    expect((await scrape('Bearer wrong')).status).toBe(401);
    const other = await app.fetch(
      new Request('http://localhost/api/v1/errors/summary', {
        headers: { authorization: 'Bearer scrape-only-token-456' },
      }),
    );
    expect(other.status).toBe(401);
  });
});

describe('sql_query reads a bounded number of bytes', () => {
  const body = (lines: string[]) => Readable.from(lines.map((line) => Buffer.from(line)));

  it('stops at the byte cap, and at a single line longer than the cap', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(80)}"}\n`);
    const capped = await readJsonRows(body(rows), 1_000, 1_000);
    expect(capped.truncatedBy).toBe('max_bytes');
    expect(capped.bytes).toBeLessThanOrEqual(1_000);
    expect(capped.rows.length).toBe(Math.floor(1_000 / (rows[0]?.length ?? 1)));
    const huge = await readJsonRows(body(['{"all":"', 'y'.repeat(600), 'y'.repeat(600), '"}\n']), 10, 1_000);
    expect(huge).toEqual({ rows: [], bytes: 0, truncatedBy: 'max_bytes' });
    const all = await readJsonRows(body(['{"a":1}\n{"a":', '2}\n']), 10, 1_000);
    expect(all).toEqual({ rows: [{ a: 1 }, { a: 2 }], bytes: 14, truncatedBy: null });
    await expect(
      readJsonRows(body(['{"a":1}\nCode: 396. DB::Exception: Limit\n']), 10, 1_000),
    ).rejects.toThrow(/Code: 396/);
  });
});

describe('WebSocket upgrades', () => {
  const open = (port: number, headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/c1`, { headers });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      socket.on('error', () => undefined);
    });

  it('refuses a foreign Origin and a rebound Host, and counts upgrades against the rate limit', async () => {
    started = api({ API_HOST: '127.0.0.1', API_RATE_LIMIT_PER_MINUTE: '3' });
    const port = await started.start();
    expect(await open(port, { origin: 'https://evil.example' })).toBe(403);
    expect(await open(port, { host: `attacker.example:${port}` })).toBe(403);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await open(port, { origin: `http://127.0.0.1:${port}` }));
    expect(statuses).toEqual([101, 101, 101, 429]);
  });

  it('shares one live budget between WebSockets, event streams and GraphQL subscriptions', async () => {
    started = api({ API_HOST: '127.0.0.1', API_WS_MAX_CLIENTS: '1' });
    const port = await started.start();
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/holder`);
    await new Promise((resolve) => socket.once('message', resolve));
    const stream = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream`);
    expect(stream.status).toBe(503);
    expect(await stream.json()).toEqual({
      detail: 'too many live streams (API_WS_MAX_CLIENTS=1), retry later',
    });
    const subscription = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { errorAdded { error_id } }' }),
    });
    expect(await subscription.text()).toContain('TOO_MANY_STREAMS');
    socket.close();
  });
});

describe('start-up, the metrics port and subscribe frames', () => {
  /**
   * A free port below the kernel's ephemeral range, so that no `listen(0)` (the API's own port, other
   * test files' servers) can take it between this check and the API binding it.
   */
  const freePortBelowEphemeral = async (): Promise<number> => {
    const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768');
    const low = Number(range.trim().split(/\s+/)[0]) || 32768;
    for (;;) {
      const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
      const free = await new Promise<boolean>((resolve) => {
        const server = createServer()
          .once('error', () => {
            resolve(false);
          })
          .listen(port, '127.0.0.1', () => {
            server.close(() => {
              resolve(true);
            });
          });
      });
      if (free) return port;
    }
  };

  it('says at start-up that it listens on loopback only without a token, and never logs the token', async () => {
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'info', component: 'test', destination, secrets: [token] });
    started = api({}, logger);
    await started.start();
    logger.warn({ header: `Bearer ${token}` }, `auth with ${token}`);
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(text).toContain('no API_AUTH_TOKEN: listening on loopback only');
    expect(text).toContain('"host":"127.0.0.1"');
    expect(text).not.toContain(token);
  });

  it('serves /metrics without a token on its own port, and only /metrics there', async () => {
    const metricsPort = await freePortBelowEphemeral();
    started = api({ API_AUTH_TOKEN: token, API_HOST: '127.0.0.1', API_METRICS_PORT: String(metricsPort) });
    const port = await started.start();
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('agent_telemetry_api_requests_total');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/errors`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
  });

  it('counts subscribe frames against the rate limit, and keeps the connection', async () => {
    started = api({ API_HOST: '127.0.0.1', API_RATE_LIMIT_PER_MINUTE: '2' });
    const port = await started.start();
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/frames`);
    const frames: { type: string; detail?: string }[] = [];
    await new Promise<void>((resolve) => {
      socket.on('message', (data: Buffer) => {
        frames.push(JSON.parse(data.toString('utf8')) as { type: string });
        if (frames.length === 4) resolve();
      });
      socket.once('open', () => {
        for (let i = 0; i < 3; i++)
          socket.send(JSON.stringify({ type: 'subscribe', agent_names: ['coder'] }));
      });
    });
    expect(frames.map((f) => f.type)).toEqual([
      'connected',
      'subscription_updated',
      'subscription_updated',
      'protocol_error',
    ]);
    expect(frames[3]?.detail).toMatch(
      /^rate limit exceeded \(API_RATE_LIMIT_PER_MINUTE=2\): subscription unchanged/,
    );
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});
