import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaView, type KafkaView } from '../api/kafka-view.js';
import { diagnose } from '../api/diagnosis/diagnose.js';
import { diagnosisSettings } from '../api/diagnosis/module.js';
import {
  SCENARIO_EXPECTATIONS,
  SCENARIO_ROLES,
} from '../api/diagnosis/test-support/scenario-expectations.js';
import type { Config } from '../lib/config.js';
import { createKafka, type Admin } from '../lib/kafka.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { migrate } from '../lib/migrations.js';
import { quoteString } from '../lib/sql.js';
import { DEAD_LETTERS } from '../lib/tables/dead-letters.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import {
  createTestDatabase,
  createTestProducer,
  startGroupsAtEnd,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import { ensureTopics, sharedTopics } from '../lib/topics.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { benchToken } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { startAgents, startSynthetic } from './diagnosis-drivers.js';
import {
  falseAlarms,
  percentile,
  rankOf,
  resultLine,
  type CaseExpectation,
  type CaseResult,
  type IssueView,
} from './diagnosis-score.js';
import { healthySynthetic, syntheticCases, type SyntheticCase } from './diagnosis-synthetic.js';
import { say } from './report.js';
import { recordBenchRun } from './results.js';

/**
 * Diagnosis scorecard: every agents fault scenario and every synthetic message-graph fault run for
 * real (Kafka, the processors, ClickHouse 18.16) into one fresh database, each alone, then several
 * mixed, plus a healthy run. For each case: whether the right issue was reported, its rank among
 * the issues naming the case's agents, and the seconds from the fault's onset to the first report.
 * The last line is the machine-readable RESULT line. See bench/README.md.
 */

const CLI = new URL('../cli/main.js', import.meta.url);
const AGENTS_WAIT_MS = 90_000;
const SYNTHETIC_WAIT_MS = 30_000;
const HEALTHY_MS = 45_000;
const POLL_MS = 1_000;

interface Ctx {
  config: Config;
  logger: Logger;
  db: TestDatabase;
  kafka: KafkaView;
  env: NodeJS.ProcessEnv;
  /** The real API over the scorecard's database, asked for a summary during each mixed run. */
  apiBase: string;
}

interface Watched extends CaseExpectation {
  run: string;
  scenario: string;
  onsetMs: () => Promise<number | undefined>;
}

async function issuesNow(ctx: Ctx): Promise<IssueView[]> {
  const report = await diagnose(
    { reader: ctx.db.access, kafka: ctx.kafka, logger: ctx.logger },
    diagnosisSettings(ctx.config),
    {
      minutes: 15,
      nowMs: Date.now(),
    },
  );
  return report.issues.items;
}

/** Diagnoses every second until every case's right issue is first, or each case's wait is over. */
async function observe(ctx: Ctx, cases: readonly Watched[], waitMs: number): Promise<CaseResult[]> {
  const state = cases.map((c) => ({
    c,
    onset: undefined as number | undefined,
    detectS: undefined as number | undefined,
    rank: undefined as number | undefined,
    top: '',
  }));
  const began = Date.now();
  const took: number[] = [];
  for (;;) {
    for (const s of state) s.onset ??= await s.c.onsetMs();
    const asked = Date.now();
    const items = await issuesNow(ctx);
    const at = Date.now();
    took.push(at - asked);
    for (const s of state) {
      s.rank = rankOf(items, s.c);
      s.top = items.find((i) => i.affected_components.some((a) => s.c.agents.includes(a)))?.id ?? '-';
      if (s.rank !== undefined && s.detectS === undefined && s.onset !== undefined)
        s.detectS = Math.max(0, (at - s.onset) / 1000);
    }
    const over = state.every((s) => (s.onset ?? began) + waitMs < at);
    if (state.every((s) => s.rank === 1) || over) break;
    await sleep(POLL_MS);
  }
  // a detection time holds the diagnosis's own time, so that time is printed with the run
  say(
    `${cases[0]?.run ?? ''} ${cases.map((c) => c.scenario).join(',')}: ${took.length} diagnoses, each ${(percentile(took, 0.5) / 1000).toFixed(1)} s (p50), ${(Math.max(...took) / 1000).toFixed(1)} s (max)`,
  );
  return state.map((s) => ({
    run: s.c.run,
    scenario: s.c.scenario,
    detectS: s.detectS,
    rank: s.rank,
    top: s.top,
  }));
}

/**
 * When the fault began to act: the first task reached the faulty agent (every agents scenario acts
 * on the faulty agent's work), or the first dead letter landed on its queue (poison).
 */
function agentsOnset(ctx: Ctx, names: readonly string[]): () => Promise<number | undefined> {
  const list = names.map(quoteString).join(', ');
  const topics = names.map((n) => quoteString(queueTopic(n))).join(', ');
  return async () => {
    const [row] = await ctx.db.access.query<{ t: number | string; d: number | string }>(`
      SELECT (SELECT min(sent_at_ms) FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND target_agent IN (${list})) AS t,
             (SELECT min(observed_at_ms) FROM ${DEAD_LETTERS} WHERE topic IN (${topics})) AS d`);
    const found = [Number(row?.t ?? 0), Number(row?.d ?? 0)].filter((v) => v > 0);
    return found.length === 0 ? undefined : Math.min(...found);
  };
}

const roleNames = (suffix: string): string[] => SCENARIO_ROLES.map((role) => `${role}-${suffix}`);

function agentsCase(run: string, scenario: string, suffix: string, ctx: Ctx): Watched {
  const expectation = SCENARIO_EXPECTATIONS.find((e) => e.scenario === scenario)?.expect;
  if (expectation === undefined) throw new Error(`no expectation for ${scenario}`);
  const names = roleNames(suffix);
  return {
    run,
    scenario,
    agents: names,
    agent: `${expectation.role}-${suffix}`,
    kinds: expectation.kinds,
    onsetMs: agentsOnset(ctx, [`${expectation.role}-${suffix}`]),
  };
}

function syntheticWatch(run: string, c: SyntheticCase, onset: () => number | undefined): Watched {
  return {
    run,
    scenario: c.name,
    agents: c.agents,
    agent: c.expect.agent,
    kinds: c.expect.kinds,
    onsetMs: () => Promise.resolve(onset()),
  };
}

/** One run: agents scenarios and synthetic cases together; the synthetic faults start after their history. */
async function runCases(
  ctx: Ctx,
  run: string,
  agentRuns: readonly { scenario: string; suffix: string }[],
  synthetic: readonly SyntheticCase[],
): Promise<CaseResult[]> {
  const producer = await createTestProducer(ctx.config);
  const children: BenchChild[] = agentRuns.map((a) =>
    startAgents(CLI, a.scenario, roleNames(a.suffix), ctx.env),
  );
  const driver =
    synthetic.length === 0 ? undefined : await startSynthetic(ctx.config, ctx.logger, producer, synthetic);
  try {
    if (driver !== undefined) {
      // the history is ingested and the consumers have joined before the fault starts
      await sleep(5_000);
      driver.fault();
    }
    const watched = [
      ...agentRuns.map((a) => agentsCase(run, a.scenario, a.suffix, ctx)),
      ...synthetic.map((c) => syntheticWatch(run, c, () => driver?.onsetMs)),
    ];
    const results = await observe(ctx, watched, agentRuns.length > 0 ? AGENTS_WAIT_MS : SYNTHETIC_WAIT_MS);
    // a miss says whether the fault ever acted and what the agents process said, so a broken run is
    // not read as a blind diagnosis
    for (const [i, child] of children.entries()) {
      const missed = results.find((r) => r.scenario === agentRuns[i]?.scenario && r.detectS === undefined);
      if (missed === undefined) continue;
      const onset = await watched.find((w) => w.scenario === missed.scenario)?.onsetMs();
      say(
        `${run} ${missed.scenario}: not detected; ${onset === undefined ? 'no task reached the faulty agent' : `onset ${new Date(onset).toISOString()}`}; agents process ${child.running() ? 'running' : 'exited'}; its last stderr lines:\n${child.stderrTail() || '(none)'}`,
      );
    }
    if (run.startsWith('mixed')) {
      const url = `${ctx.apiBase}/api/v1/claude/diagnose?format=summary`;
      const response = await fetch(url);
      say(`${run}: GET ${url} -> ${response.status}`);
      say(JSON.stringify(await response.json()));
    }
    return results;
  } finally {
    await Promise.all([...children.map((c) => c.stop(20_000)), driver?.stop()]);
    await producer.close();
  }
}

/** The healthy run: the agents' healthy scenario and healthy synthetic traffic; any alarm about them is false. */
async function healthyRun(ctx: Ctx, suffix: string): Promise<{ alarms: string[]; low: string[] }> {
  const producer = await createTestProducer(ctx.config);
  const synthetic = healthySynthetic(suffix);
  const agents = startAgents(CLI, 'healthy', roleNames(suffix), ctx.env);
  const driver = await startSynthetic(ctx.config, ctx.logger, producer, [synthetic]);
  const names = [...roleNames(suffix), ...synthetic.agents];
  const alarms = new Set<string>();
  const low = new Set<string>();
  try {
    const end = Date.now() + HEALTHY_MS;
    while (Date.now() < end) {
      await sleep(3_000);
      const items = await issuesNow(ctx);
      for (const i of falseAlarms(items, names)) alarms.add(`${i.id} [${i.severity}]`);
      for (const i of items.filter((x) => x.affected_components.some((a) => names.includes(a))))
        low.add(i.id);
    }
  } finally {
    await Promise.all([agents.stop(20_000), driver.stop()]);
    await producer.close();
  }
  return {
    alarms: [...alarms],
    low: [...low].filter((id) => ![...alarms].some((a) => a.startsWith(`${id} `))),
  };
}

function line(r: CaseResult): string {
  const detected = r.detectS !== undefined ? 'yes' : 'NO';
  const rank = r.rank === undefined ? '-' : String(r.rank);
  const secs = r.detectS === undefined ? '-' : r.detectS.toFixed(1);
  return `${r.run.padEnd(8)} ${r.scenario.padEnd(22)} ${detected.padEnd(9)} ${rank.padEnd(5)} ${secs.padStart(9)}   ${r.top}`;
}

/** `--only a,b`: run only these scenarios (names, `healthy`, `mixed-1`, `mixed-2`); for a quick look. */
function onlyOption(argv: readonly string[]): (name: string) => boolean {
  const list = onlyList(argv);
  return (name) => list === undefined || list.includes(name);
}

function onlyList(argv: readonly string[]): string[] | undefined {
  const at = argv.indexOf('--only');
  return at < 0 ? undefined : (argv[at + 1] ?? '').split(',');
}

async function main(): Promise<void> {
  const wanted = onlyOption(process.argv.slice(2));
  const logger = createLogger({ level: 'warn', component: 'bench-diagnosis' });
  const token = benchToken();
  const db = await createTestDatabase('bdiag');
  const processorGroup = `bench-diag-${token}`;
  // the diagnosis judges the processors' progress by their group, as the API does
  const config = { ...db.config, processors: { ...db.config.processors, groupId: processorGroup } };
  const admin: Admin = createKafka(config, logger, `bench-diagnosis-${token}`).admin();
  await admin.connect();
  const alone = syntheticCases(`${token}s`);
  const mixed = syntheticCases(`${token}m`);
  const pick = (names: string[]) => mixed.filter((c) => names.includes(c.name));
  const mixA = pick(['delegation-loop', 'orphan-answers', 'duplicate-answers', 'latency-regression']);
  const mixB = pick(['expired-tasks', 'error-rate-regression', 'llm-cost-regression', 'deep-delegation']);
  const faults = SCENARIO_EXPECTATIONS.filter((e) => e.expect !== undefined).map((e) => e.scenario);
  const agentSuffixes = [`${token}h`, ...faults.map((_, i) => `${token}a${i}`), `${token}ma`, `${token}mb`];
  const topics = [
    ...agentSuffixes.flatMap(roleNames),
    ...[...alone, ...mixed, healthySynthetic(`${token}h`)].flatMap((c) => c.agents),
  ].map(queueTopic);
  const processors: BenchChild[] = [];
  try {
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    await ensureTopics(admin, [
      ...[...new Set(topics)].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
      ...sharedTopics(config),
    ]);
    await startGroupsAtEnd(config, [processorGroup], [ERRORS_TOPIC]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CLICKHOUSE_DATABASE: db.name,
      PROCESSOR_GROUP_ID: processorGroup,
      PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-.*-${token}[a-z0-9]*$`,
      PROCESSOR_HTTP_PORT: '0',
      LAG_SAMPLE_INTERVAL_MS: '2000',
      LOG_LEVEL: 'warn',
    };
    processors.push(
      spawnBenchChild({
        name: 'processors',
        script: CLI,
        args: ['processors'],
        env,
        onStderrLine: () => undefined,
      }),
    );
    const port = await freePort();
    const apiEnv: NodeJS.ProcessEnv = {
      ...env,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      API_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'error',
    };
    delete apiEnv.API_AUTH_TOKEN;
    const api = spawnBenchChild({
      name: 'api',
      script: CLI,
      args: ['api'],
      env: apiEnv,
      onStderrLine: () => undefined,
    });
    processors.push(api);
    const apiBase = `http://127.0.0.1:${port}`;
    await waitForHttpOk(`${apiBase}/ready`, api, 60_000, AbortSignal.timeout(120_000));
    const ctx: Ctx = { config, logger, db, kafka: createKafkaView(admin, { cacheMs: 0 }), env, apiBase };
    await sleep(8_000);
    say(
      `diagnosis scorecard ${token}: database ${db.name} (ClickHouse 18.16), window 15 min, polled every ${POLL_MS / 1000} s`,
    );
    say(
      `${'run'.padEnd(8)} ${'scenario'.padEnd(22)} ${'detected'.padEnd(9)} ${'rank'.padEnd(5)} ${'detect_s'.padStart(9)}   top issue of the case's agents`,
    );
    const results: CaseResult[] = [];
    const record = (list: CaseResult[]) => {
      for (const r of list) say(line(r));
      results.push(...list);
    };
    const healthy = wanted('healthy') ? await healthyRun(ctx, `${token}h`) : { alarms: [], low: [] };
    for (const [i, scenario] of faults.entries())
      if (wanted(scenario)) record(await runCases(ctx, 'alone', [{ scenario, suffix: `${token}a${i}` }], []));
    for (const c of alone) if (wanted(c.name)) record(await runCases(ctx, 'alone', [], [c]));
    if (wanted('mixed-1'))
      record(await runCases(ctx, 'mixed-1', [{ scenario: 'cascade', suffix: `${token}ma` }], mixA));
    if (wanted('mixed-2'))
      record(await runCases(ctx, 'mixed-2', [{ scenario: 'crashing-agent', suffix: `${token}mb` }], mixB));
    say(
      `healthy  false alarms: ${healthy.alarms.length === 0 ? 'none' : healthy.alarms.join(', ')}; low notes: ${healthy.low.length === 0 ? 'none' : healthy.low.join(', ')}`,
    );
    say(resultLine(results, healthy.alarms.length, AGENTS_WAIT_MS / 1000));
  } finally {
    await Promise.all(processors.map((p) => p.stop(20_000)));
    await admin.deleteTopics({ topics: [...new Set(topics)] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  }
}

const recording = recordBenchRun('diagnosis', process.argv.slice(2), process.env);
recording.setOptions({ only: onlyList(process.argv.slice(2)) ?? 'every case' });
try {
  await main();
  recording.finish(0);
} catch (error) {
  recording.finish(1);
  throw error;
}
