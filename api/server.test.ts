import { describe, expect, it } from 'vitest';
import type { ClickHouseReader } from '../lib/clickhouse.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import { currentQueryScope } from '../lib/query-scope.js';
import { testConfig, testLogger } from '../lib/test-support/helpers.js';
import type { KafkaView } from './kafka-view.js';
import { LiveHub } from './live-feed.js';
import { createApiMetrics } from './metrics.js';
import { buildApi } from './server.js';

/** A reader that records the SQL it is given and answers with no rows (or fails on demand). */
function fakeReader(fail?: TelemetryError): ClickHouseReader & { sql: string[] } {
  const sql: string[] = [];
  return {
    sql,
    query<T>(text: string): Promise<T[]> {
      sql.push(text);
      return fail === undefined ? Promise.resolve([]) : Promise.reject(fail);
    },
  };
}

const noKafka: KafkaView = {
  groupLag: () => Promise.resolve(undefined),
  check: () => Promise.resolve(),
};

function api(options: { reader?: ClickHouseReader; env?: Record<string, string> } = {}) {
  return buildApi(testConfig({ AGENT_NAMES: 'coder', ...options.env }), {
    logger: testLogger(),
    reader: options.reader ?? fakeReader(),
    kafka: noKafka,
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
  });
}

const get = async (app: ReturnType<typeof api>, path: string, headers: Record<string, string> = {}) => {
  const response = await app.fetch(new Request(`http://localhost${path}`, { headers }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('REST validation', () => {
  it.each([
    ['/api/v1/errors?severity=fatal', 'severity'],
    ['/api/v1/errors?category=nope', 'category'],
    ['/api/v1/errors?limit=0', 'limit'],
    ['/api/v1/errors?limit=501', 'limit'],
    ['/api/v1/errors?limit=ten', 'limit'],
    ['/api/v1/errors?cursor=%21%21', 'cursor'],
    ['/api/v1/errors?since=yesterday', 'since'],
    ['/api/v1/errors?limit=5&limit=6', 'limit'],
    ['/api/v1/errors/bad%20id', 'error_id'],
    ['/api/v1/queues/coder?message_type=email', 'message_type'],
    ['/api/v1/queues/coder?limit=1000', 'limit'],
    ['/api/v1/traces/-x', 'trace_id'],
  ])('%s is a 400 naming %s', async (path, parameter) => {
    const { status, body } = await get(api(), path);
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(String(body.detail)).toContain(parameter);
  });

  it('answers 404 {detail} for an unknown id and an unknown route', async () => {
    const app = api();
    const missing = await get(app, '/api/v1/errors/0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01');
    expect(missing).toEqual({
      status: 404,
      body: { detail: 'error 0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01 not found' },
    });
    expect((await get(app, '/api/v1/nothing-here')).status).toBe(404);
  });

  it('answers a ClickHouse outage with 503 and a rejected query with 500, never 200', async () => {
    const down = api({ reader: fakeReader(new TelemetryError(ErrorCode.CLICKHOUSE_UNAVAILABLE, 'down')) });
    const broken = api({
      reader: fakeReader(new TelemetryError(ErrorCode.CLICKHOUSE_QUERY_FAILED, 'bad sql')),
    });
    expect((await get(down, '/api/v1/errors')).status).toBe(503);
    const failed = await get(broken, '/api/v1/errors/summary');
    expect(failed).toEqual({ status: 500, body: { detail: 'internal server error' } });
  });

  it('escapes every value that reaches SQL', async () => {
    const reader = fakeReader();
    await get(api({ reader }), "/api/v1/errors?agent_name=o'brien");
    expect((await get(api({ reader }), "/api/v1/errors?agent_name=o'brien")).status).toBe(400);
    await get(api({ reader }), '/api/v1/errors?agent_name=coder&trace_id=abc');
    expect(reader.sql.some((s) => s.includes("agent_name = 'coder'") && s.includes("trace_id = 'abc'"))).toBe(
      true,
    );
  });
});

describe('guards', () => {
  const token = 'a-very-secret-token-123';

  it('needs the bearer token on every route but the probes', async () => {
    const app = api({ env: { API_AUTH_TOKEN: token } });
    expect((await get(app, '/api/v1/errors/summary')).status).toBe(401);
    expect((await get(app, '/api/v1/errors/summary', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(app, '/api/v1/errors/summary', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get(app, '/health')).status).toBe(200);
    expect((await get(app, '/ready')).status).not.toBe(401);
    expect((await get(app, '/metrics')).status).toBe(401);
    const graphql = await app.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ errorSummary { total_errors } }' }),
      }),
    );
    expect(graphql.status).toBe(401);
  });

  it('limits requests per client', async () => {
    const app = api({ env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(app, '/api/v1/errors/summary')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await get(app, '/health')).status).toBe(200);
  });

  it('answers CORS only for the configured origins', async () => {
    const app = api({ env: { API_CORS_ORIGINS: 'https://debug.example.com', API_CORS_CREDENTIALS: 'true' } });
    const allowed = await app.fetch(
      new Request('http://localhost/api/v1/errors/summary', {
        headers: { origin: 'https://debug.example.com' },
      }),
    );
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://debug.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await app.fetch(
      new Request('http://localhost/api/v1/errors/summary', {
        headers: { origin: 'https://evil.example.com' },
      }),
    );
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example.com');
    const off = await api().fetch(
      new Request('http://localhost/api/v1/errors/summary', {
        headers: { origin: 'https://debug.example.com' },
      }),
    );
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with "*" (never with credentials, which the configuration refuses)', async () => {
    const app = api({ env: { API_CORS_ORIGINS: '*' } });
    const response = await app.fetch(
      new Request('http://localhost/api/v1/errors/summary', {
        headers: { origin: 'https://any.example.com' },
      }),
    );
    // yoga reflects the caller's origin for "*"; without credentials that is the same grant
    expect(['*', 'https://any.example.com']).toContain(response.headers.get('access-control-allow-origin'));
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(() => testConfig({ API_CORS_ORIGINS: '*', API_CORS_CREDENTIALS: 'true' })).toThrow(
      /API_CORS_ORIGINS/,
    );
  });

  it('refuses a body over the size limit, and one of unknown length', async () => {
    const app = api({ env: { API_MAX_BODY_BYTES: '100', API_PORT: '0', API_HOST: '127.0.0.1' } });
    const port = await app.start();
    try {
      const query = JSON.stringify({ query: '{ errorSummary { total_errors } }' });
      const post = (body: string | ReadableStream) =>
        fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          duplex: 'half',
        } as RequestInit);
      expect((await post(query)).status).toBe(200);
      expect((await post(query + ' '.repeat(200))).status).toBe(413);
      const chunked = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(query));
          controller.close();
        },
      });
      expect((await post(chunked)).status).toBe(411);
    } finally {
      await app.stop();
    }
  });
});

describe('OpenAPI', () => {
  it('describes every registered route with its parameters', async () => {
    const app = api();
    const { status, body } = await get(app, '/api/v1/openapi.json');
    expect(status).toBe(200);
    const paths = body.paths as Record<
      string,
      Record<string, { parameters: { name: string; in: string }[] }>
    >;
    const routes = app.routes;
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      // headers (the writes' Idempotency-Key and X-Actor) are not route parameters
      const names = operation?.parameters.filter((p) => p.in !== 'header').map((p) => p.name) ?? [];
      expect(names.sort()).toEqual([...Object.keys(route.pathParams), ...Object.keys(route.query)].sort());
    }
  });
});

describe('a caller that goes away', () => {
  /** A reader whose queries wait until their caller's scope is aborted, and record what they saw. */
  function waitingReader() {
    const seen: { lane: string; aborted: Promise<void> | undefined }[] = [];
    const reader: ClickHouseReader = {
      query<T>(): Promise<T[]> {
        const { lane, signal } = currentQueryScope();
        const aborted =
          signal === undefined
            ? undefined
            : new Promise<void>((resolve) => {
                signal.addEventListener(
                  'abort',
                  () => {
                    resolve();
                  },
                  { once: true },
                );
              });
        seen.push({ lane, aborted });
        return new Promise<T[]>((_resolve, reject) => {
          void aborted?.then(() => {
            reject(new TelemetryError(ErrorCode.ABANDONED, 'stopped'));
          });
        });
      },
    };
    return { reader, seen };
  }

  it.each([
    [
      'REST',
      (port: number) =>
        fetch(`http://127.0.0.1:${port}/api/v1/errors/e-1`, { signal: AbortSignal.timeout(300) }),
    ],
    [
      'GraphQL',
      (port: number) =>
        fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ error(id: "e-1") { error_id } }' }),
          signal: AbortSignal.timeout(300),
        }),
    ],
  ])('stops the queries of a %s request whose client closed the connection', async (_kind, request) => {
    const { reader, seen } = waitingReader();
    const app = api({ reader, env: { API_PORT: '0', API_HOST: '127.0.0.1' } });
    const port = await app.start();
    try {
      await expect(request(port)).rejects.toThrow();
      expect(seen.length).toBeGreaterThan(0);
      // every query of the request ran in its scope, on the request lane, and was told to stop
      for (const query of seen) expect(query.lane).toBe('request');
      for (const query of seen) await query.aborted;
    } finally {
      await app.stop();
    }
  });
});
