import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  startGroupsAtEnd,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { ensureTopics } from '../../lib/topics.js';
import { ERRORS_TOPIC, queueTopic } from '../../schemas/topics.js';
import { createKafkaView, type KafkaView } from '../kafka-view.js';
import { diagnose, type DiagnosisReport, type IssueItem } from './diagnose.js';
import { diagnosisSettings } from './module.js';
import { SCENARIO_EXPECTATIONS, SCENARIO_ROLES } from './test-support/scenario-expectations.js';

/**
 * Every fault scenario of the agents (`agent-telemetry agents run --scenario <name>`), run for real
 * with the stream processors (`agent-telemetry processors`) into a fresh database: the diagnosis must
 * put the right cause first, naming the right agent, and call a healthy run healthy. Other runs may
 * write to the shared errors topic meanwhile, so only issues about this run's agents are judged.
 */
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ROLES = SCENARIO_ROLES;
const CASES = SCENARIO_EXPECTATIONS;

/** How long a scenario may take to show its cause, and how long a healthy run is watched. */
const DEADLINE_MS = 150_000;
const HEALTHY_RUN_MS = 45_000;

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    // the last 16 KiB of the log, for a failure message
    tail = (tail + chunk.toString('utf8')).slice(-16_384);
  });
  return { child, log: () => tail };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('diagnosis of the agents fault scenarios', () => {
  const logger = testLogger();
  let admin: Admin;
  let kafka: KafkaView;

  beforeAll(async () => {
    admin = createKafka(testConfig(), logger, 'it-scenarios').admin();
    await admin.connect();
    kafka = createKafkaView(admin, { cacheMs: 0 });
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  for (const c of CASES) {
    it(
      `${c.scenario}: ${c.expect === undefined ? 'reported healthy' : `top issue names the ${c.expect.role} (${c.expect.kinds.join(' or ')})`}`,
      async () => {
        const token = uniqueToken();
        const names = ROLES.map((role) => `${role}-${token}`);
        const mine = (issue: IssueItem): boolean => issue.affected_components.some((a) => names.includes(a));
        const processorGroup = `it-scn-${token}`;
        const db: TestDatabase = await createTestDatabase('scn');
        // migrated before the processors start, so the first diagnosis finds every table
        await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
        const topics = names.map(queueTopic);
        await ensureTopics(
          admin,
          topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
        );
        const config = testConfig({
          CLICKHOUSE_DATABASE: db.name,
          AGENT_NAMES: names.join(','),
          PROCESSOR_GROUP_ID: processorGroup,
        });
        await startGroupsAtEnd(config, [processorGroup], [ERRORS_TOPIC]);
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          CLICKHOUSE_DATABASE: db.name,
          AGENT_NAMES: names.join(','),
          PROCESSOR_GROUP_ID: processorGroup,
          PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-.*-${token}$`,
          PROCESSOR_HTTP_PORT: '0',
          AGENTS_HTTP_PORT: '0',
          LAG_SAMPLE_INTERVAL_MS: '2000',
          LOG_LEVEL: 'warn',
        };
        const processors = start(['processors'], env);
        const agents = start(['agents', 'run', '--scenario', c.scenario], env);
        const settings = diagnosisSettings(config);
        let report: DiagnosisReport | undefined;
        let top: IssueItem | undefined;
        try {
          const began = Date.now();
          if (c.expect === undefined) {
            await sleep(HEALTHY_RUN_MS);
            report = await diagnose({ reader: db.access, kafka, logger }, settings, {
              minutes: 15,
              nowMs: Date.now(),
            });
            const completed = report.performance.agents
              .filter((a) => names.includes(a.agent))
              .reduce((n, a) => n + a.tasks_completed, 0);
            expect(completed, 'the healthy run completed tasks').toBeGreaterThan(0);
            const problems = report.issues.items.filter(
              (i) => mine(i) && ['critical', 'high', 'medium'].includes(i.severity),
            );
            expect(problems.map((i) => i.title)).toEqual([]);
            return;
          }
          const wanted = c.expect;
          while (Date.now() - began < DEADLINE_MS) {
            await sleep(5_000);
            report = await diagnose({ reader: db.access, kafka, logger }, settings, {
              minutes: 15,
              nowMs: Date.now(),
            });
            top = report.issues.items.find(mine);
            // an early sign (a low-severity issue) is not yet the finding: wait until it counts
            if (
              top !== undefined &&
              wanted.kinds.includes(top.kind) &&
              top.affected_components[0] === `${wanted.role}-${token}` &&
              report.metadata.system_status !== 'healthy'
            )
              break;
          }
          const seen = report?.issues.items.filter(mine).map((i) => `${i.id} [${i.severity}]`) ?? [];
          const why = `issues of this run: ${seen.join(', ')}\nagents log: ${agents.log().slice(-2_000)}`;
          expect(top?.affected_components[0], why).toBe(`${wanted.role}-${token}`);
          expect(wanted.kinds, why).toContain(top?.kind);
          expect(report?.metadata.system_status).not.toBe('healthy');
        } finally {
          await Promise.all([stop(agents.child), stop(processors.child)]);
          await admin
            .deleteGroups([processorGroup, ...names.map((n) => `agent-${n}`)])
            .catch(() => undefined);
          await admin.deleteTopics({ topics }).catch(() => undefined);
          await db.drop();
        }
      },
      DEADLINE_MS + HEALTHY_RUN_MS + 120_000,
    );
  }
});
