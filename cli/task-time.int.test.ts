import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client';
// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../api/mcp/server.js';
import type { Api } from '../api/server.js';
import { buildTestApi } from '../api/test-support/test-api.js';
import { AgentTimesResponseSchema, TaskTimeSchema, TraceTimeSchema } from '../api/timing/schemas.js';
import type { Config } from '../lib/config.js';
import { createSchemaRegistry } from '../lib/registry.js';
import { quoteString } from '../lib/sql.js';
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
import {
  countRows,
  createTopics,
  deleteGroups,
  deleteTopics,
  processorsTestConfig,
  runProcessorsInProcess,
  type RunningProcessors,
} from '../processors/test-support/harness.js';
import { RecordKind, SchemaCodec } from '../schemas/codec.js';
import { sampleResult, sampleTask } from '../schemas/test-support/fixtures.js';
import type { AgentMessage } from '../schemas/records.js';
import { loadSchemaText } from '../schemas/schema-files.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { registerTimeCommand } from './commands-time.js';

/**
 * Where tasks' time went, end to end: tasks and answers produced to Kafka by a current producer
 * (answers carry started_at) and by one on the previous AgentMessage schema (no started_at), read
 * by the real processors into ClickHouse, then asked through REST, GraphQL, MCP and the CLI.
 */

const token = uniqueToken();
const boss = `it-${token}-boss`;
const writer = `it-${token}-writer`;
const legacy = `it-${token}-legacy`;
const trace = `${token}trace`;
const now = Date.now();
const QUEUED_MS = 40_000;
const WORKING_MS = 2_000;
const LLM_MS = 1_500;

function task(id: string, to: string, sentAt: number): AgentMessage {
  return sampleTask({
    message_id: id,
    source_agent: boss,
    target_agent: to,
    trace_id: trace,
    timestamp: sentAt,
    ttl_seconds: 3_600,
    deadline: null,
  });
}

function answer(id: string, of: AgentMessage, startedAt: number | null, answeredAt: number): AgentMessage {
  return sampleResult({
    message_id: id,
    source_agent: of.target_agent,
    target_agent: boss,
    parent_message_id: of.message_id,
    trace_id: trace,
    timestamp: answeredAt,
    started_at: startedAt,
    llm_usage: [
      {
        model: 'llama3.1:8b',
        provider: 'ollama',
        prompt_tokens: 100,
        completion_tokens: 50,
        latency_ms: LLM_MS,
        cost_usd: 0,
        status: 'ok',
      },
    ],
  });
}

const writerTasks = Array.from({ length: 4 }, (_, i) => task(`${token}-w${i}`, writer, now - 120_000 + i));
const writerAnswers = writerTasks.map((t, i) =>
  answer(`${token}-wa${i}`, t, t.timestamp + QUEUED_MS, t.timestamp + QUEUED_MS + WORKING_MS),
);
const legacyTasks = Array.from({ length: 2 }, (_, i) => task(`${token}-l${i}`, legacy, now - 60_000 + i));
const legacyAnswers = legacyTasks.map((t, i) => answer(`${token}-la${i}`, t, null, t.timestamp + 9_000));
const pendingTask = task(`${token}-open`, writer, now - 10_000);

let db: TestDatabase;
let config: Config;
let producer: TestProducer;
let processors: RunningProcessors;
let testApi: { api: Api; close(): Promise<void> };
const oldSubject = `it-${token}-previous-agent-message`;

beforeAll(async () => {
  db = await createTestDatabase('it_time');
  config = processorsTestConfig(db.name, `it-time-${token}`, token);
  await createTopics(config, [boss, writer, legacy].map(queueTopic));
  await startGroupsAtEnd(config, [config.processors.groupId], [ERRORS_TOPIC]);
  producer = await createTestProducer(config);
  processors = await runProcessorsInProcess(config);

  const send = (m: AgentMessage) =>
    producer.send(queueTopic(m.target_agent), RecordKind.AGENT_MESSAGE, [m], (v) => v.message_id);
  for (const m of [...writerTasks, ...writerAnswers, pendingTask, ...legacyTasks]) await send(m);
  // a producer built before started_at existed: the previous schema, under a subject of this run
  const previous = JSON.parse(loadSchemaText('agent-message.avsc')) as { fields: { name: string }[] };
  previous.fields = previous.fields.filter((f) => f.name !== 'started_at');
  const oldCodec = new SchemaCodec({
    registry: createSchemaRegistry(config),
    registryUrl: config.registry.url,
    records: [{ kind: RecordKind.AGENT_MESSAGE, schemaText: JSON.stringify(previous), subject: oldSubject }],
  });
  for (const m of legacyAnswers) {
    const old: Partial<AgentMessage> = { ...m };
    delete old.started_at;
    await producer.sendRaw(queueTopic(m.target_agent), [
      await oldCodec.encode(RecordKind.AGENT_MESSAGE, old as AgentMessage),
    ]);
  }
  const expected = writerTasks.length * 2 + 1 + legacyTasks.length * 2;
  const stored = () =>
    countRows(
      db.access,
      `SELECT uniqExact(message_id) AS n FROM message_log WHERE trace_id = ${quoteString(trace)}`,
    );
  if (!(await eventually(async () => (await stored()) === expected, 60_000)))
    throw new Error(`the processors stored ${await stored()} of ${expected} messages`);
  testApi = await buildTestApi(db.config, `it-time-${token}`);
});

afterAll(async () => {
  await testApi.close();
  await processors.stop();
  await producer.close();
  await deleteTopics(config, [boss, writer, legacy].map(queueTopic));
  await deleteGroups(config, [config.processors.groupId]);
  const subject = `${config.registry.url}/subjects/${encodeURIComponent(oldSubject)}`;
  await fetch(subject, { method: 'DELETE' });
  await fetch(`${subject}?permanent=true`, { method: 'DELETE' });
  await db.drop();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await testApi.api.fetch(new Request(`http://localhost${path}`));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function graphql(
  query: string,
): Promise<{ data?: Record<string, unknown>; errors?: { message: string }[] }> {
  const response = await testApi.api.fetch(
    new Request('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }),
  );
  return (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
}

describe("where a task's time went, from Kafka to every interface", () => {
  it('splits a task whose answer reports started_at into queued, working, LLM and other', async () => {
    const { status, body } = await get(`/api/v1/tasks/${writerTasks[0]?.message_id ?? ''}/time`);
    expect(status).toBe(200);
    const time = TaskTimeSchema.parse(body);
    process.stdout.write(`GET /api/v1/tasks/{id}/time → ${JSON.stringify(time)}\n`);
    expect(time).toMatchObject({
      agent: writer,
      requester: boss,
      state: 'completed',
      split: 'known',
      total_ms: QUEUED_MS + WORKING_MS,
      queued_ms: QUEUED_MS,
      working_ms: WORKING_MS,
      llm_ms: LLM_MS,
      other_ms: WORKING_MS - LLM_MS,
      llm_calls: 1,
    });
  });

  it('says the split is unknown for answers from a producer on the previous schema', async () => {
    const time = TaskTimeSchema.parse(
      (await get(`/api/v1/tasks/${legacyTasks[0]?.message_id ?? ''}/time`)).body,
    );
    expect(time).toMatchObject({
      agent: legacy,
      split: 'unknown',
      total_ms: 9_000,
      queued_ms: null,
      working_ms: null,
      other_ms: null,
      llm_ms: LLM_MS,
      started_at: null,
    });
    expect(time.notes.join(' ')).toContain('started_at');
  });

  it('reports an unanswered task as pending, an unknown one as 404', async () => {
    const pending = await get(`/api/v1/tasks/${pendingTask.message_id}/time`);
    expect(TaskTimeSchema.parse(pending.body)).toMatchObject({ state: 'pending', split: 'pending' });
    const unknown = await get(`/api/v1/tasks/${token}-nope/time`);
    expect(unknown.status).toBe(404);
  });

  it('gives per-agent p50/p95 of each part over the window, unknown splits counted apart', async () => {
    const { status, body } = await get('/api/v1/agents/time?time_window_minutes=15');
    expect(status).toBe(200);
    const read = AgentTimesResponseSchema.parse(body);
    const byAgent = new Map(read.agents.map((a) => [a.agent, a]));
    expect(byAgent.get(writer)).toMatchObject({
      tasks: 4,
      split_known: 4,
      split_unknown: 0,
      queued: { tasks: 4, p50_ms: QUEUED_MS, p95_ms: QUEUED_MS },
      working: { p50_ms: WORKING_MS, p95_ms: WORKING_MS },
      llm: { p50_ms: LLM_MS },
      other: { p50_ms: WORKING_MS - LLM_MS },
      llm_share: 0.75,
    });
    expect(byAgent.get(legacy)).toMatchObject({
      tasks: 2,
      split_known: 0,
      split_unknown: 2,
      queued: null,
      working: null,
      total: { p50_ms: 9_000 },
    });
    const one = AgentTimesResponseSchema.parse(
      (await get(`/api/v1/agents/time?agent_name=${encodeURIComponent(legacy)}`)).body,
    );
    expect(one.agents.map((a) => a.agent)).toEqual([legacy]);
  });

  it('refuses a bad window with a 400 naming the parameter', async () => {
    const { status, body } = await get('/api/v1/agents/time?time_window_minutes=0');
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('time_window_minutes');
  });

  it('breaks a trace down task by task, with totals over the known splits', async () => {
    const { status, body } = await get(`/api/v1/traces/${trace}/time`);
    expect(status).toBe(200);
    const read = TraceTimeSchema.parse(body);
    expect(read.tasks).toHaveLength(writerTasks.length + legacyTasks.length + 1);
    expect(read.totals).toMatchObject({
      split_known: 4,
      split_unknown: 2,
      queued_ms: 4 * QUEUED_MS,
      working_ms: 4 * WORKING_MS,
    });
  });

  it('answers the same through GraphQL, and names a bad argument', async () => {
    const result = await graphql(`{
      taskTime(task_id: "${writerTasks[1]?.message_id ?? ''}") { split queued_ms working_ms llm_ms other_ms }
      agentTime(window_minutes: 15, agent: "${writer}") { agents { agent tasks queued { p50_ms p95_ms } llm_share } }
      traceTime(trace_id: "${trace}") { totals { split_known split_unknown } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      taskTime: {
        split: 'known',
        queued_ms: QUEUED_MS,
        working_ms: WORKING_MS,
        llm_ms: LLM_MS,
        other_ms: 500,
      },
      agentTime: {
        agents: [
          { agent: writer, tasks: 4, queued: { p50_ms: QUEUED_MS, p95_ms: QUEUED_MS }, llm_share: 0.75 },
        ],
      },
      traceTime: { totals: { split_known: 4, split_unknown: 2 } },
    });
    const bad = await graphql('{ agentTime(window_minutes: 0) { truncated } }');
    expect(bad.errors?.[0]?.message).toContain('window_minutes');
  });

  it('answers through the MCP tool task_time', async () => {
    const server = createMcpServer(testApi.api.context);
    const client = new Client({ name: 'it-time', version: '1' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    try {
      const result = await client.callTool({ name: 'task_time', arguments: { agent: writer } });
      expect(result.isError).toBeFalsy();
      const content = result.structuredContent as { agents: { agent: string; queued: { p50_ms: number } }[] };
      expect(content.agents[0]).toMatchObject({ agent: writer, queued: { p50_ms: QUEUED_MS } });
      const one = await client.callTool({
        name: 'task_time',
        arguments: { task_id: legacyTasks[1]?.message_id ?? '' },
      });
      expect(one.structuredContent).toMatchObject({ split: 'unknown', queued_ms: null });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('prints the per-agent table and a trace through the CLI', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const root = new Command().exitOverride();
    registerTimeCommand(root, {
      context: () => ({ config: db.config, logger: testLogger() }),
      out: sink,
      err: sink,
    });
    await root.parseAsync(['node', 'agent-telemetry', 'time', '--window', '15']);
    process.stdout.write(`agent-telemetry time --window 15\n${out}\n`);
    const writerLine = out.split('\n').find((l) => l.startsWith(writer));
    expect(writerLine).toMatch(/40\.0s \/ 40\.0s\s+2\.0s \/ 2\.0s\s+1\.5s \/ 1\.5s\s+500ms \/ 500ms\s+75%/);
    expect(out.split('\n').find((l) => l.startsWith(legacy))).toMatch(/\?\s+\?/);
    out = '';
    await root.parseAsync(['node', 'agent-telemetry', 'time', '--trace', trace, '--json']);
    expect(TraceTimeSchema.parse(JSON.parse(out)).totals.split_known).toBe(4);
    process.exitCode = undefined;
  });
});
