import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { clickHouseAccess, createClickHouseClient, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { quoteString } from '../lib/sql.js';
import { startBackgroundIngest } from './api-ingest.js';
import { checkRoute, send } from './api-load.js';
import { apiLoopDelay, cpuMeter, idleRun, openLoop, stackClickHousePid } from './api-open-loop.js';
import {
  outcome,
  reportIdle,
  reportRates,
  TARGETS,
  type IdleFigures,
  type Outcome,
  type Pids,
  type RateFigures,
} from './api-report.js';
import { parseApiBenchOptions, type ApiBenchOptions } from './api-options.js';
import { graphqlRoutes, restRoutes, dig, type BenchIds, type BenchRoute } from './api-routes.js';
import { seedDatabase, sampleIds } from './api-seed.js';
import { seededMessages } from './api-seed-sql.js';
import {
  nextSecond,
  queryCpuBySecond,
  queryCpuByUser,
  windowCpu,
  type SecondWindow,
} from './api-query-log.js';
import { cpuSnapshot, describeCpuSplit, findServicePids, processCores } from './cpu-split.js';
import { fmtMs, summarize, type RouteRun } from './api-stats.js';
import { setUpBench, type BenchEnvironment } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { nodeFlags } from './phase.js';
import { int, say, seconds } from './report.js';
import { recordBenchRun, type Recording } from './results.js';
import { beginBenchRun } from './run-lock.js';
import { ROLES } from './workload.js';

/**
 * API benchmark: a fresh database seeded server-side with N errors and M messages, the real API
 * (`node dist-bench/cli/main.js api`) as a child reading it as the read-only user. It measures the API,
 * not the machine's saturation: first each route idle, one client, one request at a time; then,
 * with the real processors ingesting a steady stream, an open-loop mix of every route at fixed
 * offered rates (25, 50, 100 req/s by default), each request timed from when it was due. CPU per
 * request is the API process's and the ClickHouse server's (from /proc) over the idle runs, when the
 * bench is ClickHouse's only client. See bench/README.md. The last line is the RESULT line.
 */

/** Unrecorded requests per route before its idle run, so that no route is timed cold. */
const IDLE_WARM_UP = 5;
/** Seconds of unrecorded mix at the first rate, once ingest runs. */
const MIX_WARM_UP_MS = 3_000;

/** The API child: the bench database, a free port, no rate limit, the bench agents configured. */
async function startApiChild(run: Run, agents: readonly string[]): Promise<{ base: string; pid: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLICKHOUSE_DATABASE: run.env.processors.database,
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    // every request comes from one address: the per-client limit would throttle the offered rate
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
    nodeFlags: nodeFlags(run.options),
  });
  run.children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${base}/ready`, child, 60_000, run.signal);
  return { base, pid: child.pid };
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

interface Run {
  options: ApiBenchOptions;
  config: Config;
  logger: Logger;
  env: BenchEnvironment;
  signal: AbortSignal;
  children: BenchChild[];
  clients: ClickHouseClient[];
}

/** The routes to measure, each checked once; a route that fails its check is reported, never timed. */
async function checkedRoutes(run: Run, base: string, ids: BenchIds): Promise<BenchRoute[]> {
  const firstPage = await send(base, graphqlRoutes(ids)[2]?.request(0) ?? { method: 'GET', path: '/' }, true);
  const cursor = dig(firstPage, 'data.errors.next_cursor');
  const withCursor: BenchIds = { ...ids, ...(typeof cursor === 'string' ? { errorsCursor: cursor } : {}) };
  const wanted = run.options.routes;
  const routes = [...restRoutes(withCursor), ...graphqlRoutes(withCursor)].filter(
    (route) => wanted.length === 0 || wanted.some((text) => route.name.toLowerCase().includes(text)),
  );
  if (routes.length === 0) throw new Error(`no route matches --routes ${wanted.join(',')}`);
  const ok: BenchRoute[] = [];
  for (const route of routes) {
    try {
      await withRetries(() => checkRoute(base, route));
      ok.push(route);
    } catch (error) {
      say(`  ${route.name}: NOT MEASURED, its check failed: ${describe(error)}`);
    }
  }
  return ok;
}

async function measureIdle(
  run: Run,
  /** A client of the server as a user that sees every query (the seeding writer). */
  server: ClickHouseClient,
  base: string,
  routes: readonly BenchRoute[],
  pids: Pids,
): Promise<IdleFigures[]> {
  const measured: {
    route: BenchRoute;
    run: RouteRun;
    cpu: { api: number; clickhouse: number };
    window: SecondWindow;
  }[] = [];
  for (const route of routes) {
    let meter = cpuMeter(pids);
    let fromSecond = 0;
    const requests = Math.min(run.options.idleRequests, route.maxIdleRequests ?? Infinity);
    const timed = await idleRun(base, route, requests, IDLE_WARM_UP, run.signal, async () => {
      await apiQueriesSettled(run, server);
      fromSecond = await nextSecond();
      meter = cpuMeter(pids);
    });
    // the work the requests left running (a cached view's refresh, a diagnosis) is theirs: the
    // meter stops once it is done, and the next route starts from a quiet server in a later second
    await apiQueriesSettled(run, server);
    const cpu = meter.read();
    const toSecond = await nextSecond();
    measured.push({ route, run: timed, cpu, window: { fromSecond, toSecond } });
    say(`  ${route.name}: idle p99 ${fmtMs(summarize(timed).p99Ms)} ms`);
  }
  const bySecond = await queryCpuBySecond(
    server,
    run.config.api.clickhouseUser,
    measured[0]?.window.fromSecond ?? 0,
  );
  if (bySecond === undefined) {
    say(`  no query log of ${run.config.api.clickhouseUser}: ClickHouse's CPU is the whole server's (/proc)`);
  }
  return measured.map(({ route, run: timed, cpu, window }) => ({
    route,
    run: timed,
    cpu: {
      api: cpu.api,
      clickhouse: bySecond === undefined ? cpu.clickhouse : windowCpu(bySecond, window),
      server: cpu.clickhouse,
    },
    queryLog: bySecond !== undefined,
  }));
}

/** How long a route's leftover queries may run before its figures are taken anyway. */
const SETTLE_LIMIT_MS = 30_000;

/**
 * Waits until no query of the API's ClickHouse user runs (two looks 50 ms apart), at most
 * {@link SETTLE_LIMIT_MS}: the API refreshes cached views in the background, after the request
 * that found them stale was answered.
 */
async function apiQueriesSettled(run: Run, client: ClickHouseClient): Promise<void> {
  const user = quoteString(run.config.api.clickhouseUser);
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    run.signal.throwIfAborted();
    const result = await client.query({
      query: `SELECT count() AS n FROM system.processes WHERE user = ${user}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ n: string | number }>();
    quiet = Number(rows[0]?.n ?? 0) === 0 ? quiet + 1 : 0;
    await sleep(50);
  }
}

/**
 * ClickHouse's cores over a window: the API's reads (its user's queries in the query log) and the
 * rest of the server's time from /proc (the processors' inserts and their views, merges).
 */
async function clickHouseSplit(
  client: ClickHouseClient,
  window: SecondWindow,
  run: Run,
  serverCores: number | undefined,
): Promise<string> {
  const byUser = await queryCpuByUser(client, window);
  const api = byUser.get(run.config.api.clickhouseUser);
  if (api === undefined || serverCores === undefined) return '';
  const apiCores = api / Math.max(1, window.toSecond - window.fromSecond);
  return `; of clickhouse: the API's queries ${apiCores.toFixed(2)}, the rest (inserts, views, merges) ${Math.max(0, serverCores - apiCores).toFixed(2)}`;
}

function machineLoad(): string {
  return `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`;
}

async function runBench(run: Run): Promise<Outcome> {
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
  const seedStarted = Date.now();
  await seedDatabase(clickHouseAccess(writer), {
    idPrefix,
    agents,
    messages: options.messages,
    errors: options.errors,
    nowMs: Date.now(),
    spanMs: options.days * 86_400_000,
  });
  say(`seeded in ${seconds(Date.now() - seedStarted)}`);
  const reader = createClickHouseClient(
    {
      ...run.config,
      clickhouse: {
        ...run.config.clickhouse,
        username: run.config.api.clickhouseUser,
        password: run.config.api.clickhousePassword,
      },
    },
    { database: env.processors.database, requestTimeoutMs: 15_000 },
  );
  run.clients.push(reader);
  const ids = await sampleIds(clickHouseAccess(reader), agents, idPrefix);
  const { base, pid } = await startApiChild(run, agents);
  const pids: Pids = { api: pid, clickhouse: stackClickHousePid() };
  say(
    `api: ${base}, ClickHouse user ${run.config.api.clickhouseUser}; CPU read from /proc of pids api=${pid} clickhouse=${pids.clickhouse ?? 'not found'}`,
  );
  const routes = await checkedRoutes(run, base, ids);
  say(`idle: ${routes.length} routes, ${options.idleRequests} requests each, machine ${machineLoad()}`);
  const idle = await measureIdle(run, writer, base, routes, pids);
  // printed before the mix, so that a failure under ingest keeps the idle figures
  reportIdle(idle);
  say('');

  const ingest = await startBackgroundIngest({
    config: run.config,
    env,
    rate: options.rate,
    signal: run.signal,
    children: run.children,
  });
  say(`ingest: the processors run, fed ${int(options.rate)} msg/s on the run's own topics`);
  try {
    const started = Date.now();
    await openLoop(base, routes, options.rates[0] ?? 25, MIX_WARM_UP_MS, run.signal);
    const rates: RateFigures[] = [];
    const machinePids = new Map([
      ...findServicePids(),
      ['api', pid],
      ['processors', ingest.child.pid],
      ['producer', ingest.producer.pid],
      ['bench', process.pid],
    ]);
    const splits: string[] = [];
    for (const rate of options.rates) {
      ingest.assertRunning();
      const fromSecond = await nextSecond();
      const meter = cpuMeter(pids);
      const machineBefore = cpuSnapshot(machinePids);
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
      await apiLoopDelay(base);
      const measured = await openLoop(base, routes, rate, options.seconds * 1000, run.signal);
      const apiLoop = await apiLoopDelay(base);
      loopDelay.disable();
      const machineAfter = cpuSnapshot(machinePids);
      rates.push({ rate, run: measured, cpu: meter.read() });
      say(`  ${rate} req/s offered: ${measured.achievedPerSecond.toFixed(1)} answered per second`);
      const window = { fromSecond, toSecond: Math.floor(Date.now() / 1000) + 1 };
      splits.push(
        `${rate} req/s: ${describeCpuSplit(machineBefore, machineAfter)}` +
          (await clickHouseSplit(
            writer,
            window,
            run,
            processCores(machineBefore, machineAfter, 'clickhouse'),
          )) +
          (apiLoop === undefined
            ? ''
            : `; the API's event loop delay p99 ${fmtMs(apiLoop.p99Ms)} ms, max ${fmtMs(apiLoop.maxMs)} ms`) +
          // the load generator's: a request sent or read late counts as slow (from when it was due)
          `; the bench's event loop delay p99 ${fmtMs(loopDelay.percentile(99) / 1e6)} ms, max ${fmtMs(loopDelay.max / 1e6)} ms`,
      );
    }
    const ingested = await ingest.stop();
    say(
      `ingest during the mix (${seconds(Date.now() - started)}): ${int(ingested.sent)} messages sent, ` +
        `${int(ingested.consumed)} consumed by the processors, ${int(ingested.deadLettered)} dead-lettered` +
        (ingested.lateSlices > 0
          ? `; the producer fell behind its pace in ${int(ingested.lateSlices)} slices`
          : ''),
    );
    say(`machine: ${machineLoad()}`);
    say('where the CPU went during each rate, in cores (/proc; ClickHouse split by its query log):');
    for (const split of splits) say(`  ${split}`);
    reportRates(rates);
    const result = outcome(idle, rates);
    say('');
    say(
      `targets: idle p99 ≤ ${TARGETS.idleLookupP99Ms} ms by id, ≤ ${TARGETS.idleListP99Ms} ms lists; at 50 req/s p99 ≤ ${TARGETS.restP99At50Ms} ms REST, ≤ ${TARGETS.graphqlP99At50Ms} ms GraphQL (${fmtMs(result.graphqlP99At50)}); ≤ ${TARGETS.cpuMsPerRequest} ms CPU per request (${result.cpuMsPerRequest?.toFixed(2) ?? 'n/a'}); reported, not asserted`,
    );
    return result;
  } finally {
    await ingest.stop().catch(() => undefined);
  }
}

async function main(recording: Recording): Promise<number> {
  const options = parseApiBenchOptions(process.argv.slice(2));
  recording.setOptions(options);
  const { config, logger, abort, token } = await beginBenchRun();
  say(
    `api benchmark ${token}: ${int(options.errors)} errors, ${int(options.messages)} messages; ` +
      `idle ${options.idleRequests} requests per route; mix at ${options.rates.join(', ')} req/s, ${options.seconds} s each, under ${int(options.rate)} msg/s of ingest`,
  );
  say(`machine: ${machineLoad()}`);
  const env = await setUpBench(config, logger, token);
  say(`created database ${env.processors.database} and topics ${env.queueTopics.join(', ')}`);
  const run: Run = { options, config, logger, env, signal: abort.signal, children: [], clients: [] };
  let result: Outcome | undefined;
  let failure: unknown;
  try {
    result = await runBench(run);
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
  if (result === undefined) {
    process.stderr.write(`bench: failed: ${describe(failure)}\n`);
    return 1;
  }
  const value = (ms: number | undefined) => (ms === undefined ? 'nan' : ms.toFixed(1));
  say(
    `RESULT idle_p99_ms=${value(result.idleP99)} p99_at_50rps_ms=${value(result.p99At50)} ` +
      `graphql_p99_at_50rps_ms=${value(result.graphqlP99At50)} cpu_ms_per_req=${result.cpuMsPerRequest?.toFixed(2) ?? 'nan'}`,
  );
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

const recording = recordBenchRun('api', process.argv.slice(2), process.env);
let exitCode = 1;
try {
  exitCode = await main(recording);
} catch (error) {
  process.stderr.write(`bench: ${describe(error)}\n`);
}
process.exitCode = exitCode;
recording.finish(exitCode);
