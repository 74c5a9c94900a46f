import { randomUUID } from 'node:crypto';
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
import type { AgentMessage } from '../../schemas/records.js';
import { diagnose, type DiagnosisSettings } from './diagnose.js';
import { THRESHOLDS } from './test-support/fact-fixtures.js';
import { seedHealthy, teamOf } from './test-support/seed-scenarios.js';
import { Seeder } from './test-support/seed.js';

/**
 * The message-graph and self-relative detectors over the real queries: one database with healthy
 * traffic of a team plus one fault per fresh agent; each fault must be found, first among the
 * issues naming its agent, and the healthy team must stay clean.
 */
describe('message-graph diagnosis over seeded ClickHouse data', () => {
  const logger = testLogger();
  let admin: Admin;
  let kafka: KafkaView;
  let db: TestDatabase;

  beforeAll(async () => {
    admin = createKafka(testConfig(), logger, 'it-graph').admin();
    await admin.connect();
    kafka = createKafkaView(admin);
    db = await createTestDatabase('graph');
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
  });

  afterAll(async () => {
    await db.drop();
    await admin.disconnect();
  });

  it('finds loops, orphans, duplicates, expiries, late answers and regressions, cause first', async () => {
    const token = uniqueToken();
    const name = (n: string) => `${n}-${token}`;
    const team = teamOf(token);
    const now = Date.now();
    const s = new Seeder();
    seedHealthy(s, team, now, 20);
    /** TASKs back and forth between a and b, one a second from 20 s ago. */
    const backAndForth = (
      a: string,
      b: string,
      hops: number,
      fields: (hop: number) => Partial<AgentMessage>,
    ) => {
      for (let i = 0; i < hops; i++) {
        const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
        s.message({
          message_id: randomUUID(),
          source_agent: from,
          target_agent: to,
          message_type: 'task',
          timestamp: now - 20_000 + i * 1_000,
          ...fields(i),
        });
      }
    };
    const trace = randomUUID().replaceAll('-', '');
    backAndForth(name('ping'), name('pong'), 6, (hop) => ({
      trace_id: trace,
      payload: JSON.stringify({ goal: 'Who owns the outage?', hop }),
    }));
    // a loop of a job without a trace id, its goal in the reason; and a cycle of different goals
    // (a question back to the requester), which is no loop
    const job = `job-${token}`;
    backAndForth(name('tick'), name('tock'), 4, () => ({
      job_id: job,
      payload: '{"n":1}',
      reason: 'Reconcile the ledger',
    }));
    const asked = randomUUID().replaceAll('-', '');
    for (const [from, to, goal] of [
      [name('ask'), name('tell'), 'draft the summary'],
      [name('tell'), name('ask'), 'which quarter?'],
    ] as const) {
      s.message({
        message_id: randomUUID(),
        source_agent: from,
        target_agent: to,
        message_type: 'task',
        timestamp: now - 20_000,
        trace_id: asked,
        payload: JSON.stringify({ goal }),
      });
    }
    for (let i = 0; i < 5; i++) s.answer(randomUUID(), name('rogue'), name('boss'), now - 20_000 + i * 500);
    for (let i = 0; i < 3; i++) {
      const task = s.task({ agent: name('dup'), requester: name('boss'), atMs: now - 30_000 });
      for (let k = 0; k < 4; k++) s.answer(task, name('dup'), name('boss'), now - 29_000 + k * 100);
    }
    for (let i = 0; i < 4; i++)
      s.task({ agent: name('lazy'), requester: name('boss'), atMs: now - 60_000, ttlS: 10 });
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      s.message({
        message_id: id,
        source_agent: name('boss'),
        target_agent: name('late'),
        message_type: 'task',
        timestamp: now - 50_000,
        deadline: now - 40_000,
      });
      s.answer(id, name('late'), name('boss'), now - 30_000);
    }
    // 14 minutes at 50 ms, then 1.5 s over the last 14 s; cheap calls, then ten times the tokens
    for (let at = now - 14 * 60_000; at < now - 2_000; at += 2_000) {
      const recent = at >= now - 14_000;
      s.roundTrip(name('fast'), name('boss'), at, recent ? 1_500 : 50, {
        calls: [{ model: 'tiny', promptTokens: recent ? 9_000 : 900, completionTokens: 100 }],
      });
    }
    // beats every 5 s, stopped 30 s ago with a task in hand: down by its own rhythm, before the 60 s timeout
    s.heartbeatsBetween(name('gone'), now - 5 * 60_000, now - 30_000, 5_000);
    s.task({ agent: name('gone'), requester: name('boss'), atMs: now - 32_000 });
    await s.flush(db.access);
    const settings: DiagnosisSettings = {
      thresholds: THRESHOLDS,
      llmLimits: [],
      baselineWindows: 4,
      agents: [],
    };
    const report = await diagnose({ reader: db.access, kafka, logger }, settings, {
      minutes: 15,
      nowMs: now,
    });
    const items = report.issues.items;
    const firstFor = (agent: string) => items.find((i) => i.affected_components.includes(agent));
    const seen = items.map((i) => `${i.id} [${i.severity}]`).join('\n');
    expect(firstFor(name('ping'))?.kind, seen).toBe('delegation_loop');
    expect(firstFor(name('ping'))?.evidence.cycle, seen).toEqual([name('ping'), name('pong'), name('ping')]);
    expect(firstFor(name('ping'))?.evidence.goal, seen).toBe('who owns the outage?');
    expect(firstFor(name('tick'))?.kind, seen).toBe('delegation_loop');
    expect(firstFor(name('tick'))?.related_trace_ids, seen).toEqual([job]);
    expect(firstFor(name('tick'))?.evidence.goal, seen).toBe('reconcile the ledger');
    expect(
      items.filter((i) => i.affected_components.includes(name('ask'))),
      seen,
    ).toEqual([]);
    expect(firstFor(name('rogue'))?.kind, seen).toBe('orphan_answers');
    expect(firstFor(name('dup'))?.kind, seen).toBe('duplicate_answers');
    expect(firstFor(name('dup'))?.evidence.extra_answers, seen).toBe(9);
    expect(firstFor(name('lazy'))?.kind, seen).toBe('expired_tasks');
    // 20 s answers make the agent slow as well: the deadlines it misses follow from that
    const late = items.find((i) => i.id === `missed_deadlines:${name('late')}`);
    expect(late?.evidence.answered_late, seen).toBe(3);
    expect(late?.explained_by, seen).toBe(`slow_agent:${name('late')}`);
    const fast = items.filter((i) => i.affected_components[0] === name('fast')).map((i) => i.kind);
    expect(fast, seen).toEqual(expect.arrayContaining(['latency_regression', 'llm_cost_regression']));
    expect(fast[0], seen).toBe('latency_regression');
    expect(firstFor(name('gone'))?.id, seen).toBe(`dead_agent:${name('gone')}`);
    const team5 = Object.values(team);
    expect(
      items.filter((i) => i.affected_components.some((a) => team5.includes(a))).map((i) => i.id),
    ).toEqual([]);
  });
});
