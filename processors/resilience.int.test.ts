import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTask } from '../schemas/test-support/fixtures.js';
import { RecordKind } from '../schemas/codec.js';
import type { AgentMessage } from '../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import { quoteString } from '../lib/sql.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  startGroupsAtEnd,
  testConfig,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../lib/test-support/helpers.js';
import {
  REPO_ROOT,
  committedTotal,
  countRows,
  createTopics,
  deleteGroups,
  deleteTopics,
  runProcessorsInProcess,
  stackService,
} from './test-support/harness.js';

const token = uniqueToken();

function tasks(agent: string, from: number, count: number): AgentMessage[] {
  return Array.from({ length: count }, (_, k) =>
    sampleTask({
      message_id: `${token}-${agent}-${from + k}`,
      source_agent: 'it-requester',
      target_agent: agent,
      timestamp: Date.now(),
    }),
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function metric(port: number, series: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  } catch {
    return undefined;
  }
}

describe('processors under failure, against the real stack', () => {
  let db: TestDatabase;
  let producer: TestProducer;
  let base: Config;
  const outageAgent = `it-${token}-outage`;
  const sigtermAgent = `it-${token}-sigterm`;
  const topics = [queueTopic(outageAgent), queueTopic(sigtermAgent)];

  const stored = (agent: string): Promise<number> =>
    countRows(
      db.access,
      `SELECT count() AS n FROM message_log FINAL WHERE topic = ${quoteString(queueTopic(agent))}`,
    );

  beforeAll(async () => {
    db = await createTestDatabase('it_resilience');
    base = testConfig({
      CLICKHOUSE_DATABASE: db.name,
      PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-it-${token}-.*`,
      PROCESSOR_HTTP_PORT: '0',
      PROCESSOR_FLUSH_INTERVAL_MS: '100',
    });
    await createTopics(base, topics);
    // the shared errors topic holds what every earlier run produced: start where it ends now
    await startGroupsAtEnd(base, [`it-outage-${token}`, `it-sigterm-${token}`], [ERRORS_TOPIC]);
    producer = await createTestProducer(base);
  });

  afterAll(async () => {
    await stackService('start', 'clickhouse');
    await producer.close();
    await deleteTopics(base, topics);
    await deleteGroups(base, [`it-outage-${token}`, `it-sigterm-${token}`]);
    await db.drop();
  });

  it('pauses while ClickHouse is stopped, commits nothing, loses nothing, and resumes by itself', async () => {
    const group = `it-outage-${token}`;
    const topic = queueTopic(outageAgent);
    const config = { ...base, processors: { ...base.processors, groupId: group } };
    const processors = await runProcessorsInProcess(config);
    try {
      await producer.send(topic, RecordKind.AGENT_MESSAGE, tasks(outageAgent, 0, 20));
      expect(await eventually(async () => (await stored(outageAgent)) === 20)).toBe(true);
      expect(await eventually(async () => (await committedTotal(config, group, topic)) === 20)).toBe(true);

      await stackService('stop', 'clickhouse');
      await producer.send(topic, RecordKind.AGENT_MESSAGE, tasks(outageAgent, 20, 30));
      const consumed = async (): Promise<number> =>
        (await processors.metrics.consumed.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
      expect(await eventually(async () => (await consumed()) === 50, 30_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await committedTotal(config, group, topic)).toBe(20);
      expect(processors.runner.state).toBe('running');
      expect(processors.fatal).toEqual([]);

      await stackService('start', 'clickhouse');
      expect(await eventually(async () => (await stored(outageAgent).catch(() => -1)) === 50, 60_000)).toBe(
        true,
      );
      expect(await eventually(async () => (await committedTotal(config, group, topic)) === 50)).toBe(true);
      expect(processors.runner.buffered).toBe(0);
    } finally {
      await stackService('start', 'clickhouse');
      await processors.stop();
    }
  });

  it('on SIGTERM stores and commits the batch in hand and exits 0; a restart then counts every message once', async () => {
    const group = `it-sigterm-${token}`;
    const topic = queueTopic(sigtermAgent);
    const port = await freePort();
    const env = {
      ...process.env,
      CLICKHOUSE_DATABASE: db.name,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_QUEUE_TOPIC_PATTERN: `^agent-queue-it-${token}-.*`,
      PROCESSOR_HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
    };
    const startChild = (extra: Record<string, string>) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'processors'], {
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => {
          resolve(code);
        }),
      );
      return { child, exited, output: () => output };
    };

    await producer.send(topic, RecordKind.AGENT_MESSAGE, tasks(sigtermAgent, 0, 300));
    // a batch that only a shutdown will store: huge size, a flush interval longer than the test
    const first = startChild({
      PROCESSOR_BATCH_SIZE: '1000000',
      PROCESSOR_MAX_BUFFERED: '2000000',
      PROCESSOR_FLUSH_INTERVAL_MS: '60000',
    });
    try {
      const inHand = await eventually(
        async () => (await metric(port, `agent_telemetry_consumed_messages_total{topic="${topic}"}`)) === 300,
        60_000,
      );
      expect(inHand, first.output()).toBe(true);
      expect(await stored(sigtermAgent)).toBe(0);
      expect(await committedTotal(base, group, topic)).toBe(0);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('shutdown complete');
    expect(await stored(sigtermAgent)).toBe(300);
    expect(await committedTotal(base, group, topic)).toBe(300);

    await producer.send(topic, RecordKind.AGENT_MESSAGE, tasks(sigtermAgent, 300, 200));
    const second = startChild({});
    try {
      expect(await eventually(async () => (await committedTotal(base, group, topic)) === 500, 60_000)).toBe(
        true,
      );
      expect(await stored(sigtermAgent)).toBe(500);
      const raw = await countRows(
        db.access,
        `SELECT count() AS n FROM message_log WHERE topic = ${quoteString(topic)}`,
      );
      expect(raw).toBe(500); // nothing was inserted twice, not even before merges
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited, second.output()).toBe(0);
  });
});
