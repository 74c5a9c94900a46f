import { availableParallelism, loadavg } from 'node:os';
import { createKafkaView } from '../api/kafka-view.js';
import { createReadModels, type ReadModels } from '../api/read-models/index.js';
import { clickHouseAccess, createClickHouseClient, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { startBackgroundIngest } from './api-ingest.js';
import { checkRoute, measureApi, measureDirect, send, type LoadOptions } from './api-load.js';
import { parseApiBenchOptions, type ApiBenchOptions } from './api-options.js';
import { graphqlRoutes, restRoutes, dig, type BenchIds, type BenchRoute } from './api-routes.js';
import { seedDatabase, sampleIds } from './api-seed.js';
import { seededMessages } from './api-seed-sql.js';
import { formatTable, pooledP99, summarize, type RouteRun, type TableRow } from './api-stats.js';
import { setUpBench, type BenchEnvironment } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { int, say, seconds } from './report.js';
import { beginBenchRun } from './run-lock.js';
import { ROLES } from './workload.js';

/**
 * API benchmark: a fresh database seeded server-side with N errors and M messages, the real API
 * (`node dist/cli/main.js api`) as a child reading it as the read-only user while the real
 * processors ingest a steady stream into it, and 20 concurrent keep-alive clients on each main REST
 * route and GraphQL query for a fixed time; beside it the same read models called in process (the
 * peer), so the API's own overhead shows as a ratio. See bench/README.md. The last line of the
 * output is the machine-readable RESULT line.
 */

const TARGETS = { restP99Ms: 50, graphqlP99Ms: 80 };
/** Unrecorded load per route before its measurement, so that neither side is timed cold. */
const WARM_UP_MS = 1_000;

interface Measured {
  route: BenchRoute;
  api: RouteRun;
  direct: RouteRun;
}

/** The API child: the bench database, a free port, no rate limit, the bench agents configured. */
async function startApiChild(run: Run, agents: readonly string[]): Promise<string> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLICKHOUSE_DATABASE: run.env.processors.database,
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    // 20 clients from one address would be throttled by the per-client limit; the bench measures latency
    API_RATE_LIMIT_PER_MINUTE: '0',
    AGENT_NAMES: agents.join(','),
    // errors only: the live tap's warnings about other runs' topics would bury the figures
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
  };
  delete env.API_AUTH_TOKEN;
  const child = spawnBenchChild({
    name: 'api',
    script: new URL('../cli/main.js', import.meta.url),
    args: ['api'],
    env,
  });
  run.children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${base}/ready`, child, 60_000, run.signal);
  return base;
}

/** The peer: the same read models over a ClickHouse client of the same user and settings as the API's. */
function directReadModels(
  run: Run,
  agents: readonly string[],
): { models: ReadModels; client: ClickHouseClient } {
  const { config, env } = run;
  const client = createClickHouseClient(
    {
      ...config,
      clickhouse: {
        ...config.clickhouse,
        username: config.api.clickhouseUser,
        password: config.api.clickhousePassword,
      },
    },
    { database: env.processors.database, requestTimeoutMs: 15_000 },
  );
  const models = createReadModels({
    reader: clickHouseAccess(client),
    kafka: createKafkaView(env.admin),
    config: { ...config, agents: [...agents] },
    logger: run.logger,
    now: Date.now,
  });
  return { models, client };
}

/**
 * A check tried up to three times: on a machine this busy a single query can time out, which says
 * nothing about whether the route answers correctly; a wrong answer fails all three alike.
 */
async function withRetries<T>(check: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Why the route (through the API, then its direct peer) does not answer as it must; undefined when it does. */
async function checkBoth(base: string, models: ReadModels, route: BenchRoute): Promise<string | undefined> {
  try {
    await withRetries(() => checkRoute(base, route));
    await withRetries(() => route.direct(models, 0)).catch((error: unknown) => {
      throw new Error('its direct peer failed', { cause: error });
    });
    return undefined;
  } catch (error) {
    return describe(error);
  }
}

interface Run {
  options: ApiBenchOptions;
  config: Config;
  logger: Logger;
  env: BenchEnvironment;
  signal: AbortSignal;
  children: BenchChild[];
  clients: ClickHouseClient[];
}

async function measureAll(
  run: Run,
  base: string,
  models: ReadModels,
  ids: BenchIds,
  ingestRunning: () => void,
  failed: { name: string; problem: string }[],
): Promise<Measured[]> {
  const firstPage = await send(base, graphqlRoutes(ids)[2]?.request(0) ?? { method: 'GET', path: '/' }, true);
  const cursor = dig(firstPage, 'data.errors.next_cursor');
  const withCursor: BenchIds = { ...ids, ...(typeof cursor === 'string' ? { errorsCursor: cursor } : {}) };
  const wanted = run.options.routes;
  const routes = [...restRoutes(withCursor), ...graphqlRoutes(withCursor)].filter(
    (route) => wanted.length === 0 || wanted.some((text) => route.name.toLowerCase().includes(text)),
  );
  if (routes.length === 0) throw new Error(`no route matches --routes ${wanted.join(',')}`);
  const load = (durationMs: number): LoadOptions => ({
    clients: run.options.clients,
    durationMs,
    signal: run.signal,
  });
  const measured: Measured[] = [];
  for (const route of routes) {
    ingestRunning();
    // checked right before its measurement; a route that fails is reported, never timed
    const problem = await checkBoth(base, models, route);
    if (problem !== undefined) {
      say(`  ${route.name}: NOT MEASURED, its check failed: ${problem}`);
      failed.push({ name: route.name, problem });
      continue;
    }
    await measureApi(base, route, load(WARM_UP_MS));
    const api = await measureApi(base, route, load(run.options.seconds * 1000));
    await measureDirect(models, route, load(WARM_UP_MS));
    const direct = await measureDirect(models, route, load(run.options.seconds * 1000));
    const a = summarize(api);
    const d = summarize(direct);
    say(
      `  ${route.name}: ${int(a.requests)} requests, ${int(a.errors)} errors, p99 ${a.p99Ms?.toFixed(1) ?? 'n/a'} ms ` +
        `(direct p99 ${d.p99Ms?.toFixed(1) ?? 'n/a'} ms, ${int(d.errors)} errors)`,
    );
    measured.push({ route, api, direct });
  }
  return measured;
}

function machineLoad(): string {
  return `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`;
}

function report(
  measured: readonly Measured[],
  failed: readonly { name: string; problem: string }[],
): { rest: number | undefined; graphql: number | undefined } {
  const rows = (kind: BenchRoute['kind']): TableRow[] =>
    measured
      .filter(({ route }) => route.kind === kind)
      .map(({ route, api, direct }) => ({
        route: route.name,
        api: summarize(api),
        direct: summarize(direct),
      }));
  const pooled = (kind: BenchRoute['kind'], side: 'api' | 'direct') =>
    pooledP99(measured.filter(({ route }) => route.kind === kind).map((m) => m[side]));
  const fmt = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} ms`);
  const result = { rest: pooled('rest', 'api'), graphql: pooled('graphql', 'api') };
  for (const [kind, title] of [
    ['rest', 'REST'],
    ['graphql', 'GraphQL'],
  ] as const) {
    say('');
    say(
      `${title} (latencies in ms; direct p99 = the same read models in process; ratio = api p99 / direct p99)`,
    );
    for (const line of formatTable(rows(kind))) say(line);
    const api = pooled(kind, 'api');
    const direct = pooled(kind, 'direct');
    const ratio = api !== undefined && direct !== undefined && direct > 0 ? (api / direct).toFixed(2) : 'n/a';
    say(`${title} overall: p99 ${fmt(api)} over all requests; direct p99 ${fmt(direct)}; ratio ${ratio}`);
  }
  const errors = measured.reduce((sum, { api }) => sum + api.errors, 0);
  const directErrors = measured.reduce((sum, { direct }) => sum + direct.errors, 0);
  say('');
  say(`failed requests: ${int(errors)} through the API, ${int(directErrors)} direct`);
  if (failed.length > 0) {
    say(
      `NOT MEASURED (${failed.length} routes failed their check; the p99s below leave them out): ` +
        failed.map((f) => f.name).join(', '),
    );
  }
  say(
    `targets: REST p99 ≤ ${TARGETS.restP99Ms} ms (${fmt(result.rest)}), GraphQL p99 ≤ ${TARGETS.graphqlP99Ms} ms ` +
      `(${fmt(result.graphql)}); reported, not asserted`,
  );
  return result;
}

async function runBench(run: Run): Promise<{ rest: number | undefined; graphql: number | undefined }> {
  const { options, env } = run;
  const agents = ROLES.map((role) => env.agents.names[role]);
  const idPrefix = `${env.token}-s-`;
  const writer = createClickHouseClient(run.config, {
    database: env.processors.database,
    requestTimeoutMs: 900_000,
  });
  run.clients.push(writer);
  say(
    `seeding ${int(seededMessages({ ...options, idPrefix, agents, nowMs: 0, spanMs: 0 }))} messages and ` +
      `${int(options.errors)} errors over the last ${options.days} days into ${env.processors.database}`,
  );
  await seedDatabase(clickHouseAccess(writer), {
    idPrefix,
    agents,
    messages: options.messages,
    errors: options.errors,
    nowMs: Date.now(),
    spanMs: options.days * 86_400_000,
  });
  const { models, client } = directReadModels(run, agents);
  run.clients.push(client);
  const ids = await sampleIds(clickHouseAccess(client), agents, idPrefix);

  const ingest = await startBackgroundIngest({
    config: run.config,
    env,
    rate: options.rate,
    signal: run.signal,
    children: run.children,
  });
  say(`ingest: the processors run, fed ${int(options.rate)} msg/s on the run's own topics`);
  // the producer runs until stopped: whatever happens below, it stops before the clean-up
  try {
    const base = await startApiChild(run, agents);
    say(
      `api: ${base}, ClickHouse user ${run.config.api.clickhouseUser}, ${options.clients} clients per route`,
    );
    const started = Date.now();
    const failed: { name: string; problem: string }[] = [];
    const measured = await measureAll(
      run,
      base,
      models,
      ids,
      () => {
        ingest.assertRunning();
      },
      failed,
    );
    const ingested = await ingest.stop();
    say(
      `ingest during the measurement (${seconds(Date.now() - started)}): ${int(ingested.sent)} messages sent, ` +
        `${int(ingested.consumed)} consumed by the processors, ${int(ingested.deadLettered)} dead-lettered` +
        (ingested.lateSlices > 0
          ? `; the producer fell behind its pace in ${int(ingested.lateSlices)} slices`
          : ''),
    );
    say(`machine: ${machineLoad()}`);
    return report(measured, failed);
  } finally {
    await ingest.stop().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const options = parseApiBenchOptions(process.argv.slice(2));
  const { config, logger, abort, token } = await beginBenchRun();
  say(
    `api benchmark ${token}: ${int(options.errors)} errors, ${int(options.messages)} messages; ` +
      `${options.clients} clients, ${options.seconds} s per route; ingest ${int(options.rate)} msg/s meanwhile`,
  );
  say(`machine: ${machineLoad()}`);
  const env = await setUpBench(config, logger, token);
  say(`created database ${env.processors.database} and topics ${env.queueTopics.join(', ')}`);
  const run: Run = { options, config, logger, env, signal: abort.signal, children: [], clients: [] };
  let outcome: { rest: number | undefined; graphql: number | undefined } | undefined;
  let failure: unknown;
  try {
    outcome = await runBench(run);
  } catch (error) {
    failure = error;
  } finally {
    await Promise.all(run.children.map((child) => child.stop(10_000)));
    await Promise.all(run.clients.map((client) => client.close().catch(() => undefined)));
    const problems = await env.cleanUp();
    for (const problem of problems) process.stderr.write(`bench: clean-up: ${problem}\n`);
    say(
      `removed the bench databases, topics and consumer groups${problems.length > 0 ? ' (with problems)' : ''}`,
    );
  }
  if (outcome === undefined) {
    process.stderr.write(`bench: failed: ${describe(failure)}\n`);
    return 1;
  }
  const value = (ms: number | undefined) => (ms === undefined ? 'nan' : ms.toFixed(1));
  say(`RESULT rest_p99_ms=${value(outcome.rest)} graphql_p99_ms=${value(outcome.graphql)}`);
  return 0;
}

/** An error with its chain of causes, one per line. */
function describe(error: unknown): string {
  const lines: string[] = [];
  let current = error;
  while (current !== undefined && lines.length < 5) {
    lines.push(current instanceof Error ? current.message : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n  caused by: ');
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: ${describe(error)}\n`);
  process.exitCode = 1;
}
