import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient, type ClickHouseClient } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import { createCodec } from '../../lib/registry.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  testLogger,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../../lib/test-support/helpers.js';
import { ensureTopics } from '../../lib/topics.js';
import { sampleError } from '../../schemas/test-support/fixtures.js';
import { ERRORS_TOPIC } from '../../schemas/topics.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { API_MODULES } from '../modules.js';
import { buildApi, type Api } from '../server.js';
import { seedRun, type Seeded } from '../test-support/seed.js';
import { createKafkaTap, type KafkaTap } from '../ws/kafka-tap.js';
import { createUiModule, uiModule } from './module.js';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): the API in-process
 * on port 0 over a fresh seeded database, the live feed over the real Kafka tap. Screenshots go to
 * .state/artifacts/ui/ (git-ignored).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(root, '.state', 'artifacts', 'ui');
/** Debian's package; playwright-core drives it (no browser download: the network is closed). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const AUTH_TOKEN = `ui-test-token-${uniqueToken()}`;

let db: TestDatabase;
let reader: ClickHouseClient;
let admin: Admin;
let producer: TestProducer;
let tap: KafkaTap;
let seeded: Seeded;
let token: string;
let assetsDir: string;
let open: { api: Api; base: string };
let guarded: { api: Api; base: string };
let browser: Browser;
const hub = new LiveHub();

/** The browser bundle, built with the options of `npm run build:ui` into a folder of its own. */
async function buildAssets(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'ui-assets-'));
  await build({
    entryPoints: [join(root, 'api/ui/browser/app.ts'), join(root, 'api/ui/browser/app.css')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outdir: out,
    logLevel: 'warning',
  });
  return out;
}

async function startApi(config: Config): Promise<{ api: Api; base: string }> {
  const api = buildApi(config, {
    logger: testLogger(),
    reader: clickHouseAccess(reader),
    kafka: createKafkaView(admin),
    feed: hub,
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
    modules: [
      ...API_MODULES.filter((m) => m !== uiModule),
      createUiModule({ assetsDir: pathToFileURL(`${assetsDir}/`) }),
    ],
  });
  const port = await api.start();
  return { api, base: `http://127.0.0.1:${port}` };
}

/** Undone in reverse order of creation, however far beforeAll got. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: scripts/stack.sh up installs it (apt-get install chromium)`);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  assetsDir = await buildAssets();
  cleanups.push(() => rm(assetsDir, { recursive: true, force: true }));
  db = await createTestDatabase('ui');
  cleanups.push(() => db.drop());
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  token = `u${uniqueToken()}`;
  seeded = await seedRun(db.access, token, Date.now());
  const base: Config = {
    ...db.config,
    agents: [seeded.coder, seeded.researcher],
    api: { ...db.config.api, port: 0, host: '127.0.0.1', authToken: undefined },
  };
  reader = createClickHouseClient({
    ...base,
    clickhouse: {
      ...base.clickhouse,
      username: base.api.clickhouseUser,
      password: base.api.clickhousePassword,
    },
  });
  cleanups.push(() => reader.close());
  const logger = testLogger();
  const kafka = createKafka(base, logger, 'it-ui');
  admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  await ensureTopics(admin, [{ topic: ERRORS_TOPIC, numPartitions: 3, replicationFactor: 1 }]);
  producer = await createTestProducer(base);
  cleanups.push(() => producer.close());
  tap = createKafkaTap({
    config: base,
    kafka,
    codec: createCodec(base),
    hub,
    logger,
    metrics: createApiMetrics({ processMetrics: false }),
  });
  cleanups.push(() => admin.deleteGroups([tap.groupId]));
  await tap.start();
  cleanups.push(() => tap.stop());
  await tap.assigned();
  // the tap starts at the latest offsets: wait until an error produced now comes through
  const seen = new Set<string>();
  const stop = hub.subscribe((event) => {
    if (event.kind === 'error') seen.add(event.value.error_id);
  });
  let probes = 0;
  const ready = await eventually(async () => {
    const id = `${token}-probe-${probes++}`;
    await producer.send(ERRORS_TOPIC, 'DetailedError', [
      sampleError({ error_id: id, agent_name: `${token}-probe` }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return seen.has(id);
  }, 60_000);
  stop();
  expect(ready).toBe(true);
  open = await startApi(base);
  cleanups.push(() => open.api.stop());
  guarded = await startApi({ ...base, api: { ...base.api, authToken: AUTH_TOKEN } });
  cleanups.push(() => guarded.api.stop());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

/** Produces an error for a seeded agent and resolves to the time the broker acknowledged it. */
async function produceError(id: string): Promise<void> {
  await producer.send(ERRORS_TOPIC, 'DetailedError', [
    sampleError({
      error_id: id,
      agent_name: seeded.coder,
      error_type: 'SandboxCrash',
      error_message: `sandbox exited with 137 (${id})`,
      severity: 'critical',
      category: 'tool_error',
      timestamp: Date.now(),
    }),
  ]);
}

describe('dashboard', () => {
  it('shows the seeded agents, queues, pending tasks, error groups, activity and diagnosis', async () => {
    const { page, problems } = await newPage();
    try {
      const response = await page.goto(`${open.base}/ui`);
      expect(response?.status()).toBe(200);
      expect(page.url()).toBe(`${open.base}/ui/`);
      const agents = page.locator('#agents tbody tr');
      await expect.poll(() => agents.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      const coder = page.locator(`#agents tr[data-agent="${seeded.coder}"]`);
      const researcher = page.locator(`#agents tr[data-agent="${seeded.researcher}"]`);
      await expect.poll(() => coder.textContent()).toContain('alive');
      // the coder's queue STALLs (ERR): critical though alive; the researcher's heartbeat is 10 min old
      expect(await coder.getAttribute('data-health')).toBe('critical');
      expect(await researcher.textContent()).toContain('dead');
      expect(await researcher.getAttribute('data-health')).toBe('critical');

      const queue = page.locator(`#queues tr[data-queue="${seeded.coder}"]`);
      expect(await queue.textContent()).toContain('ERR');
      expect(await queue.textContent()).toContain('STALL');

      const pending = page.locator('#pending tbody tr');
      expect(await pending.count()).toBe(1);
      const t2 = page.locator(`#pending tr[data-task="${seeded.ids.t2}"]`);
      const t2Text = await t2.textContent();
      expect(t2Text).toContain(seeded.coder);
      expect(t2Text).toContain('critical');
      expect(t2Text).toMatch(/\d+ (s|min)/);

      const groups = page.locator('#error-groups tbody tr');
      expect(await groups.count()).toBe(2);
      const llm = page.locator(`#error-groups tr[data-fingerprint="${token}-fp-llm"]`);
      expect(await llm.textContent()).toContain('RateLimitError');
      expect(await llm.locator('svg.sparkline polyline').count()).toBe(1);

      const charts = page.locator('#activity figure.activity');
      expect(await charts.count()).toBeGreaterThanOrEqual(3);
      const researcherChart = page.locator(`#activity figure[data-agent="${seeded.researcher}"]`);
      expect(await researcherChart.textContent()).toContain('2 errors');
      expect(await researcherChart.locator('polyline.line-messages').getAttribute('points')).toMatch(/\d/);

      await expect.poll(() => page.locator('#diagnosis .diagnosis').count(), { timeout: 15_000 }).toBe(1);
      expect(await page.locator('#diagnosis').textContent()).toMatch(/critical|degraded|healthy/);
      await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('opens the history of a pending task across agents', async () => {
    const { page, problems } = await newPage();
    try {
      await page.goto(`${open.base}/ui/`);
      const row = page.locator(`#pending tr[data-task="${seeded.ids.t2}"]`);
      await row.click({ timeout: 10_000 });
      const dialog = page.locator('#task-drill-down');
      await expect
        .poll(() => dialog.locator('tr[data-state]').count(), { timeout: 5_000 })
        .toBeGreaterThan(0);
      expect(await dialog.isVisible()).toBe(true);
      expect(await dialog.locator(`tr[data-agent="${seeded.coder}"]`).getAttribute('data-state')).toBe(
        'pending',
      );
      const history = await dialog.locator('.timeline').textContent();
      expect(history).toContain(`${seeded.orchestrator} → ${seeded.coder}`);
      // the coder's error reported against this task is part of its history
      expect(history).toContain('ToolError');
      expect(await dialog.textContent()).toContain(seeded.ids.tr1);
      await page.screenshot({ path: join(ARTIFACTS, 'drill-down.png') });
      await dialog.locator('button.close').click();
      expect(await dialog.isVisible()).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows a new error from Kafka in the live feed within 2 s', async () => {
    const { page, problems } = await newPage();
    try {
      await page.goto(`${open.base}/ui/`);
      await page.locator('.feed-status[data-state="live"]').waitFor({ timeout: 10_000 });
      const id = `${seeded.coder}-live-${uniqueToken()}`;
      const entry = page.locator(`#live-feed li[data-error-id="${id}"]`);
      const started = Date.now();
      const [appeared] = await Promise.all([
        entry.waitFor({ state: 'visible', timeout: 2_000 }).then(() => Date.now() - started),
        produceError(id),
      ]);
      expect(appeared).toBeLessThanOrEqual(2_000);
      await writeFile(
        join(ARTIFACTS, 'live-feed-latency.json'),
        `${JSON.stringify({ error_id: id, produce_to_visible_ms: appeared })}\n`,
      );
      expect(await entry.textContent()).toContain('SandboxCrash');
      expect(await entry.textContent()).toContain(seeded.coder);
      // a filter on another agent hides it; "errors only" keeps it
      await page.locator('#feed input[type=search]').fill(seeded.researcher);
      expect(await entry.isVisible()).toBe(false);
      await page.locator('#feed input[type=search]').fill(seeded.coder);
      await page.locator('#feed-errors-only').check();
      expect(await entry.isVisible()).toBe(true);
      await page.locator('#feed').screenshot({ path: join(ARTIFACTS, 'live-feed.png') });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('asks for the token when auth is on, refuses a wrong one, and works with the right one', async () => {
    const { page, problems } = await newPage();
    try {
      const response = await page.goto(`${guarded.base}/ui/`);
      expect(response?.status()).toBe(200);
      const form = page.locator('#token-form');
      await form.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('#agents tbody tr').count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, 'auth-token-form.png') });

      await page.locator('#token').fill('not-the-token-at-all');
      await page.locator('#token-form button[type=submit]').click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 5_000 })
        .toContain('refused');
      expect(await form.isVisible()).toBe(true);

      await page.locator('#token').fill(AUTH_TOKEN);
      await page.locator('#token-form button[type=submit]').click();
      await page.locator(`#agents tr[data-agent="${seeded.coder}"]`).waitFor({ timeout: 10_000 });
      expect(await form.isVisible()).toBe(false);
      expect(await page.evaluate(() => sessionStorage.getItem('agent-telemetry.token'))).toBe(AUTH_TOKEN);

      // the WebSocket carries the token too: a new error arrives on the guarded API's feed
      await page.locator('.feed-status[data-state="live"]').waitFor({ timeout: 10_000 });
      const id = `${seeded.coder}-auth-${uniqueToken()}`;
      await produceError(id);
      await page.locator(`#live-feed li[data-error-id="${id}"]`).waitFor({ timeout: 2_000 });

      // a reload keeps the token for the tab
      await page.reload();
      await page.locator(`#agents tr[data-agent="${seeded.coder}"]`).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'auth-on.png'), fullPage: true });
      // the browser reports the refused requests of the wrong token as console errors: those only
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('counts messages received and sent and errors reported per minute per agent', async () => {
    const response = await fetch(`${open.base}/api/v1/agents/activity?window_minutes=10`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      window_minutes: number;
      minutes: string[];
      agents: { agent_name: string; received: number[]; sent: number[]; errors: number[] }[];
    };
    expect(body.window_minutes).toBe(10);
    expect(body.minutes).toHaveLength(10);
    expect(Date.parse(body.minutes[9] ?? '')).toBe(Math.floor(Date.now() / 60_000) * 60_000);
    const sums = Object.fromEntries(
      body.agents.map((a) => [
        a.agent_name,
        [a.received, a.sent, a.errors].map((values) => {
          expect(values).toHaveLength(10);
          return values.reduce((x, y) => x + y, 0);
        }),
      ]),
    );
    // seeded: T1, T2 to the coder, R1 back, its heartbeat on its own queue; T3 to the researcher,
    // E1 back (its heartbeat is older than the window); errors 1 and 2
    expect(sums).toEqual({
      [seeded.coder]: [3, 2, 1],
      [seeded.researcher]: [1, 1, 2],
      [seeded.orchestrator]: [2, 3, 0],
    });
    const bad = await fetch(`${open.base}/api/v1/agents/activity?window_minutes=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { parameter: string }).parameter).toBe('window_minutes');
  });

  it('serves the page without a token but the data only with one', async () => {
    expect((await fetch(`${guarded.base}/ui/app.js`)).status).toBe(200);
    expect((await fetch(`${guarded.base}/ui/nothing.js`)).status).toBe(404);
    expect((await fetch(`${guarded.base}/api/v1/agents/activity`)).status).toBe(401);
    const page = await fetch(`${guarded.base}/ui/`);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const etag = page.headers.get('etag') ?? '';
    expect((await fetch(`${guarded.base}/ui/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});
