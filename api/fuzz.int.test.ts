import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { migrate } from '../lib/migrations.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import type { RestRoute } from './module.js';
import type { Api } from './server.js';
import { seedRun } from './test-support/seed.js';
import { buildTestApi } from './test-support/test-api.js';
import {
  encodeLoosely,
  graphqlArguments,
  graphqlDocuments,
  hostileString,
  hostileValue,
  wsFrames,
} from './test-support/fuzz-inputs.js';

/**
 * The whole surface under generated hostile input (fast-check), over real sockets against a seeded
 * database read as the read-only user: REST parameters, GraphQL arguments and documents, WebSocket
 * frames and MCP tool arguments. Every answer must be a 2xx with the route's shape or a 4xx whose
 * body names the problem: no 5xx, no hang, and a value that looks like SQL comes back as data (a
 * filter on it matches nothing). The seed is printed, and FUZZ_SEED replays a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS = { rest: 2_400, graphql: 3_000, ws: 4_000, mcp: 1_200 };
const CONCURRENCY = 6;
const HANG_MS = 15_000;
const HEAVY = /diagnose|oracle|claude/;

let db: TestDatabase;
let api: Api;
let close: () => Promise<void>;
let base: string;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase('fuzz');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  const token = `t${uniqueToken()}`;
  await seedRun(db.access, token, Date.now());
  const config = {
    ...db.config,
    agents: [`${token}-coder`, `${token}-researcher`],
    api: { ...db.config.api, host: '127.0.0.1', port: 0, rateLimitPerMinute: 0, authToken: undefined },
  };
  const built = await buildTestApi(config, 'it-fuzz');
  api = built.api;
  close = () => built.close();
  port = await api.start();
  base = `http://127.0.0.1:${port}`;
  process.stdout.write(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it)\n`);
});

afterAll(async () => {
  await close();
  await db.drop();
});

/** Answers by status per surface, and the failures (at most a few kept in full). */
const counts: Record<string, Record<string, number>> = {};
const failures: string[] = [];
function record(surface: string, status: string, problem?: string): void {
  const bySurface = (counts[surface] ??= {});
  bySurface[status] = (bySurface[status] ?? 0) + 1;
  if (problem !== undefined && failures.length < 20) failures.push(`${surface} ${status}: ${problem}`);
}

async function pool<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** A request with a deadline; a hang is recorded as such, never waited out. */
async function send(surface: string, url: string, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
  } catch (error) {
    record(surface, 'hang', `${url.slice(0, 200)}: ${String(error)}`);
    return undefined;
  }
}

/** A 4xx must say what is wrong: `detail` (REST), `errors[].message` (GraphQL). */
function namesTheProblem(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { detail?: unknown; errors?: { message?: unknown }[] };
  if (typeof b.detail === 'string' && b.detail.trim() !== '') return true;
  return Array.isArray(b.errors) && b.errors.every((e) => typeof e.message === 'string' && e.message !== '');
}

/** The GET route the router serves a path with: the same patterns, fewer parameters first. */
function servedRoute(routes: readonly RestRoute[], pathname: string): RestRoute | undefined {
  const pattern = (route: RestRoute) =>
    new RegExp(
      `^${route.path
        .split('/')
        .map((s) => (/^\{\w+\}$/.test(s) ? '([^/]+)' : s))
        .join('/')}/?$`,
    );
  return routes
    .filter((route) => route.method === 'GET' && pattern(route).test(pathname))
    .sort((a, b) => a.path.split('{').length - b.path.split('{').length)[0];
}

const restInputs = (routes: readonly RestRoute[]) =>
  fc.record({
    // the whole-system reports (diagnosis, oracle) run dozens of queries each: fewer of them
    route: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...routes.filter((r) => !HEAVY.test(r.path))) },
      { weight: 1, arbitrary: fc.constantFrom(...routes.filter((r) => HEAVY.test(r.path))) },
    ),
    path: fc.array(hostileString, { minLength: 3, maxLength: 3 }),
    query: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom('limit', 'agent_name'), hostileString), hostileString),
      { maxLength: 4 },
    ),
    known: fc.boolean(),
  });

describe('fuzz', () => {
  it(`REST: ${RUNS.rest} requests with hostile path and query parameters`, async () => {
    const routes = api.routes.filter(
      (r) => r.method === 'GET' && !r.path.includes('/mcp') && !r.path.includes('/events/stream'),
    );
    const inputs = fc.sample(restInputs(routes), { seed: SEED, numRuns: RUNS.rest });
    await pool(inputs, async ({ route, path, query, known }) => {
      let i = 0;
      const pathname = route.path.replace(/\{[a-z_]+\}/g, () => encodeLoosely(path[i++] ?? ''));
      const names = Object.keys(route.query);
      const params = query.map(([name, value], j) => {
        const key = known && names.length > 0 ? (names[j % names.length] ?? name) : name;
        return `${encodeLoosely(key)}=${encodeLoosely(value)}`;
      });
      const url = `${base}${pathname}${params.length === 0 ? '' : `?${params.join('&')}`}`;
      const response = await send('rest', url);
      if (response === undefined) return;
      const text = await response.text();
      const status = String(response.status);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (response.status >= 500) {
        record('rest', status, `${url.slice(0, 300)} → ${text.slice(0, 200)}`);
        return;
      }
      if (response.status >= 400) {
        record('rest', status, namesTheProblem(body) ? undefined : `${url.slice(0, 300)}: no detail`);
        return;
      }
      const isJson = (response.headers.get('content-type') ?? '').includes('json');
      const served = servedRoute(api.routes, new URL(url).pathname);
      const checked = isJson && served !== undefined ? served.response.safeParse(body) : { success: true };
      record('rest', status, checked.success ? undefined : `${url.slice(0, 300)}: not the route's shape`);
    });
  });

  it(`GraphQL: ${RUNS.graphql} documents, half with hostile arguments`, async () => {
    const inputs = fc.sample(fc.oneof(graphqlArguments, graphqlDocuments), {
      seed: SEED,
      numRuns: RUNS.graphql,
    });
    await pool(inputs, async ({ query, variables }) => {
      const response = await send('graphql', `${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      if (response === undefined) return;
      const text = await response.text();
      const status = String(response.status);
      const what = `${query.slice(0, 200)} → ${text.slice(0, 200)}`;
      let body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        record('graphql', status, `not JSON: ${what}`);
        return;
      }
      if (response.status >= 500) {
        record('graphql', status, what);
        return;
      }
      const internal = body.errors?.find(
        (e) => e.message === 'Unexpected error.' || e.extensions?.code === 'INTERNAL_SERVER_ERROR',
      );
      if (internal !== undefined) {
        record('graphql', `${status} internal`, what);
        return;
      }
      if (response.status >= 400) {
        record('graphql', status, namesTheProblem(body) ? undefined : what);
        return;
      }
      record('graphql', status, body.data === undefined && body.errors === undefined ? what : undefined);
    });
  });

  it('nothing injected: SQL-looking filter values match no row, on every interface', async () => {
    const values = fc.sample(hostileString, { seed: SEED, numRuns: 100 });
    await pool(values, async (value) => {
      const rest = await send(
        'injection',
        `${base}/api/v1/errors?agent_name=${encodeLoosely(value)}&limit=500`,
      );
      if (rest !== undefined) {
        const body = (await rest.json()) as { errors?: unknown[] };
        const leaked = rest.status === 200 && (body.errors?.length ?? 0) > 0;
        record('injection', String(rest.status), leaked ? `agent_name=${value} matched rows` : undefined);
      }
      const gql = await send('injection', `${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'query Q($v: String) { errors(filter: { agent: $v }, limit: 500) { items { error_id } } }',
          variables: { v: value },
        }),
      });
      if (gql !== undefined) {
        const body = (await gql.json()) as { data?: { errors?: { items: unknown[] } } };
        const leaked = (body.data?.errors?.items.length ?? 0) > 0;
        record('injection', String(gql.status), leaked ? `GraphQL agent ${value} matched rows` : undefined);
      }
    });
  });

  it(`WebSocket: ${RUNS.ws} frames, each answered, the connection kept`, async () => {
    const frames = fc.sample(wsFrames, { seed: SEED, numRuns: RUNS.ws });
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/fuzz`);
    const replies: string[] = [];
    let wake: (() => void) | undefined;
    socket.on('message', (data: Buffer) => {
      replies.push(data.toString('utf8'));
      wake?.();
    });
    await new Promise((resolve, reject) => {
      socket.once('message', resolve);
      socket.once('error', reject);
    });
    replies.length = 0;
    for (const frame of frames) {
      socket.send(frame, { binary: Buffer.isBuffer(frame) });
      if (replies.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, HANG_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const reply = replies.shift();
      if (reply === undefined) {
        record('ws', 'hang', String(frame).slice(0, 200));
        continue;
      }
      const parsed = JSON.parse(reply) as { type: string; detail?: string };
      const ok =
        ['pong', 'subscription_updated'].includes(parsed.type) ||
        (parsed.type === 'protocol_error' && (parsed.detail ?? '') !== '');
      record('ws', parsed.type, ok ? undefined : `${String(frame).slice(0, 100)} → ${reply.slice(0, 100)}`);
    }
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it(`MCP: ${RUNS.mcp} tool calls with hostile arguments`, async () => {
    const listed = await send('mcp', `${base}/api/v1/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const tools = (
      (await listed?.json()) as {
        result: { tools: { name: string; inputSchema: { properties?: object } }[] };
      }
    ).result.tools;
    const call = fc.record({
      tool: fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...tools) },
        { weight: 1, arbitrary: hostileString.map((name) => ({ name, inputSchema: { properties: {} } })) },
      ),
      values: fc.array(hostileValue, { minLength: 4, maxLength: 4 }),
      extra: fc.option(fc.tuple(hostileString, hostileValue)),
    });
    const inputs = fc.sample(call, { seed: SEED, numRuns: RUNS.mcp });
    await pool(inputs, async ({ tool, values, extra }) => {
      const names = Object.keys(tool.inputSchema.properties ?? {});
      const args: Record<string, unknown> = Object.fromEntries(
        names.slice(0, values.length).map((n, i) => [n, values[i]]),
      );
      if (extra !== null) args[extra[0]] = extra[1];
      const response = await send('mcp', `${base}/api/v1/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: tool.name, arguments: args },
        }),
      });
      if (response === undefined) return;
      const text = await response.text();
      const what = `${tool.name} ${JSON.stringify(args).slice(0, 200)} → ${text.slice(0, 200)}`;
      if (response.status >= 400) {
        record('mcp', String(response.status), response.status >= 500 ? what : undefined);
        return;
      }
      const body = JSON.parse(text) as {
        result?: { isError?: boolean; content?: { text?: string }[] };
        error?: { code: number; message: string };
      };
      if (body.error !== undefined) {
        record(
          'mcp',
          `rpc ${body.error.code}`,
          body.error.code === -32603 || body.error.message === '' ? what : undefined,
        );
        return;
      }
      const message = body.result?.content?.[0]?.text ?? '';
      record(
        'mcp',
        body.result?.isError === true ? 'tool error' : 'result',
        message === '' ? what : undefined,
      );
    });
  });

  it('answered everything: no 5xx, no hang, every 4xx naming the problem', () => {
    const total = Object.values(counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    for (const [surface, byStatus] of Object.entries(counts)) {
      process.stdout.write(
        `fuzz ${surface}: ${Object.entries(byStatus)
          .map(([s, n]) => `${s}=${n}`)
          .join(' ')}\n`,
      );
    }
    process.stdout.write(`fuzz total ${total} inputs, ${failures.length} failures, seed ${SEED}\n`);
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});
