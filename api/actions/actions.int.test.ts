import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseAccess, createClickHouseClient } from '../../lib/clickhouse.js';
import { createKafka, type Consumer } from '../../lib/kafka.js';
import { Lifecycle } from '../../lib/lifecycle.js';
import { migrate } from '../../lib/migrations.js';
import { createCodec } from '../../lib/registry.js';
import { insertDeadLetters } from '../../lib/tables/dead-letters.js';
import {
  createTestDatabase,
  createTestProducer,
  eventually,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
  type TestProducer,
} from '../../lib/test-support/helpers.js';
import { RecordKind, type SchemaCodec } from '../../schemas/codec.js';
import type { AgentMessage } from '../../schemas/records.js';
import { DLQ_TOPIC, DlqHeader, queueTopic } from '../../schemas/topics.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import { seedRun, type Seeded } from '../test-support/seed.js';
import { actionId } from './action-id.js';
import { createActionsBackend } from './backend.js';
import { insertActionLog } from '../../lib/tables/action-log.js';

/**
 * Cancel, retry and dead-letter replay through REST, GraphQL and MCP, against the real broker,
 * registry and ClickHouse: what lands on the agent's queue is read back and decoded, the audit log
 * is read through the API, and a repeated request produces nothing.
 */
const TOKEN = 'a'.repeat(16) + uniqueToken();
const auth = { authorization: `Bearer ${TOKEN}` };

interface Received {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Everything on `topic` from its start, read by a group of the test's own. */
async function readTopic(consumer: Consumer, topic: string, into: Received[]): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const last = Array.isArray(value) ? value[value.length - 1] : value;
        if (last !== undefined) headers[name] = last.toString();
      }
      into.push({ key: message.key?.toString() ?? null, value: message.value, headers });
      return Promise.resolve();
    },
  });
}

let db: TestDatabase;
let api: Api;
let offApi: Api;
let seeded: Seeded;
let lifecycle: Lifecycle;
let producer: TestProducer;
let codec: SchemaCodec;
let coderQueue: Received[];
let researcherQueue: Received[];
const consumers: Consumer[] = [];

beforeAll(async () => {
  db = await createTestDatabase('actions');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  const token = `t${uniqueToken()}`;
  seeded = await seedRun(db.access, token, Date.now());
  const config = testConfig({ CLICKHOUSE_DATABASE: db.name, API_ACTIONS: 'on', API_AUTH_TOKEN: TOKEN });
  const logger = testLogger();
  lifecycle = new Lifecycle({ logger, deadlineMs: 10_000 });
  const readerClient = createClickHouseClient({
    ...config,
    clickhouse: {
      ...config.clickhouse,
      username: config.api.clickhouseUser,
      password: config.api.clickhousePassword,
    },
  });
  lifecycle.add('reader', () => readerClient.close());
  const reader = clickHouseAccess(readerClient);
  const kafka = createKafka(config, logger, 'it-actions');
  const admin = kafka.admin();
  await admin.connect();
  lifecycle.add('admin', () => admin.disconnect());
  await admin.createTopics({
    topics: [queueTopic(seeded.coder), queueTopic(seeded.researcher)].map((topic) => ({
      topic,
      numPartitions: 3,
    })),
  });
  codec = createCodec(config);
  const deps = {
    logger,
    reader,
    kafka: createKafkaView(admin),
    feed: new LiveHub(),
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
  };
  api = buildApi(config, {
    ...deps,
    actions: createActionsBackend({ config, logger, lifecycle, reader, codec }),
  });
  offApi = buildApi(testConfig({ CLICKHOUSE_DATABASE: db.name }), {
    ...deps,
    metrics: createApiMetrics({ processMetrics: false }),
  });
  producer = await createTestProducer(config);
  lifecycle.add('producer', () => producer.close());
  coderQueue = [];
  researcherQueue = [];
  for (const [topic, into] of [
    [queueTopic(seeded.coder), coderQueue],
    [queueTopic(seeded.researcher), researcherQueue],
  ] as const) {
    const consumer = kafka.consumer({
      kafkaJS: { groupId: `it-actions-${uniqueToken()}`, fromBeginning: true },
    });
    consumers.push(consumer);
    await readTopic(consumer, topic, into);
  }
}, 120_000);

afterAll(async () => {
  for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
  await lifecycle.shutdown('done');
  await db.drop();
});

async function post(
  path: string,
  headers: Record<string, string> = {},
  target: Api = api,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await target.fetch(
    new Request(`http://localhost${path}`, { method: 'POST', headers: { ...auth, ...headers } }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<Record<string, unknown>> {
  const response = await api.fetch(new Request(`http://localhost${path}`, { headers: auth }));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function decoded(records: readonly Received[]): Promise<AgentMessage[]> {
  const out: AgentMessage[] = [];
  for (const r of records) {
    if (r.value === null) continue;
    const d = await codec.decodeAny(r.value);
    if (d.kind === RecordKind.AGENT_MESSAGE) out.push(d.value);
  }
  return out;
}

async function mcp(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await api.fetch(
    new Request('http://localhost/api/v1/mcp', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    }),
  );
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: Record<string, unknown> }).result;
}

describe('actions switched off', () => {
  it('answer 403 saying how to turn them on, and still show the audit log', async () => {
    const { status, body } = await post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel`, {}, offApi);
    expect(status).toBe(403);
    expect(String(body.detail)).toMatch(/API_ACTIONS=on/);
    const log = await offApi.fetch(new Request('http://localhost/api/v1/actions'));
    expect(((await log.json()) as { actions_enabled: boolean }).actions_enabled).toBe(false);
  });

  it('refuse through GraphQL (FORBIDDEN) and MCP (a tool error naming API_ACTIONS)', async () => {
    const gql = await offApi.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { cancelTask(task_id: "${seeded.ids.t2}") { outcome } }` }),
      }),
    );
    const body = (await gql.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]?.message).toMatch(/API_ACTIONS=on/);
    expect(body.errors[0]?.extensions.code).toBe('FORBIDDEN');
    const response = await offApi.fetch(
      new Request('http://localhost/api/v1/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'retry_task', arguments: { task_id: seeded.ids.t3 } },
        }),
      }),
    );
    const result = ((await response.json()) as { result: { isError: boolean; content: { text: string }[] } })
      .result;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/API_ACTIONS=on/);
  });
});

describe('cancel', () => {
  it('sends one CANCEL through the agent queue, keyed as the task; a repeat is a duplicate', async () => {
    const first = await post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel?reason=stuck`, {
      'x-actor': 'alice',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      action: 'cancel_task',
      target: seeded.ids.t2,
      outcome: 'done',
      produced: 1,
    });
    expect(await eventually(() => Promise.resolve(coderQueue.length >= 1), 30_000)).toBe(true);
    const [cancel] = await decoded(coderQueue);
    expect(cancel).toMatchObject({
      message_type: 'cancel',
      parent_message_id: seeded.ids.t2,
      target_agent: seeded.coder,
      source_agent: 'agent-telemetry-actions',
      trace_id: seeded.ids.tr1,
    });
    expect(cancel?.reason).toBe('cancelled by alice: stuck');
    expect(coderQueue[0]?.key).toBe(seeded.ids.t2);
    expect(coderQueue[0]?.headers['x-message-type']).toBe('cancel');

    const again = await post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel?reason=stuck`, {
      'x-actor': 'bob',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', produced: 0, action_id: first.body.action_id });
    // the concurrent form: both share one run, one produces
    const [a, b] = await Promise.all([
      post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel`, { 'idempotency-key': 'k2' }),
      post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel`, { 'idempotency-key': 'k2' }),
    ]);
    expect([a.body.outcome, b.body.outcome].sort()).toEqual(['done', 'duplicate']);
    expect(await eventually(() => Promise.resolve(coderQueue.length >= 2), 30_000)).toBe(true);
    // nothing else arrives: a marker sent after the repeats is the next record
    await producer.sendRaw(queueTopic(seeded.coder), [Buffer.from('marker')]);
    expect(await eventually(() => Promise.resolve(coderQueue.length >= 3), 30_000)).toBe(true);
    expect(coderQueue).toHaveLength(3);
    expect(coderQueue[2]?.value?.toString()).toBe('marker');
  });

  it('refuses a task that is not pending (409) and an unknown one (404), naming why', async () => {
    const done = await post(`/api/v1/actions/tasks/${seeded.ids.t1}/cancel`);
    expect(done.status).toBe(409);
    expect(done.body.outcome).toBe('refused');
    expect((done.body.detail as { reason: string }).reason).toMatch(/completed/);
    const unknown = await post('/api/v1/actions/tasks/no-such-task/cancel');
    expect(unknown.status).toBe(404);
  });

  it('answers 400 naming a bad header or parameter', async () => {
    const key = await post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel`, {
      'idempotency-key': 'has space',
    });
    expect(key.status).toBe(400);
    expect(key.body.parameter).toBe('Idempotency-Key');
    const id = await post('/api/v1/actions/tasks/bad%20id/cancel');
    expect(id.status).toBe(400);
    expect(id.body.parameter).toBe('task_id');
    const replay = await post('/api/v1/actions/dead-letters/replay');
    expect(replay.status).toBe(400);
    expect(replay.body.parameter).toBe('letters');
  });
});

describe('retry', () => {
  it('produces the task again with the next attempt in the same trace, through GraphQL; a repeat is a duplicate', async () => {
    const mutation = `mutation($id: String!) { retryTask(task_id: $id, reason: "flaky", actor: "carol") {
      action_id outcome produced detail } }`;
    const run = async () => {
      const response = await api.fetch(
        new Request('http://localhost/graphql', {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ query: mutation, variables: { id: seeded.ids.t3 } }),
        }),
      );
      return ((await response.json()) as { data: { retryTask: Record<string, unknown> } }).data.retryTask;
    };
    const first = await run();
    expect(first).toMatchObject({ outcome: 'done', produced: 1 });
    const detail = first.detail as { task_id: string; attempt: number; previous_state: string };
    expect(detail).toMatchObject({ attempt: 2, previous_state: 'failed' });
    expect(await eventually(() => Promise.resolve(researcherQueue.length >= 1), 30_000)).toBe(true);
    const [task] = await decoded(researcherQueue);
    expect(task).toMatchObject({
      message_id: detail.task_id,
      message_type: 'task',
      attempt: 2,
      trace_id: seeded.ids.tr2,
      target_agent: seeded.researcher,
      source_agent: seeded.orchestrator,
      payload: '{"goal":"x"}',
    });
    expect(researcherQueue[0]?.key).toBe(detail.task_id);
    expect((await run()).outcome).toBe('duplicate');
  });
});

describe('MCP write tools', () => {
  it('are annotated as writes, and cancel through the same service', async () => {
    const listed = (await mcp('tools/list', {})) as {
      tools: { name: string; annotations: Record<string, boolean> }[];
    };
    const byName = new Map(listed.tools.map((t) => [t.name, t.annotations]));
    expect(byName.get('cancel_task')).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(byName.get('retry_task')).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
    });
    expect(byName.get('replay_dead_letters')).toMatchObject({ readOnlyHint: false });
    expect(byName.get('action_log')).toMatchObject({ readOnlyHint: true });
    const called = (await mcp('tools/call', {
      name: 'cancel_task',
      arguments: { task_id: seeded.ids.t2, idempotency_key: 'mcp-1', actor: 'assistant' },
    })) as { structuredContent: Record<string, unknown>; isError?: boolean };
    expect(called.isError).toBeFalsy();
    expect(called.structuredContent).toMatchObject({ outcome: 'done', action: 'cancel_task' });
  });
});

describe('dead-letter replay', () => {
  it('produces a now-decodable letter to its origin with its key and headers, refuses undecodable bytes unless forced', async () => {
    const origin = queueTopic(seeded.coder);
    const good: AgentMessage = {
      message_id: `${seeded.ids.t1}-dl`,
      source_agent: seeded.orchestrator,
      target_agent: seeded.coder,
      message_type: 'task',
      priority: 'normal',
      payload: '{}',
      trace_id: seeded.ids.tr1,
      span_id: 'span',
      parent_message_id: null,
      reason: null,
      timestamp: Date.now(),
      ttl_seconds: null,
      attempt: 1,
      max_retries: 0,
      deadline: null,
      job_id: null,
      llm_usage: [],
      heartbeat: null,
      started_at: null,
    };
    const goodBytes = await codec.encode(RecordKind.AGENT_MESSAGE, good);
    // dead letters as the processors write them (processors/dead-letter.ts): the original key, value
    // and headers, plus the origin and the cause in x-dlq-* headers; and their dead_letters rows
    const observedAtMs = Date.now();
    const letters = [
      { offset: 900_001, value: goodBytes },
      { offset: 900_002, value: Buffer.from('not avro') },
    ];
    const dlqProducer = createKafka(testConfig(), testLogger(), 'it-dlq').producer({ kafkaJS: { acks: -1 } });
    await dlqProducer.connect();
    try {
      await dlqProducer.send({
        topic: DLQ_TOPIC,
        messages: letters.map(({ offset, value }) => ({
          key: 'dl-key',
          value,
          headers: {
            'x-origin-header': 'kept',
            [DlqHeader.ORIGIN_TOPIC]: origin,
            [DlqHeader.ORIGIN_PARTITION]: '1',
            [DlqHeader.ORIGIN_OFFSET]: String(offset),
            [DlqHeader.ERROR_CODE]: 'MAPPING_FAILED',
            [DlqHeader.ERROR_REASON]: 'fixed since',
          },
        })),
      });
    } finally {
      await dlqProducer.disconnect();
    }
    await insertDeadLetters(
      db.access,
      letters.map(({ offset, value }) => ({
        topic: origin,
        partition: 1,
        offset,
        error_code: 'MAPPING_FAILED',
        reason: 'fixed since',
        schema_id: -1,
        size_bytes: value.length,
        observed_at_ms: observedAtMs,
      })),
    );
    const listed = (await get('/api/v1/dead-letters')) as { dead_letters: { letter: string }[] };
    const names = letters.map((l) => `${origin}/1/${l.offset}`);
    expect(listed.dead_letters.map((d) => d.letter)).toEqual(expect.arrayContaining(names));

    const before = coderQueue.length;
    const replay = await post(`/api/v1/actions/dead-letters/replay?letters=${names.join(',')}`);
    expect(replay.status).toBe(200);
    const results = replay.body.results as { target: string; outcome: string; detail: { reason?: string } }[];
    expect(results.find((r) => r.target === names[0])?.outcome).toBe('done');
    const refused = results.find((r) => r.target === names[1]);
    expect(refused?.outcome).toBe('refused');
    expect(refused?.detail.reason).toMatch(/still cannot be decoded/);
    expect(await eventually(() => Promise.resolve(coderQueue.length >= before + 1), 30_000)).toBe(true);
    const replayed = coderQueue[before];
    expect(replayed?.key).toBe('dl-key');
    expect(replayed?.headers['x-origin-header']).toBe('kept');
    expect(Object.keys(replayed?.headers ?? {}).some((h) => h.startsWith('x-dlq-'))).toBe(false);
    expect(replayed?.value?.equals(goodBytes)).toBe(true);

    const again = await post(`/api/v1/actions/dead-letters/replay?letters=${names[0] ?? ''}`);
    expect((again.body.results as { outcome: string }[])[0]?.outcome).toBe('duplicate');
    const forced = await post(`/api/v1/actions/dead-letters/replay?letters=${names[1] ?? ''}&force=true`);
    expect((forced.body.results as { outcome: string }[])[0]?.outcome).toBe('done');
  });
});

describe('an interrupted action', () => {
  it('is not done again on a repeat (409): a new idempotency key is needed', async () => {
    const id = actionId('cancel_task', seeded.ids.t2, 'crashed');
    await insertActionLog(db.access, [
      {
        request_id: 'r-crashed',
        action_id: id,
        action: 'cancel_task',
        target: seeded.ids.t2,
        actor: 'someone',
        channel: 'rest',
        client: '',
        idempotency_key: 'crashed',
        outcome: 'started',
        detail: '{}',
        produced: 0,
        at_ms: Date.now() - 60_000,
      },
    ]);
    const before = coderQueue.length;
    const repeat = await post(`/api/v1/actions/tasks/${seeded.ids.t2}/cancel`, {
      'idempotency-key': 'crashed',
    });
    expect(repeat.status).toBe(409);
    expect((repeat.body.detail as { reason: string }).reason).toMatch(/no outcome.*new idempotency key/);
    expect(coderQueue).toHaveLength(before);
  });
});

describe('the OpenAPI document', () => {
  it('lists the write routes as POST with their headers and refusals', async () => {
    const doc = (await get('/api/v1/openapi.json')) as {
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>
      >;
    };
    const cancel = doc.paths['/api/v1/actions/tasks/{task_id}/cancel']?.post;
    expect(cancel?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:task_id', 'query:reason', 'header:Idempotency-Key', 'header:X-Actor']),
    );
    expect(Object.keys(cancel?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '403', '404', '409']),
    );
    expect(doc.paths['/api/v1/actions/dead-letters/replay']?.post).toBeDefined();
    expect(doc.paths['/api/v1/actions']?.get).toBeDefined();
  });
});

describe('audit log', () => {
  it('shows who did what, when, through which channel, and the outcome, in REST and GraphQL', async () => {
    const log = (await get(`/api/v1/actions?target=${seeded.ids.t2}&limit=50`)) as {
      entries: { actor: string; channel: string; outcome: string; action: string }[];
    };
    const seen = log.entries.map((e) => `${e.actor}/${e.channel}/${e.outcome}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'alice/rest/started',
        'alice/rest/done',
        'bob/rest/duplicate',
        'assistant/mcp/done',
      ]),
    );
    const response = await api.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ actionLog(action: "retry_task") { actor channel outcome target } }',
        }),
      }),
    );
    const body = (await response.json()) as {
      data: { actionLog: { actor: string; channel: string; outcome: string }[] };
    };
    expect(body.data.actionLog.map((e) => `${e.actor}/${e.channel}/${e.outcome}`)).toEqual(
      expect.arrayContaining(['carol/graphql/done', 'carol/graphql/duplicate']),
    );
  });
});
