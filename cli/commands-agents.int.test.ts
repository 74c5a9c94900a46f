import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../lib/kafka.js';
import { quoteString } from '../lib/sql.js';
import { queryTasks } from '../lib/tables/task-lifecycle.js';
import {
  createTestDatabase,
  eventually,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import {
  REPO_ROOT,
  runProcessorsInProcess,
  type RunningProcessors,
} from '../processors/test-support/harness.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Commits the end offsets of `topic` for a consumer group that does not run yet, so the processors of
 * this test skip the shared errors topic's history (hundreds of thousands of records from other runs)
 * and still read everything this test produces.
 */
async function seedGroupAtEnd(groupId: string, topic: string): Promise<void> {
  const config = testConfig();
  const kafka = createKafka(config, testLogger(), 'it-seed');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: false, autoCommit: false } });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ eachMessage: () => Promise.resolve() });
  await eventually(() => Promise.resolve(consumer.assignment().length > 0), 30_000, 100);
  await consumer.commitOffsets(ends.map((p) => ({ topic, partition: p.partition, offset: p.high })));
  await consumer.disconnect();
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else
      child.once('exit', (code) => {
        resolve(code);
      });
  });
}

describe('agents run --scenario crashing-agent (processes, processors, ClickHouse)', () => {
  const token = uniqueToken();
  const names = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'].map(
    (role) => `${role}-${token}`,
  );
  const coder = `coder-${token}`;
  const orchestrator = `orchestrator-${token}`;
  const cli = `cli-${token}`;
  let db: TestDatabase;
  let processors: RunningProcessors;
  let agents: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase('agents');
    await seedGroupAtEnd(`it-agents-${token}`, ERRORS_TOPIC);
    processors = await runProcessorsInProcess(
      testConfig({
        CLICKHOUSE_DATABASE: db.name,
        PROCESSOR_GROUP_ID: `it-agents-${token}`,
        PROCESSOR_HTTP_PORT: '0',
      }),
    );
    port = await freePort();
    env = {
      ...process.env,
      AGENT_NAMES: names.join(','),
      AGENTS_HTTP_PORT: String(port),
      AGENT_HEARTBEAT_MS: '500',
      AGENT_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
    };
    agents = spawn(
      process.execPath,
      [CLI, 'agents', 'run', '--scenario', 'crashing-agent', '--jobs-every', '0'],
      {
        env,
        stdio: 'ignore',
      },
    );
    const ready = await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true,
      60_000,
      200,
    );
    expect(ready).toBe(true);
  });

  afterAll(async () => {
    if (agents.exitCode === null) {
      agents.kill('SIGTERM');
      await exited(agents);
    }
    await processors.stop();
    await db.drop();
    const config = testConfig();
    const admin = createKafka(config, testLogger(), 'it-cleanup').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [...names, cli].map(queueTopic) }).catch(() => undefined);
    await admin
      .deleteGroups([...names.map((n) => `agent-${n}`), `it-agents-${token}`])
      .catch(() => undefined);
    await admin.disconnect();
  });

  it('kills the coder mid-task, leaves its task pending in ClickHouse, and fails the job', async () => {
    const submitted = await runCli(
      [
        'agents',
        'submit',
        'Explain consumer lag',
        '--orchestrator',
        orchestrator,
        '--as',
        cli,
        '--timeout',
        '30000',
        '--step-timeout',
        '2500',
        '--json',
      ],
      env,
    );
    expect(submitted.code).toBe(1);
    const answer = JSON.parse(submitted.stdout) as {
      message_type: string;
      job_id: string;
      payload: { error_code: string; root_agent: string };
    };
    expect(answer).toMatchObject({
      message_type: 'error',
      payload: { error_code: 'RETRIES_EXHAUSTED', root_agent: coder },
    });

    // the coder's task stays pending: accepted, never answered; the retry waits unread in the dead coder's queue
    let coderTasks: Awaited<ReturnType<typeof queryTasks>> = [];
    const pendingCoderTasks = async (): Promise<boolean> => {
      coderTasks = await queryTasks(db.access, { agent: coder });
      return coderTasks.length === 2;
    };
    expect(await eventually(pendingCoderTasks, 30_000)).toBe(true);
    expect(coderTasks.map((t) => [t.attempt, t.state, t.job_id])).toEqual([
      [1, 'pending', answer.job_id],
      [2, 'pending', answer.job_id],
    ]);
    // the job's ERROR reaches the requester's new queue, which the processors pick up within seconds
    const jobFailed = async (): Promise<boolean> =>
      (await queryTasks(db.access, { agent: orchestrator })).some(
        (t) => t.job_id === answer.job_id && t.state === 'failed',
      );
    expect(await eventually(jobFailed, 30_000)).toBe(true);

    // the supervisor saw the process die and reported it as a critical error of the coder
    const died = async (): Promise<boolean> => {
      const rows = await db.access.query<{ n: string | number }>(
        `SELECT count() AS n FROM error_facts FINAL WHERE agent_name = ${quoteString(coder)} AND error_type = 'AgentProcessDiedError' AND severity = 'critical'`,
      );
      return Number(rows[0]?.n ?? 0) === 1;
    };
    expect(await eventually(died, 30_000)).toBe(true);
    // and its last heartbeat said it was busy with one task
    const beats = await db.access.query<{ state: string; in_flight: number }>(
      `SELECT argMaxMerge(last_state) AS state, argMaxMerge(last_in_flight) AS in_flight FROM agent_liveness WHERE agent = ${quoteString(coder)} GROUP BY agent`,
    );
    expect(beats[0]).toMatchObject({ state: 'busy', in_flight: 1 });
  });

  it('stops the remaining agent processes on SIGTERM with exit code 0', async () => {
    agents.kill('SIGTERM');
    expect(await exited(agents)).toBe(0);
  });
});
