import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient, type ClickHouseClient } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { teamOf, workers, type Team } from '../diagnosis/test-support/seed-scenarios.js';
import { Seeder } from '../diagnosis/test-support/seed.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { API_MODULES } from '../modules.js';
import { buildApi, type Api } from '../server.js';
import { seedDemoJob, type SeededDemo } from '../test-support/seed-topology.js';
import type { AgentGraph } from '../topology/agent-graph.js';
import type { TraceWaterfall } from '../topology/waterfall.js';
import { createUiModule, uiModule } from './module.js';

/**
 * GraphQL agentGraph and traceWaterfall over a seeded demo job, then the dashboard in Debian's
 * Chromium (playwright-core, headless): the graph and the waterfall are drawn with what the API
 * answered, and a screenshot of each is saved under .state/artifacts/ui/ (the path is printed).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(root, '.state', 'artifacts', 'ui');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

let db: TestDatabase;
let reader: ClickHouseClient;
let admin: Admin;
let api: Api;
let base: string;
let browser: Browser;
let team: Team;
let demo: SeededDemo;
let assetsDir: string;
const user = `user-${uniqueToken()}`;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: scripts/stack.sh up installs it (apt-get install chromium)`);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  assetsDir = await mkdtemp(join(tmpdir(), 'ui-topology-'));
  cleanups.push(() => rm(assetsDir, { recursive: true, force: true }));
  await build({
    entryPoints: [join(root, 'api/ui/browser/app.ts'), join(root, 'api/ui/browser/app.css')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    outdir: assetsDir,
    logLevel: 'warning',
  });
  db = await createTestDatabase('topo');
  cleanups.push(() => db.drop());
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  team = teamOf(uniqueToken());
  const seeder = new Seeder();
  demo = seedDemoJob(seeder, team, Date.now(), user);
  await seeder.flush(db.access);
  const config: Config = {
    ...db.config,
    agents: [team.orchestrator, ...workers(team)],
    api: { ...db.config.api, port: 0, host: '127.0.0.1', authToken: undefined },
  };
  reader = createClickHouseClient({
    ...config,
    clickhouse: {
      ...config.clickhouse,
      username: config.api.clickhouseUser,
      password: config.api.clickhousePassword,
    },
  });
  cleanups.push(() => reader.close());
  admin = createKafka(config, testLogger(), 'it-topology').admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  api = buildApi(config, {
    logger: testLogger(),
    reader: clickHouseAccess(reader),
    kafka: createKafkaView(admin),
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
    modules: [
      ...API_MODULES.filter((m) => m !== uiModule),
      createUiModule({ assetsDir: pathToFileURL(`${assetsDir}/`) }),
    ],
  });
  base = `http://127.0.0.1:${await api.start()}`;
  cleanups.push(() => api.stop());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function graphql(
  query: string,
): Promise<{ data?: Record<string, unknown>; errors?: { message: string }[] }> {
  const response = await api.fetch(
    new Request('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }),
  );
  return (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
}

describe('agentGraph and traceWaterfall', () => {
  it('gives each route its rate, error rate, p95 and pending count, and each agent its health', async () => {
    const { data, errors } = await graphql(`
      {
        agentGraph(window_minutes: 15) {
          window_minutes
          nodes {
            agent
            health
            health_reason
            pending
          }
          edges {
            source
            target
            tasks
            rate_per_minute
            error_rate
            p95_latency_ms
            pending
          }
        }
      }
    `);
    expect(errors).toBeUndefined();
    const graph = data?.agentGraph as AgentGraph | undefined;
    const edge = (target: string) =>
      graph?.edges.find((e) => e.source === team.orchestrator && e.target === target);
    // six earlier tasks each, plus the job's: the writer's waits were 30-40 s in the queue, 8 s or 2 s of work
    expect(edge(team.writer)).toEqual({
      source: team.orchestrator,
      target: team.writer,
      tasks: 7,
      rate_per_minute: 0.47,
      error_rate: 0,
      p95_latency_ms: 48_000,
      pending: 0,
    });
    expect(edge(team.coder)).toMatchObject({ tasks: 8, error_rate: 0.125 });
    expect(edge(team.reviewer)).toMatchObject({ tasks: 2, pending: 1 });
    expect(graph?.edges.find((e) => e.source === user)).toMatchObject({
      target: team.orchestrator,
      tasks: 1,
    });
    const health = new Map(graph?.nodes.map((n) => [n.agent, n.health]));
    expect(Object.fromEntries(health)).toMatchObject({
      [team.orchestrator]: 'healthy',
      [team.writer]: 'healthy',
      [team.coder]: 'degraded',
      [user]: 'unknown',
    });
    expect(graph?.nodes.find((n) => n.agent === team.reviewer)?.pending).toBe(1);
  });

  it('draws the demo job as a waterfall: tasks split into queued and working, LLM calls and the error under their task', async () => {
    const { data, errors } = await graphql(`{ traceWaterfall(trace_id: "${demo.traceId}") {
      duration_ms agents counts { tasks messages errors llm_calls } notes
      rows { id kind agent label depth parent_id start_offset_ms end_offset_ms state queued_ms working_ms llm_ms } } }`);
    expect(errors).toBeUndefined();
    const fall = data?.traceWaterfall as TraceWaterfall | undefined;
    expect(fall?.counts).toEqual({ tasks: 6, messages: 12, errors: 1, llm_calls: 6 });
    expect(fall?.duration_ms).toBe(52_000);
    expect(fall?.rows[0]).toMatchObject({
      kind: 'task',
      id: demo.jobId,
      depth: 0,
      label: `${user} → ${team.orchestrator}`,
    });
    const write = fall?.rows.find((r) => r.id === demo.tasks.write);
    expect(write).toMatchObject({
      depth: 1,
      parent_id: demo.jobId,
      queued_ms: 40_000,
      working_ms: 2_000,
      llm_ms: 1_400,
    });
    const error = fall?.rows.find((r) => r.kind === 'error');
    expect(error).toMatchObject({ agent: team.coder, parent_id: demo.tasks.code, depth: 2, state: 'error' });
    expect(
      fall?.rows.filter((r) => r.kind === 'llm_call' && r.parent_id === demo.tasks.research),
    ).toHaveLength(2);
    // tree order: every row comes after its parent
    const seen = new Set<string>();
    for (const row of fall?.rows ?? []) {
      if (row.parent_id !== null) expect(seen.has(row.parent_id)).toBe(true);
      seen.add(row.id);
    }
    const unknown = await graphql('{ traceWaterfall(trace_id: "no-such-trace") { trace_id } }');
    expect(unknown.data?.traceWaterfall).toBeNull();
    const bad = await graphql('{ agentGraph(window_minutes: 0) { window_minutes } }');
    expect(bad.errors?.[0]?.message).toContain('window_minutes');
  });

  it('shows the graph and the waterfall on the dashboard (screenshots of each)', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    try {
      await page.goto(`${base}/ui/#trace=${demo.traceId}`);
      const graph = page.locator('#agent-graph');
      await graph.locator('.graph-node').first().waitFor();
      expect(await graph.locator('.graph-node').count()).toBe(6);
      expect(await graph.locator(`.graph-node[data-agent="${team.coder}"]`).getAttribute('data-health')).toBe(
        'degraded',
      );
      expect(await graph.locator(`.graph-node[data-agent="${team.writer}"] circle`).count()).toBe(1);
      const writerEdge = graph.locator(
        `.graph-edge[data-source="${team.orchestrator}"][data-target="${team.writer}"] text`,
      );
      expect(await writerEdge.textContent()).toBe('0.47/min · p95 48.0 s');
      const reviewerEdge = graph.locator(
        `.graph-edge[data-source="${team.orchestrator}"][data-target="${team.reviewer}"] text`,
      );
      expect(await reviewerEdge.textContent()).toContain('1 pending');
      expect(await graph.locator(`.graph-edge[data-target="${team.coder}"] text`).textContent()).toContain(
        '13% err',
      );
      const graphShot = join(ARTIFACTS, 'agent-graph.png');
      await graph.screenshot({ path: graphShot });

      const fall = page.locator('#trace-waterfall');
      await fall.locator('.fall-row').first().waitFor();
      expect(await fall.locator('.fall-row').count()).toBe(13);
      expect(await fall.locator('.fall-row[data-kind="task"]').count()).toBe(6);
      expect(await fall.locator('.fall-row[data-kind="llm_call"]').count()).toBe(6);
      const writeRow = fall.locator(`.fall-row[data-id="${demo.tasks.write}"]`);
      expect(await writeRow.locator('.fall-label').textContent()).toBe(
        `${team.orchestrator} → ${team.writer}`,
      );
      expect(await writeRow.locator('.fall-queued').count()).toBe(1);
      expect(await writeRow.locator('.fall-working').count()).toBe(1);
      // the queued part of the writer's task is 20 times its working part, as drawn
      const queued = Number(await writeRow.locator('.fall-queued').getAttribute('width'));
      const working = Number(await writeRow.locator('.fall-working').getAttribute('width'));
      expect(Math.round(queued / working)).toBe(20);
      expect(await fall.locator('.fall-row[data-kind="error"] .fall-error').count()).toBe(1);
      expect(await fall.locator('p').first().textContent()).toBe(
        '6 tasks, 6 LLM calls, 1 errors across 5 agents in 52.0 s',
      );
      const fallShot = join(ARTIFACTS, 'trace-waterfall.png');
      await fall.screenshot({ path: fallShot });
      process.stdout.write(`screenshots: ${graphShot} ${fallShot}\n`);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
