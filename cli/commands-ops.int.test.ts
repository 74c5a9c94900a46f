import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../lib/kafka.js';
import { ensureTopics } from '../lib/topics.js';
import { migrate } from '../lib/migrations.js';
import {
  createTestDatabase,
  createTestProducer,
  testLogger,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../lib/test-support/helpers.js';
import { sampleTask } from '../schemas/test-support/fixtures.js';
import { queueTopic } from '../schemas/topics.js';
import { seedScenario, teamOf, workers, type Team } from '../api/diagnosis/test-support/seed-scenarios.js';
import { Seeder } from '../api/diagnosis/test-support/seed.js';

/**
 * The people CLI as a script uses it: the built binary against a fresh database holding the
 * stuck-task scenario, its `--json` answers and its exit codes (0 nothing to report, 1 issues,
 * 2 usage, 3 ClickHouse unavailable), and `watch` following records produced to Kafka.
 */
let db: TestDatabase;
let team: Team;
let producer: TestProducer;
const watched = `w${uniqueToken()}-coder`;

function env(overrides: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return {
    ...out,
    CLICKHOUSE_DATABASE: db.name,
    AGENT_NAMES: [team.orchestrator, ...workers(team)].join(','),
    DIAGNOSIS_HEARTBEAT_TIMEOUT_S: '600',
    LOG_LEVEL: 'error',
    ...overrides,
  };
}

function cli(
  args: string[],
  overrides: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['dist/cli/main.js', ...args],
      { env: env(overrides), timeout: 60_000 },
      (error, out, err) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, out, err });
      },
    );
  });
}

beforeAll(async () => {
  db = await createTestDatabase('ops');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  team = teamOf(uniqueToken());
  const seeder = new Seeder();
  seedScenario(seeder, 'stuck-task', team, Date.now(), 20);
  await seeder.flush(db.access);
  const admin = createKafka(db.config, testLogger(), 'it-ops').admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: queueTopic(watched), numPartitions: 1, replicationFactor: 1 }]);
  await admin.disconnect();
  producer = await createTestProducer(db.config);
});

afterAll(async () => {
  await producer.close();
  const admin = createKafka(db.config, testLogger(), 'it-ops').admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [queueTopic(watched)] }).catch(() => undefined);
  await admin.disconnect();
  await db.drop();
});

describe('agent-telemetry status, errors, pending, diagnose, trace', () => {
  it('pending: the stuck reviewer tasks as JSON, exit 1; nothing pending, exit 0', async () => {
    const stuck = await cli(['pending', '--agent', team.reviewer, '--stuck-after', '30', '--json']);
    expect(stuck.code).toBe(1);
    const body = JSON.parse(stuck.out) as { count: number; stuck: number; tasks: { agent_name: string }[] };
    expect(body.count).toBeGreaterThan(0);
    expect(body.stuck).toBeGreaterThan(0);
    expect(new Set(body.tasks.map((t) => t.agent_name))).toEqual(new Set([team.reviewer]));
    const none = await cli(['pending', '--agent', team.writer]);
    expect([none.code, none.out.trim()]).toEqual([0, 'no pending tasks']);
  });

  it('errors and trace: the orchestrator timeouts, exit 1; the failed trace, exit 1; an unknown trace, exit 1', async () => {
    const errors = await cli(['errors', '--agent', team.orchestrator, '--json', '--limit', '3']);
    expect(errors.code).toBe(1);
    const body = JSON.parse(errors.out) as {
      total: number;
      errors: { trace_id: string; error_type: string }[];
    };
    expect(body.errors.map((e) => e.error_type)).toEqual(['HandoffError', 'HandoffError', 'HandoffError']);
    const table = await cli(['errors', '--agent', team.orchestrator, '--limit', '3']);
    expect(table.out).toMatch(/^TIME \(UTC\) +SEVERITY +AGENT +TYPE/);
    expect(table.out).toMatch(new RegExp(`3 of ${body.total} error\\(s\\)`));
    const trace = await cli(['trace', body.errors[0]?.trace_id ?? '']);
    expect(trace.code).toBe(1);
    expect(trace.out).toMatch(/: failed, \d+ message\(s\), 1 error\(s\)/);
    const unknown = await cli(['trace', 'f'.repeat(32)]);
    expect([unknown.code, unknown.err.trim()]).toEqual([1, `agent-telemetry: no trace ${'f'.repeat(32)}`]);
  });

  it('diagnose: the stuck reviewer named first, exit 1', async () => {
    const result = await cli(['diagnose', '--agent', team.reviewer]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(new RegExp(`^1 +\\S+ +stuck_tasks +.*${team.reviewer}`, 'm'));
  });

  it('status --all: every agent the narrower view shows, and more', async () => {
    type Status = { agents: { agent_name: string }[]; queues: { agent_name: string }[] };
    const shown = await cli(['status', '--json']);
    const all = await cli(['status', '--json', '--all']);
    expect(all.code).toBe(shown.code);
    expect(all.code).not.toBe(2);
    const names = (out: string) => (JSON.parse(out) as Status).agents.map((a) => a.agent_name);
    expect(names(all.out)).toEqual(expect.arrayContaining(names(shown.out)));
    expect(names(all.out)).toContain(team.reviewer);
  });

  it('exit 2 on a usage error, 3 when ClickHouse cannot be reached', async () => {
    expect((await cli(['errors', '--limit', '0'])).code).toBe(2);
    const down = await cli(['status'], { CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/^agent-telemetry: /);
  });
});

describe('agent-telemetry watch', () => {
  it('prints the records of the agent it follows as they reach Kafka, then stops at --count', async () => {
    const child = spawn('node', ['dist/cli/main.js', 'watch', '--json', '--agent', watched, '--count', '2'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes('watching')) resolve();
      });
      child.once('exit', (code) => {
        reject(new Error(`watch exited with ${String(code)} before following: ${err}`));
      });
    });
    // the tap starts at the latest offsets once assigned: produce until two records came through
    const ids: string[] = [];
    for (let i = 0; i < 60 && out.split('\n').filter(Boolean).length < 2; i++) {
      const id = `${watched}-${i}`;
      ids.push(id);
      await producer.send(queueTopic(watched), 'AgentMessage', [
        sampleTask({ message_id: id, source_agent: 'probe', target_agent: watched }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await exited).toBe(0);
    const lines = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; message_id: string; target_agent: string });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect([line.kind, line.target_agent]).toEqual(['message', watched]);
      expect(ids).toContain(line.message_id);
    }
  });
});
