import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import {
  ClaudeErrorsSchema,
  DiagnosisJsonSchema,
  DiagnosisPromptSchema,
  DiagnosisSummarySchema,
} from './schemas.js';
import { DiagnosisKindsSchema } from './kinds.js';
import { seedScenario, teamOf, type Expectation } from './test-support/seed-scenarios.js';
import { Seeder } from './test-support/seed.js';

/** The diagnosis routes through the real API (REST router, GraphQL) over a seeded database. */
describe('diagnosis routes', () => {
  const logger = testLogger();
  let db: TestDatabase;
  let admin: Admin;
  let api: Api;
  let expected: Expectation | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('diagapi');
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    const seeder = new Seeder();
    expected = seedScenario(seeder, 'rate-limited', teamOf(uniqueToken()), Date.now(), 30);
    await seeder.flush(db.access);
    admin = createKafka(db.config, logger, 'it-diagnosis-api').admin();
    await admin.connect();
    api = buildApi(db.config, {
      logger,
      reader: db.access,
      kafka: createKafkaView(admin),
      feed: new LiveHub(),
      checks: [],
      metrics: createApiMetrics({ processMetrics: false }),
    });
  });

  afterAll(async () => {
    await api.stop();
    await admin.disconnect();
    await db.drop();
  });

  const get = async (path: string) => {
    const response = await api.fetch(new Request(`http://localhost${path}`));
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('answers the json bundle in the contract shape, top issue naming the agent and cause', async () => {
    const { status, body } = await get('/api/v1/claude/diagnose?time_window_minutes=15');
    expect(status).toBe(200);
    const report = DiagnosisJsonSchema.parse(body);
    expect(report.metadata.time_window_minutes).toBe(15);
    expect(report.issues.items[0]?.kind).toBe(expected?.kind);
    expect(report.issues.items[0]?.affected_components[0]).toBe(expected?.agent);
    expect(report.rate_limits.any_rate_limited).toBe(true);
    expect(report.issues.counts.total).toBe(report.issues.items.length);
  });

  it('shares one diagnosis between the callers of a cache period, whatever kinds they keep', async () => {
    const generatedAt = (body: unknown): string => DiagnosisJsonSchema.parse(body).metadata.generated_at;
    // a window no other test asks for, so the first of these requests computes the report
    const path = '/api/v1/claude/diagnose?time_window_minutes=7';
    const concurrent = await Promise.all([get(path), get(path), get(`${path}&kind=stuck_tasks`)]);
    const first = generatedAt(concurrent[0].body);
    expect(concurrent.map((answer) => generatedAt(answer.body))).toEqual([first, first, first]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // later callers get the same report (computed at least 20 ms earlier) until it is refreshed
    expect(generatedAt((await get(path)).body)).toBe(first);
  });

  it('answers the summary and the prompt forms', async () => {
    const summary = DiagnosisSummarySchema.parse((await get('/api/v1/claude/diagnose?format=summary')).body);
    expect(summary.system_status).not.toBe('healthy');
    expect(summary.top_issues[0]?.affected_components[0]).toBe(expected?.agent);
    const prompt = DiagnosisPromptSchema.parse(
      (await get('/api/v1/claude/diagnose?format=prompt&max_tokens=200')).body,
    );
    expect(prompt.estimated_tokens).toBeLessThanOrEqual(200);
    expect(prompt.content).toContain('rate limit');
  });

  it.each([
    ['/api/v1/claude/diagnose?time_window_minutes=61', 'time_window_minutes'],
    ['/api/v1/claude/diagnose?time_window_minutes=0', 'time_window_minutes'],
    ['/api/v1/claude/diagnose?format=xml', 'format'],
    ['/api/v1/claude/diagnose?kind=stuck_tasks,no_such_kind', 'kind'],
    ['/api/v1/claude/errors?limit=51', 'limit'],
    ['/api/v1/claude/errors?include_suggestions=maybe', 'include_suggestions'],
  ])('%s is a 400 naming %s', async (path, parameter) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect((body as { parameter?: string }).parameter).toBe(parameter);
  });

  it('lists the issue kinds and keeps only the asked kinds', async () => {
    const kinds = DiagnosisKindsSchema.parse((await get('/api/v1/claude/diagnose/kinds')).body).kinds;
    expect(kinds.find((k) => k.kind === 'delegation_loop')).toMatchObject({ cause: true });
    expect(kinds.find((k) => k.kind === 'stuck_tasks')?.cause).toBe(false);
    expect(kinds.every((k) => k.suggested_actions.length > 0)).toBe(true);
    const only = DiagnosisJsonSchema.parse(
      (await get(`/api/v1/claude/diagnose?kind=${expected?.kind ?? ''},orphan_answers`)).body,
    );
    expect(only.issues.items.map((i) => i.kind)).toEqual([expected?.kind]);
    const none = DiagnosisJsonSchema.parse((await get('/api/v1/claude/diagnose?kind=delegation_loop')).body);
    expect(none.issues.items).toEqual([]);
    expect(none.metadata.system_status).not.toBe('healthy');
  });

  it('groups errors with their real first and last seen and suggestions for their category', async () => {
    const { status, body } = await get('/api/v1/claude/errors?limit=5&include_raw_errors=true');
    expect(status).toBe(200);
    const report = ClaudeErrorsSchema.parse(body);
    const group = report.errors[0];
    expect(group?.error_category).toBe('llm_error');
    expect(group?.http_status).toBe(429);
    expect(group?.affected_agents).toEqual([expected?.agent]);
    expect(Date.parse(group?.first_seen ?? '')).toBeLessThan(Date.parse(group?.last_seen ?? ''));
    expect(Date.now() - Date.parse(group?.last_seen ?? '')).toBeGreaterThan(10_000); // not the request time
    expect(group?.suggestions?.[0]).toContain('Retry-After');
    expect(report.raw_errors?.length).toBeGreaterThan(0);
    expect(report.total_error_types).toBe(1);
  });

  it('answers GraphQL diagnose(window) from the same bundle', async () => {
    const response = await api.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            '{ diagnose(window: 15) { system_status health_score issues { kind affected_components evidence } prompt(max_tokens: 150) } ' +
            'diagnosisKinds { kind cause } loops: diagnose(kinds: ["delegation_loop"]) { issues { kind } } }',
        }),
      }),
    );
    const body = (await response.json()) as {
      data?: {
        diagnose: {
          system_status: string;
          issues: { kind: string; affected_components: string[] }[];
          prompt: string;
        };
        diagnosisKinds: { kind: string; cause: boolean }[];
        loops: { issues: unknown[] };
      };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data?.diagnose.issues[0]).toMatchObject({
      kind: expected?.kind,
      affected_components: [expected?.agent],
    });
    expect(body.data?.diagnose.prompt.length).toBeLessThanOrEqual(600);
    expect(body.data?.diagnosisKinds).toContainEqual({ kind: 'orphan_answers', cause: true });
    expect(body.data?.loops.issues).toEqual([]);
    const bad = await api.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ diagnose(window: 600) { system_status } }' }),
      }),
    );
    const badBody = (await bad.json()) as {
      errors?: { extensions?: { code?: string; argument?: string } }[];
    };
    expect(badBody.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'window' });
  });
});
