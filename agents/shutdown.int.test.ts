import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../lib/kafka.js';
import { createCodec } from '../lib/registry.js';
import { testConfig, testLogger, uniqueToken } from '../lib/test-support/helpers.js';
import { ensureTopics } from '../lib/topics.js';
import type { AgentMessage } from '../schemas/records.js';
import { queueTopic } from '../schemas/topics.js';
import { TopicTap } from './test-support/topic-tap.js';
import { ROOT_CONTEXT, Tracing } from './tracing.js';
import { AgentTransport, taskMessage } from './transport.js';

const CLI = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'main.js');

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else
      child.once('exit', (code) => {
        resolve(code);
      });
  });
}

describe('SIGTERM to an agent process', () => {
  const token = uniqueToken();
  // both writers take about 8 s per task (slow-agent); one may drain for 3 s, the other for 25 s
  const impatient = `writer-${token}-a`;
  const patient = `writer-${token}-b`;
  const requester = `tester-${token}`;
  const topics = [impatient, patient, requester].map(queueTopic);
  const config = testConfig({ AGENT_NAMES: [impatient, patient].join(',') });
  const logger = testLogger();
  const tracing = new Tracing({ serviceName: 'test', endpoint: undefined });
  const kafka = createKafka(config, logger, 'it-sigterm');
  const transport = new AgentTransport({ kafka, codec: createCodec(config), tracing, logger });
  const children: ChildProcess[] = [];
  let tap: TopicTap;

  const start = (agent: string, shutdownDeadlineMs: number): ChildProcess => {
    const child = spawn(process.execPath, [CLI, 'agents', 'worker', agent, '--scenario', 'slow-agent'], {
      env: {
        ...process.env,
        AGENT_NAMES: agent,
        AGENT_HEARTBEAT_MS: '300',
        SHUTDOWN_DEADLINE_MS: String(shutdownDeadlineMs),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  };
  const heartbeats = (agent: string): AgentMessage[] =>
    tap.messages((m) => m.message_type === 'heartbeat' && m.source_agent === agent);

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    );
    await admin.disconnect();
    await transport.connect();
    tap = await new TopicTap(config, logger, topics, true).start();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([transport.close(), tap.close(), tracing.shutdown()]);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([impatient, patient].map((a) => `agent-${a}`)).catch(() => undefined);
    await admin.disconnect();
  });

  it('finishes in-flight tasks within the drain time, and answers the rest as cancelled', async () => {
    const a = start(impatient, 8_000); // drains 3 s: shorter than a task
    const b = start(patient, 30_000); // drains 25 s: longer than a task
    expect(
      await tap.waitFor(() => heartbeats(impatient).length > 0 && heartbeats(patient).length > 0, 60_000),
    ).toBe(true);

    const sent: AgentMessage[] = [];
    for (const agent of [impatient, impatient, patient, patient]) {
      const task = taskMessage({
        from: requester,
        to: agent,
        payload: { goal: 'Explain consumer lag', instruction: 'Write a short report' },
        jobId: `job-${token}`,
        attempt: 1,
        maxRetries: 0,
        ttlSeconds: 120,
        deadline: null,
      });
      sent.push(await transport.send(task, ROOT_CONTEXT));
    }
    const busy = (agent: string): boolean => heartbeats(agent).some((m) => m.heartbeat?.in_flight === 2);
    expect(await tap.waitFor(() => busy(impatient) && busy(patient), 20_000)).toBe(true);

    a.kill('SIGTERM');
    b.kill('SIGTERM');
    const [codeA, codeB] = await Promise.all([exited(a), exited(b)]);
    expect([codeA, codeB]).toEqual([0, 0]);

    const answers = (agent: string): AgentMessage[] =>
      tap.messages(
        (m) => m.source_agent === agent && m.target_agent === requester && m.parent_message_id !== null,
      );
    const idsTo = (agent: string): string[] =>
      sent.filter((t) => t.target_agent === agent).map((t) => t.message_id);
    expect(
      await tap.waitFor(() => answers(impatient).length === 2 && answers(patient).length === 2, 10_000),
    ).toBe(true);
    expect(answers(impatient).map((m) => m.message_type)).toEqual(['cancel', 'cancel']);
    expect(answers(impatient).every((m) => m.reason === 'agent shutting down')).toBe(true);
    expect(answers(patient).map((m) => m.message_type)).toEqual(['result', 'result']);
    expect(new Set(answers(impatient).map((m) => m.parent_message_id))).toEqual(new Set(idsTo(impatient)));
    expect(new Set(answers(patient).map((m) => m.parent_message_id))).toEqual(new Set(idsTo(patient)));
    // both said they were draining, then stopping
    for (const agent of [impatient, patient]) {
      const states = heartbeats(agent).map((m) => m.heartbeat?.state);
      expect(states).toContain('draining');
      expect(states.at(-1)).toBe('stopping');
    }
  });
});
