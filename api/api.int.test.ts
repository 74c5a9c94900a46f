import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate } from '../lib/migrations.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import type { RestRoute } from './module.js';
import type { Api } from './server.js';
import { seedRun, type Seeded } from './test-support/seed.js';
import { buildTestApi } from './test-support/test-api.js';

/**
 * REST and GraphQL over a fresh database seeded through the table modules, read by the API as the
 * stack's read-only ClickHouse user: values, not just shapes, and every answer checked against the
 * route's published response schema (the contract's keys and types).
 */
let db: TestDatabase;
let close: () => Promise<void>;
let api: Api;
let seeded: Seeded;

beforeAll(async () => {
  db = await createTestDatabase('api');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  const token = `t${uniqueToken()}`;
  seeded = await seedRun(db.access, token, Date.now());
  const config = { ...db.config, agents: [`${token}-coder`, `${token}-researcher`, `${token}-idle`] };
  const built = await buildTestApi(config, 'it-api');
  api = built.api;
  close = () => built.close();
});

afterAll(async () => {
  await close();
  await db.drop();
});

/** The route a path is served by: a literal path wins over a template (as in the router). */
function routeOf(path: string): RestRoute {
  const pathname = new URL(`http://localhost${path}`).pathname;
  const matching = api.routes
    .filter((r) => new RegExp(`^${r.path.replace(/\{[a-z_]+\}/g, '[^/]+')}$`).test(pathname))
    .sort((a, b) => a.path.split('{').length - b.path.split('{').length);
  const route = matching[0];
  if (route === undefined) throw new Error(`no route for ${path}`);
  return route;
}

/** GET a REST route; a 200 body must satisfy the route's response schema. */
async function rest(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await api.fetch(new Request(`http://localhost${path}`));
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status === 200) {
    const checked = routeOf(path).response.safeParse(body);
    expect(checked.success, `${path}: ${checked.success ? '' : z.prettifyError(checked.error)}`).toBe(true);
  }
  return { status: response.status, body };
}

async function graphql(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}> {
  const response = await api.fetch(
    new Request('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return (await response.json()) as { data?: Record<string, unknown> };
}

describe('queues', () => {
  it('lists every queue with pending counts, oldest pending age, totals and a Burrow status', async () => {
    const { status, body } = await rest('/api/v1/queues');
    expect(status).toBe(200);
    const queues = body.queues as {
      agent_name: string;
      pending_tasks: number;
      total_messages: number;
      lag_status: string;
      lag_partition_status: string;
      lag: number | null;
      lag_source: string;
      oldest_pending_task_id: string | null;
      oldest_pending_age_seconds: number | null;
      pending: { message_id: string }[];
    }[];
    const coder = queues.find((q) => q.agent_name === seeded.coder);
    // T1, T2 and the coder's own heartbeat
    expect(coder).toMatchObject({
      pending_tasks: 1,
      total_messages: 3,
      oldest_pending_task_id: seeded.ids.t2,
      lag_status: 'ERR',
      lag_partition_status: 'STALL',
      lag: 11,
      lag_source: 'lag_samples',
    });
    expect(coder?.oldest_pending_age_seconds).toBeGreaterThanOrEqual(59);
    expect(coder?.pending.map((m) => m.message_id)).toEqual([seeded.ids.t2]);
    const researcher = queues.find((q) => q.agent_name === seeded.researcher);
    expect(researcher).toMatchObject({
      pending_tasks: 0,
      total_messages: 2,
      lag_status: 'OK',
      lag: null,
      lag_source: 'none',
    });
    expect(queues.find((q) => q.agent_name === `${seeded.coder.replace('-coder', '')}-idle`)).toMatchObject({
      total_messages: 0,
      pending_tasks: 0,
    });
  });

  it("pages an agent's messages newest first and filters them by type", async () => {
    const first = await rest(`/api/v1/queues/${seeded.coder}?message_type=task&limit=1`);
    expect(first.status).toBe(200);
    expect((first.body.messages as { message_id: string }[]).map((m) => m.message_id)).toEqual([
      seeded.ids.t2,
    ]);
    expect(first.body.pending_tasks).toBe(1);
    const second = await rest(
      `/api/v1/queues/${seeded.coder}?message_type=task&limit=1&cursor=${String(first.body.next_cursor)}`,
    );
    const t1 = (second.body.messages as Record<string, unknown>[])[0];
    expect(t1).toMatchObject({
      message_id: seeded.ids.t1,
      priority: 'high',
      payload: { step: 1 },
      reason: 'write the code',
      parent_message_id: null,
      queue_topic: `agent-queue-${seeded.coder}`,
    });
    expect(second.body.next_cursor).toBeNull();
    const results = await rest(`/api/v1/queues/${seeded.orchestrator}?message_type=error`);
    expect((results.body.messages as { message_id: string }[]).map((m) => m.message_id)).toEqual([
      seeded.ids.e1,
    ]);
    expect((await rest('/api/v1/queues/nobody-here')).status).toBe(404);
  });

  it("lists an agent's pending tasks with their messages", async () => {
    const { body } = await rest(`/api/v1/queues/${seeded.coder}/pending`);
    expect(body.pending_count).toBe(1);
    expect(
      (body.tasks as { message_id: string; priority: string }[]).map((t) => [t.message_id, t.priority]),
    ).toEqual([[seeded.ids.t2, 'critical']]);
  });

  it('answers the same through GraphQL', async () => {
    const result = await graphql(
      `
        query ($agent: String!) {
          queues {
            agent_name
            pending_tasks
            lag_status
            lag_partition_status
          }
          queue(agent: $agent, message_type: task, limit: 5) {
            queue {
              pending_tasks
              oldest_pending_task_id
            }
            messages {
              items {
                message_id
                priority
                payload
              }
              next_cursor
            }
          }
          pendingTasks(filter: { min_priority: critical }) {
            task_id
            agent_name
            state
          }
        }
      `,
      { agent: seeded.coder },
    );
    expect(result.errors).toBeUndefined();
    const data = result.data as {
      queues: { agent_name: string; lag_partition_status: string }[];
      queue: { queue: unknown; messages: { items: { message_id: string }[] } };
      pendingTasks: { task_id: string }[];
    };
    expect(data.queues.find((q) => q.agent_name === seeded.coder)?.lag_partition_status).toBe('STALL');
    expect(data.queue.queue).toEqual({ pending_tasks: 1, oldest_pending_task_id: seeded.ids.t2 });
    expect(data.queue.messages.items.map((m) => m.message_id)).toEqual([seeded.ids.t2, seeded.ids.t1]);
    expect(data.pendingTasks.map((t) => t.task_id)).toContain(seeded.ids.t2);
    expect(data.pendingTasks.every((t) => t.task_id !== seeded.ids.t1)).toBe(true);
  });
});

describe('tasks', () => {
  it("gives a task's whole history across agents", async () => {
    const { status, body } = await rest(`/api/v1/tasks/${seeded.ids.t3}`);
    expect(status).toBe(200);
    expect(
      (body.states as { agent_name: string; state: string; resolved_by: string }[]).map((s) => [
        s.agent_name,
        s.state,
        s.resolved_by,
      ]),
    ).toEqual([[seeded.researcher, 'failed', seeded.ids.e1]]);
    expect((body.messages as { message_id: string }[]).map((m) => m.message_id)).toEqual([
      seeded.ids.t3,
      seeded.ids.e1,
    ]);
    expect((body.errors as { error_id: string }[]).map((e) => e.error_id)).toEqual([
      seeded.errors.researcher1,
      seeded.errors.researcher2,
    ]);
    expect(body.trace_id).toBe(seeded.ids.tr2);
    expect((await rest(`/api/v1/tasks/${seeded.ids.t1}x`)).status).toBe(404);
    const t1 = await graphql(`{ task(id: "${seeded.ids.t1}") { states { state latency_ms } } }`);
    expect(t1.data).toEqual({ task: { states: [{ state: 'completed', latency_ms: 2000 }] } });
  });

  it('filters pending tasks by agent, priority and age', async () => {
    const pending = await rest(`/api/v1/tasks/pending?agent_name=${seeded.coder}&min_age_seconds=30`);
    expect((pending.body.tasks as { task_id: string }[]).map((t) => t.task_id)).toEqual([seeded.ids.t2]);
    const younger = await rest(`/api/v1/tasks/pending?agent_name=${seeded.coder}&min_age_seconds=600`);
    expect(younger.body.tasks).toEqual([]);
    expect((await rest('/api/v1/tasks/pending?min_priority=urgent')).body.parameter).toBe('min_priority');
  });
});

describe('errors', () => {
  it('lists errors newest first with filters, a total and the summary', async () => {
    const all = await rest(`/api/v1/errors?trace_id=${seeded.ids.tr2}`);
    expect(all.body.total).toBe(2);
    expect((all.body.errors as { error_id: string }[]).map((e) => e.error_id)).toEqual([
      seeded.errors.researcher2,
      seeded.errors.researcher1,
    ]);
    const critical = await rest(
      `/api/v1/errors?agent_name=${seeded.researcher}&severity=critical&category=llm_error&limit=1`,
    );
    expect(critical.body.total).toBe(2);
    expect((critical.body.errors as unknown[]).length).toBe(1);
    const next = await rest(
      `/api/v1/errors?agent_name=${seeded.researcher}&severity=critical&limit=1&cursor=${String(critical.body.next_cursor)}`,
    );
    expect((next.body.errors as { error_id: string }[]).map((e) => e.error_id)).toEqual([
      seeded.errors.researcher1,
    ]);
    expect(next.body.next_cursor).toBeNull();
    const none = await rest(`/api/v1/errors?agent_name=${seeded.coder}&severity=critical`);
    expect(none.body).toMatchObject({ total: 0, errors: [] });
    const standalone = await rest('/api/v1/errors/summary');
    expect(standalone.body).toEqual(all.body.summary);
    expect((standalone.body.by_category as Record<string, number>).llm_error).toBeGreaterThanOrEqual(2);
    const summary = all.body.summary as { by_agent: Record<string, number> };
    expect(summary.by_agent[seeded.researcher]).toBe(2);
    expect(summary.by_agent[seeded.coder]).toBe(1);
  });

  it('gives one error with every contract field, 404 for an unknown one', async () => {
    const { body } = await rest(`/api/v1/errors/${seeded.errors.coder}`);
    expect(body.error).toMatchObject({
      error_id: seeded.errors.coder,
      agent_name: seeded.coder,
      severity: 'error',
      category: 'tool_error',
      input_data: { file: 'a.py' },
      tool_parameters: null,
      is_retryable: true,
      duration_before_error_ms: 12.5,
      suggested_fixes: ['retry'],
      task_id: seeded.ids.t2,
      timestamp: new Date(seeded.nowMs - 50_000).toISOString(),
    });
    const missing = await rest(`/api/v1/errors/${seeded.errors.coder}-nope`);
    expect(missing).toEqual({ status: 404, body: { detail: `error ${seeded.errors.coder}-nope not found` } });
    const byAgent = await rest(`/api/v1/errors/agent/${seeded.coder}`);
    expect(byAgent.body.total).toBe(1);
  });

  it('groups errors by fingerprint with first and last seen, count and trend', async () => {
    const { body } = await rest(`/api/v1/errors/groups?agent_name=${seeded.researcher}`);
    const groups = body.groups as {
      fingerprint: string;
      count: number;
      first_seen: string;
      last_seen: string;
      severity: string;
      agents: string[];
      trend: { buckets: number[]; direction: string };
    }[];
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      count: 2,
      severity: 'critical',
      agents: [seeded.researcher],
      first_seen: new Date(seeded.nowMs - 29_500).toISOString(),
      last_seen: new Date(seeded.nowMs - 29_200).toISOString(),
    });
    expect(groups[0]?.trend.buckets.reduce((a, b) => a + b, 0)).toBe(2);
    expect(groups[0]?.trend.direction).toBe('new');
  });

  it('answers the same through GraphQL, with cursor pages and argument errors', async () => {
    const page = await graphql(
      `
        query ($trace: String) {
          errors(filter: { trace_id: $trace }, limit: 1) {
            total
            items {
              error_id
              input_data
            }
            next_cursor
          }
        }
      `,
      { trace: seeded.ids.tr2 },
    );
    const errors = (
      page.data as { errors: { total: number; items: { error_id: string }[]; next_cursor: string } }
    ).errors;
    expect(errors.total).toBe(2);
    expect(errors.items.map((e) => e.error_id)).toEqual([seeded.errors.researcher2]);
    const single = await graphql(
      `{ error(id: "${seeded.errors.researcher1}") { error_type http_status } missing: error(id: "nope-x") { error_id } }`,
    );
    expect(single.data).toEqual({ error: { error_type: 'RateLimitError', http_status: 429 }, missing: null });
    const bad = await graphql('{ errors(limit: 0) { total } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'limit' });
    const summary = await graphql('{ errorSummary { total_errors by_agent { key count } } }');
    const byAgent = (summary.data as { errorSummary: { by_agent: { key: string; count: number }[] } })
      .errorSummary.by_agent;
    expect(byAgent.find((e) => e.key === seeded.researcher)?.count).toBe(2);
  });
});

describe('traces and agents', () => {
  it('gives a trace as a tree and a timeline', async () => {
    const { body } = await rest(`/api/v1/traces/${seeded.ids.tr1}`);
    expect(body).toMatchObject({ message_count: 3, error_count: 1, status: 'failed', duration_ms: 70_000 });
    const roots = body.roots as {
      message: { message_id: string };
      children: {
        message: { message_id: string };
        children: { message: { message_id: string }; errors: { error_id: string }[] }[];
      }[];
    }[];
    expect(roots.map((r) => r.message.message_id)).toEqual([seeded.ids.t1]);
    expect(roots[0]?.children[0]?.message.message_id).toBe(seeded.ids.r1);
    expect(roots[0]?.children[0]?.children[0]?.message.message_id).toBe(seeded.ids.t2);
    expect(roots[0]?.children[0]?.children[0]?.errors.map((e) => e.error_id)).toEqual([seeded.errors.coder]);
    const timeline = await rest(`/api/v1/traces/${seeded.ids.tr1}/timeline`);
    expect(
      (timeline.body.timeline as { kind: string; offset_ms: number }[]).map((e) => [e.kind, e.offset_ms]),
    ).toEqual([
      ['message', 0],
      ['message', 2_000],
      ['message', 60_000],
      ['error', 70_000],
    ]);
    const graph = await rest(`/api/v1/traces/${seeded.ids.tr1}/graph`);
    expect(graph.body.edges).toEqual([
      { source_agent: seeded.coder, target_agent: seeded.orchestrator, message_type: 'result', count: 1 },
      { source_agent: seeded.orchestrator, target_agent: seeded.coder, message_type: 'task', count: 2 },
    ]);
    expect((await rest(`/api/v1/traces/${seeded.ids.tr1}/errors`)).body.total).toBe(1);
    expect((await rest(`/api/v1/traces/${seeded.ids.tr1}-x`)).status).toBe(404);
    const listed = await rest(`/api/v1/traces?agent_name=${seeded.researcher}`);
    expect(listed.body.traces).toEqual([
      expect.objectContaining({ trace_id: seeded.ids.tr2, status: 'failed', error_count: 2 }),
    ]);
    const context = await rest(`/api/v1/claude/context/${seeded.ids.tr1}`);
    expect((context.body.pending_tasks as { task_id: string }[]).map((t) => t.task_id)).toEqual([
      seeded.ids.t2,
    ]);
    const gql = await graphql(`{ trace(id: "${seeded.ids.tr2}") { status timeline { kind summary } } }`);
    expect((gql.data as { trace: { status: string; timeline: unknown[] } }).trace.timeline).toHaveLength(4);
  });

  it('reports liveness, throughput, error rate and LLM usage per agent', async () => {
    const { body } = await rest('/api/v1/agents?window_minutes=10');
    const agents = body.agents as {
      agent_name: string;
      liveness: string;
      results_sent: number;
      errors_sent: number;
      errors_reported: number;
      error_rate: number;
      tasks_received: number;
      llm: { calls: number; rate_limited: number; prompt_tokens: number };
    }[];
    expect(agents.find((a) => a.agent_name === seeded.coder)).toMatchObject({
      liveness: 'alive',
      results_sent: 1,
      tasks_received: 2,
      errors_reported: 1,
    });
    expect(agents.find((a) => a.agent_name === seeded.researcher)).toMatchObject({
      liveness: 'dead',
      errors_sent: 1,
      errors_reported: 2,
      error_rate: 1,
    });
    expect(agents.find((a) => a.agent_name === seeded.researcher)?.llm).toMatchObject({
      calls: 2,
      rate_limited: 1,
      prompt_tokens: 150,
    });
    const limits = await rest('/api/v1/claude/rate-limits');
    expect(limits.body.any_rate_limited).toBe(true);
  });
});
