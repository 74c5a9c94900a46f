import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleError, sampleResult, sampleTask } from '../schemas/test-support/fixtures.js';
import { RecordKind } from '../schemas/codec.js';
import type { AgentMessage, DetailedError } from '../schemas/records.js';
import { DLQ_TOPIC, ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import { quoteString } from '../lib/sql.js';
import { queryTasks } from '../lib/tables/task-lifecycle.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  startGroupsAtEnd,
  testLogger,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../lib/test-support/helpers.js';
import { DlqHeader } from './dead-letter.js';
import {
  committedTotal,
  countRows,
  createTopics,
  deleteGroups,
  deleteTopics,
  endTotal,
  processorsTestConfig,
  runProcessorsInProcess,
  shuffled,
  viewSnapshot,
  type RunningProcessors,
} from './test-support/harness.js';

const token = uniqueToken();
const boss = `it-${token}-boss`;
const worker = `it-${token}-worker`;
const late = `it-${token}-late`;
const bossTopic = queueTopic(boss);
const workerTopic = queueTopic(worker);
const lateTopic = queueTopic(late);
const now = Date.now();
const taskId = (i: number): string => `${token}-t${i}`;

function task(i: number, overrides: Partial<AgentMessage> = {}): AgentMessage {
  return sampleTask({
    message_id: taskId(i),
    source_agent: boss,
    target_agent: worker,
    timestamp: now - 60_000 + i,
    ttl_seconds: 3_600,
    deadline: null,
    job_id: `job-${token}`,
    ...overrides,
  });
}

function answer(kind: 'result' | 'error' | 'cancel', i: number): AgentMessage {
  if (kind === 'cancel') {
    return sampleTask({
      message_id: `${token}-c${i}`,
      message_type: 'cancel',
      source_agent: boss,
      target_agent: worker,
      parent_message_id: taskId(i),
      timestamp: now - 30_000 + i,
    });
  }
  return sampleResult({
    message_id: `${token}-${kind}${i}`,
    message_type: kind,
    source_agent: worker,
    target_agent: boss,
    parent_message_id: taskId(i),
    timestamp: now - 30_000 + i,
  });
}

function error(i: number, group: 'a' | 'b'): DetailedError {
  return sampleError({
    error_id: `${token}-e${group}${i}`,
    agent_name: worker,
    fingerprint: null,
    error_type: group === 'a' ? 'RateLimitError' : 'ToolError',
    category: group === 'a' ? 'llm_error' : 'tool_error',
    error_message: `${group === 'a' ? 'rate limit' : 'tool failed'} after ${i * 7} attempts`,
    stack_trace: null,
    timestamp: now - 10_000 + i * 1_000,
  });
}

describe('processors against the real stack', () => {
  let db: TestDatabase;
  let config: Config;
  let producer: TestProducer;
  let processors: RunningProcessors;

  // tasks 0-9 completed, 10-14 failed, 15-19 cancelled, 20-24 expired, 25-29 pending
  const tasks = Array.from({ length: 30 }, (_, i) =>
    i >= 20 && i < 25 ? task(i, { timestamp: now - 600_000 + i, ttl_seconds: 60 }) : task(i),
  );
  const answers = [
    ...Array.from({ length: 10 }, (_, i) => answer('result', i)),
    ...Array.from({ length: 5 }, (_, i) => answer('error', 10 + i)),
    ...Array.from({ length: 5 }, (_, i) => answer('cancel', 15 + i)),
  ];
  const heartbeat = sampleTask({
    message_id: `${token}-hb`,
    message_type: 'heartbeat',
    source_agent: worker,
    target_agent: boss,
    timestamp: now - 1_000,
    heartbeat: { state: 'busy', in_flight: 3, max_concurrency: 4, host: 'it-host', pid: 4242, version: 'it' },
  });
  const topicOf = (m: AgentMessage): string => queueTopic(m.target_agent);

  async function produceEach(messages: readonly AgentMessage[]): Promise<void> {
    for (const m of messages)
      await producer.send(topicOf(m), RecordKind.AGENT_MESSAGE, [m], (v) => v.message_id);
  }

  beforeAll(async () => {
    db = await createTestDatabase('it_proc');
    config = processorsTestConfig(db.name, `it-proc-${token}`, token, { LAG_SAMPLE_INTERVAL_MS: '1000' });
    await createTopics(config, [bossTopic, workerTopic]);
    // both groups start on the shared errors topic where it ends now: they read only this run's errors
    await startGroupsAtEnd(config, [config.processors.groupId, `it-proc-again-${token}`], [ERRORS_TOPIC]);
    producer = await createTestProducer(config);
    processors = await runProcessorsInProcess(config);
  });

  afterAll(async () => {
    await processors.stop();
    await producer.close();
    await deleteTopics(config, [bossTopic, workerTopic, lateTopic]);
    await deleteGroups(config, [config.processors.groupId, `it-proc-again-${token}`, `it-dlq-${token}`]);
    await db.drop();
  });

  const messageCount = (): Promise<number> =>
    countRows(
      db.access,
      `SELECT count() AS n FROM message_log FINAL WHERE topic IN (${[bossTopic, workerTopic].map(quoteString).join(', ')})`,
    );

  it('builds the pending view right when answers arrive before their tasks, shuffled and duplicated', async () => {
    // answers first (their tasks are not seen yet), every message twice, in a shuffled order
    await produceEach(shuffled([...answers, ...answers], 7));
    expect(await eventually(async () => (await messageCount()) === answers.length)).toBe(true);
    expect(await queryTasks(db.access, { agent: worker })).toEqual([]);

    await produceEach(shuffled([...tasks, ...tasks, heartbeat], 11));
    const distinct = tasks.length + answers.length + 1;
    expect(await eventually(async () => (await messageCount()) === distinct)).toBe(true);

    const states = await queryTasks(db.access, { agent: worker });
    expect(states).toHaveLength(30);
    const byState = (state: string): string[] =>
      states.filter((t) => t.state === state).map((t) => t.task_id);
    const ids = (from: number, to: number): string[] =>
      Array.from({ length: to - from }, (_, k) => taskId(from + k));
    expect(byState('completed').sort()).toEqual(ids(0, 10).sort());
    expect(byState('failed').sort()).toEqual(ids(10, 15).sort());
    expect(byState('cancelled').sort()).toEqual(ids(15, 20).sort());
    expect(byState('expired').sort()).toEqual(ids(20, 25).sort());
    expect(byState('pending').sort()).toEqual(ids(25, 30).sort());

    const completed = states.find((t) => t.task_id === taskId(3));
    expect(completed).toMatchObject({ requester: boss, priority: 'high', resolved_by: `${token}-result3` });
    expect(completed?.latency_ms).toBe(answer('result', 3).timestamp - task(3).timestamp);
    const pending = await queryTasks(db.access, { agent: worker, states: ['pending'], limit: 1 });
    expect(pending.map((t) => t.task_id)).toEqual([taskId(25)]); // the oldest pending task first
  });

  it('records LLM calls and heartbeats carried by the messages', async () => {
    expect(
      await countRows(
        db.access,
        `SELECT count() AS n FROM llm_calls FINAL WHERE agent = ${quoteString(worker)}`,
      ),
    ).toBe(15);
    // UInt64 values are quoted in JSON by ClickHouse before 25.8 and numbers since: compared as numbers
    const liveness = await db.access.query<{ state: string; in_flight: number; beats: string | number }>(
      `SELECT argMaxMerge(last_state) AS state, argMaxMerge(last_in_flight) AS in_flight, uniqExactMerge(heartbeats) AS beats
       FROM agent_liveness WHERE agent = ${quoteString(worker)} GROUP BY agent`,
    );
    expect(liveness.map((row) => ({ ...row, beats: Number(row.beats) }))).toEqual([
      { state: 'busy', in_flight: 3, beats: 1 },
    ]);
  });

  it('stores error facts and groups them by fingerprint, counting each error once', async () => {
    const errors = [...[1, 2, 3].map((i) => error(i, 'a')), ...[4, 5, 6].map((i) => error(i, 'b'))];
    await producer.send(ERRORS_TOPIC, RecordKind.DETAILED_ERROR, shuffled([...errors, ...errors], 3));
    const ids = errors.map((e) => quoteString(e.error_id)).join(', ');
    expect(
      await eventually(
        async () =>
          (await countRows(
            db.access,
            `SELECT count() AS n FROM error_facts FINAL WHERE error_id IN (${ids})`,
          )) === 6,
      ),
    ).toBe(true);
    const groups = await db.access.query<{
      error_type: string;
      n: string | number;
      first_seen: string | number;
      last_seen: string | number;
      agents: string[];
    }>(
      `SELECT argMaxMerge(error_type) AS error_type, uniqExactMerge(error_count) AS n, minMerge(first_seen_ms) AS first_seen,
              maxMerge(last_seen_ms) AS last_seen, groupUniqArrayMerge(agents) AS agents
       FROM error_groups
       WHERE fingerprint IN (SELECT fingerprint FROM error_facts WHERE error_id IN (${ids}))
       GROUP BY fingerprint ORDER BY error_type`,
    );
    const asNumbers = groups.map((g) => ({
      ...g,
      n: Number(g.n),
      first_seen: Number(g.first_seen),
      last_seen: Number(g.last_seen),
    }));
    expect(asNumbers).toEqual([
      {
        error_type: 'RateLimitError',
        n: 3,
        first_seen: error(1, 'a').timestamp,
        last_seen: error(3, 'a').timestamp,
        agents: [worker],
      },
      {
        error_type: 'ToolError',
        n: 3,
        first_seen: error(4, 'b').timestamp,
        last_seen: error(6, 'b').timestamp,
        agents: [worker],
      },
    ]);
    const rollup = await countRows(
      db.access,
      `SELECT sum(n) AS n FROM (SELECT uniqExactMerge(errors) AS n FROM error_rollup_1m WHERE agent_name = ${quoteString(worker)} GROUP BY minute, category, severity)`,
    );
    expect(rollup).toBe(6);
  });

  it('dead-letters every kind of poison with its origin and raw bytes, and carries on', async () => {
    const good = await producer.codec.encode(RecordKind.AGENT_MESSAGE, task(100));
    const unknownId = Buffer.from(good);
    unknownId.writeInt32BE(2_000_000_123, 1);
    const invalid = Buffer.from(good);
    invalid[5 + 1 + taskId(100).length + 1 + boss.length + 1 + worker.length] = 0x7e; // message_type enum index 63
    const wrongRecord = await producer.codec.encode(RecordKind.DETAILED_ERROR, error(9, 'a'));
    const poison: [string, Buffer][] = [
      ['NO_MAGIC_BYTE', Buffer.from('{"message_id":"not avro"}')],
      ['UNKNOWN_SCHEMA_ID', unknownId],
      ['TRUNCATED', good.subarray(0, good.length - 9)],
      ['INVALID_AVRO', invalid],
      ['UNEXPECTED_RECORD', wrongRecord],
    ];
    for (const [, bytes] of poison) await producer.sendRaw(workerTopic, [bytes], { 'x-test': token });
    await producer.send(workerTopic, RecordKind.AGENT_MESSAGE, [task(101)]);

    const stored = async (): Promise<number> =>
      countRows(
        db.access,
        `SELECT count() AS n FROM dead_letters FINAL WHERE topic = ${quoteString(workerTopic)}`,
      );
    expect(await eventually(async () => (await stored()) === poison.length)).toBe(true);
    const rows = await db.access.query<{ error_code: string; size_bytes: number }>(
      `SELECT error_code, size_bytes FROM dead_letters FINAL WHERE topic = ${quoteString(workerTopic)} ORDER BY offset`,
    );
    expect(rows.map((r) => r.error_code).sort()).toEqual(poison.map(([code]) => code).sort());
    // the good message after the poison was stored: the processor carried on
    expect(
      await eventually(
        async () =>
          (await countRows(
            db.access,
            `SELECT count() AS n FROM message_log FINAL WHERE message_id = ${quoteString(taskId(101))}`,
          )) === 1,
      ),
    ).toBe(true);

    // the DLQ topic holds the raw bytes, the original headers and the origin
    const consumer = createKafka(config, testLogger(), 'it-dlq-reader').consumer({
      kafkaJS: { groupId: `it-dlq-${token}`, fromBeginning: true, autoCommit: false },
    });
    const found = new Map<string, { value: Buffer | null; headers: Record<string, string> }>();
    await consumer.connect();
    await consumer.subscribe({ topics: [DLQ_TOPIC] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [
            k,
            Buffer.isBuffer(v) ? v.toString() : String(v),
          ]),
        );
        if (headers[DlqHeader.ORIGIN_TOPIC] === workerTopic && headers['x-test'] === token) {
          found.set(headers[DlqHeader.ERROR_CODE] ?? '', { value: message.value, headers });
        }
        await Promise.resolve();
      },
    });
    try {
      expect(await eventually(() => Promise.resolve(found.size === poison.length), 60_000)).toBe(true);
    } finally {
      await consumer.disconnect();
    }
    for (const [code, bytes] of poison) {
      const letter = found.get(code);
      expect(letter?.value?.equals(bytes), code).toBe(true);
      expect(letter?.headers[DlqHeader.ORIGIN_PARTITION]).toMatch(/^\d+$/);
      expect(letter?.headers[DlqHeader.ORIGIN_OFFSET]).toMatch(/^\d+$/);
      expect(letter?.headers[DlqHeader.ERROR_REASON]?.length).toBeGreaterThan(0);
    }
  });

  it('observes the queue of a new agent without a restart', async () => {
    await createTopics(config, [lateTopic]);
    await producer.send(lateTopic, RecordKind.AGENT_MESSAGE, [task(200, { target_agent: late })]);
    expect(
      await eventually(
        async () =>
          (await countRows(
            db.access,
            `SELECT count() AS n FROM message_log FINAL WHERE topic = ${quoteString(lateTopic)}`,
          )) === 1,
        60_000,
      ),
    ).toBe(true);
  });

  it('samples the lag of its own consumer group', async () => {
    expect(
      await eventually(
        async () =>
          (await countRows(
            db.access,
            `SELECT count() AS n FROM lag_samples WHERE group_id = ${quoteString(config.processors.groupId)} AND topic = ${quoteString(workerTopic)}`,
          )) > 0,
      ),
    ).toBe(true);
  });

  it('commits offsets only for stored messages, up to the end of each topic', async () => {
    const end = await endTotal(config, workerTopic);
    expect(
      await eventually(
        async () => (await committedTotal(config, config.processors.groupId, workerTopic)) === end,
      ),
    ).toBe(true);
  });

  it('gives the same query results when the same messages are consumed again', async () => {
    // only this run's agents: other producers may write to the shared errors topic meanwhile
    const snapshot = (): Promise<unknown> => viewSnapshot(db.access, [boss, worker], now);
    const before = await snapshot();
    // a second processor with a new group reads every topic again from the start into the same tables
    const again = await runProcessorsInProcess({
      ...config,
      processors: { ...config.processors, groupId: `it-proc-again-${token}` },
    });
    try {
      for (const topic of [bossTopic, workerTopic, ERRORS_TOPIC]) {
        const end = await endTotal(config, topic);
        expect(
          await eventually(
            async () => (await committedTotal(config, `it-proc-again-${token}`, topic)) >= end,
            60_000,
          ),
          topic,
        ).toBe(true);
      }
    } finally {
      await again.stop();
    }
    expect(await snapshot()).toEqual(before);
  });
});
