import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { createKafkaView, type KafkaView } from '../kafka-view.js';
import { diagnose, type DiagnosisSettings } from './diagnose.js';
import { THRESHOLDS } from './test-support/fact-fixtures.js';
import { toPrompt, toSummary } from './format.js';
import { ScenarioName, seedScenario, teamOf } from './test-support/seed-scenarios.js';
import { Seeder } from './test-support/seed.js';

/**
 * Every fault scenario, seeded into a fresh database as the processors would have stored it, must
 * come out of the real queries with the right agent and cause on top; healthy traffic must come out
 * healthy.
 */
describe('diagnosis over seeded ClickHouse data', () => {
  const logger = testLogger();
  let admin: Admin;
  let kafka: KafkaView;
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    admin = createKafka(testConfig(), logger, 'it-diagnosis').admin();
    await admin.connect();
    kafka = createKafkaView(admin);
  });

  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    await admin.disconnect();
  });

  async function seeded(name: ScenarioName, historyMinutes = 75) {
    const db = await createTestDatabase('diag');
    databases.push(db);
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    const team = teamOf(uniqueToken());
    const nowMs = Date.now();
    const seeder = new Seeder();
    const expected = seedScenario(seeder, name, team, nowMs, historyMinutes);
    await seeder.flush(db.access);
    const settings: DiagnosisSettings = {
      thresholds: THRESHOLDS,
      llmLimits: [{ provider: 'openai', model: 'gpt-4o-mini', tpm_max: 200_000, rpm_max: 500 }],
      baselineWindows: 4,
      agents: [],
    };
    const report = await diagnose({ reader: db.access, kafka, logger }, settings, { minutes: 15, nowMs });
    return { report, expected, team, nowMs };
  }

  it('reports healthy traffic as healthy', async () => {
    const { report } = await seeded('healthy');
    expect(report.issues.items.filter((i) => i.severity !== 'low' && i.severity !== 'info')).toEqual([]);
    expect(report.metadata.system_status).toBe('healthy');
    expect(report.health_score).toBe(100);
    expect(report.performance.agents.length).toBe(4);
    expect(report.errors.total).toBe(0);
  });

  it('reports a short healthy run (no baseline) as healthy', async () => {
    const { report } = await seeded('healthy', 3);
    expect(report.issues.items.filter((i) => i.severity !== 'low' && i.severity !== 'info')).toEqual([]);
    expect(report.metadata.system_status).toBe('healthy');
  });

  for (const [name, history] of ScenarioName.filter((n) => n !== 'healthy').flatMap((n) => [
    [n, 75] as const,
    [n, 3] as const,
  ])) {
    it(`puts the cause of "${name}" first, naming the agent (${history} min of history)`, async () => {
      const { report, expected } = await seeded(name, history);
      const top = report.issues.items[0];
      expect(expected).toBeDefined();
      expect({ kind: top?.kind, agent: top?.affected_components[0] }).toEqual({
        kind: expected?.kind,
        agent: expected?.agent,
      });
      expect(report.metadata.system_status).not.toBe('healthy');
      expect(top?.suggested_actions.length).toBeGreaterThan(0);
      expect(report.suggested_actions[0]?.related_issue_id).toBe(top?.id);
      expect(top?.evidence).not.toEqual({});
    });
  }

  it('honours the window: a fault older than the window and its baseline is not reported', async () => {
    const { report, nowMs } = await seeded('cascade');
    const settings: DiagnosisSettings = {
      thresholds: THRESHOLDS,
      llmLimits: [],
      baselineWindows: 4,
      agents: [],
    };
    const db = databases[databases.length - 1];
    if (db === undefined) throw new Error('no database');
    // one minute of window ending before the seeded cascade started (10 minutes ago)
    const earlier = await diagnose({ reader: db.access, kafka, logger }, settings, {
      minutes: 1,
      nowMs: nowMs - 10 * 60_000,
    });
    expect(report.issues.items.some((i) => i.kind === 'cascading_failure')).toBe(true);
    expect(earlier.issues.items.some((i) => i.kind === 'cascading_failure')).toBe(false);
    expect(earlier.errors.total).toBe(0);
  });

  it('renders the summary and a prompt within its token budget', async () => {
    const { report, expected } = await seeded('retry-storm');
    const summary = toSummary(report);
    expect(summary.issue_counts.total).toBe(report.issues.items.length);
    expect(summary.top_issues[0]?.affected_components[0]).toBe(expected?.agent);
    const prompt = toPrompt(report, 300);
    expect(prompt.estimated_tokens).toBeLessThanOrEqual(300);
    expect(prompt.content).toContain(expected?.agent ?? '?');
    const roomy = toPrompt(report, 20_000);
    expect(roomy.truncated).toBe(false);
    expect(roomy.content.length).toBeGreaterThan(prompt.content.length);
  });
});
