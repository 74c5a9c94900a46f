import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client';
// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
// eslint-disable-next-line import-x/no-unresolved -- the SDK's `./*` export maps types to `*.js.d.ts`; tsc and Node resolve it
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../lib/config.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import {
  seedScenario,
  teamOf,
  workers,
  type Expectation,
  type Team,
} from '../diagnosis/test-support/seed-scenarios.js';
import { Seeder } from '../diagnosis/test-support/seed.js';
import type { Api } from '../server.js';
import { buildTestApi } from '../test-support/test-api.js';
import { MCP_API_PATH } from './http.js';
import { executeAsReadOnlyUser } from './sql-query.js';
import { ToolFailure } from './tool-kit.js';

/**
 * The MCP server as a coding assistant meets it: the SDK's own client over stdio (spawning the
 * built CLI) and over Streamable HTTP (mounted on the API, and `mcp --http`), against a fresh
 * database holding the "stuck-task" fault scenario. Every tool's answer is compared with the REST
 * API's answer for the same question.
 */
const ALL_TOOLS = [
  'action_log',
  'agent_status',
  'cancel_task',
  'diagnose',
  'error_groups',
  'get_error',
  'get_task',
  'get_trace',
  'list_errors',
  'oracle_state',
  'pending_tasks',
  'queue_status',
  'replay_dead_letters',
  'retry_task',
  'sql_query',
  'task_time',
  'validate_state',
];
/** The tools that act (with API_ACTIONS=on): annotated as writes. */
const WRITE_TOOLS: ReadonlySet<string> = new Set(['cancel_task', 'replay_dead_letters', 'retry_task']);

const HEARTBEAT_TIMEOUT_S = 600;

let db: TestDatabase;
let close: () => Promise<void>;
let api: Api;
let config: Config;
let team: Team;
let expected: Expectation | undefined;
let stdio: Client;
let http: Client;
let standalone: ChildProcess | undefined;

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    CLICKHOUSE_DATABASE: db.name,
    AGENT_NAMES: config.agents.join(','),
    DIAGNOSIS_HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S),
    LOG_LEVEL: 'warn',
  };
}

beforeAll(async () => {
  db = await createTestDatabase('mcp');
  await migrate({ server: db.server, database: db.access, databaseName: db.name, logger: testLogger() });
  team = teamOf(uniqueToken());
  const seeder = new Seeder();
  expected = seedScenario(seeder, 'stuck-task', team, Date.now(), 30);
  await seeder.flush(db.access);
  config = {
    ...db.config,
    agents: [team.orchestrator, ...workers(team)],
    api: { ...db.config.api, port: 0, host: '127.0.0.1' },
    // the scenario is a stuck task: agents must not turn dead while a slow machine runs the suite
    diagnosis: { ...db.config.diagnosis, heartbeatTimeoutS: HEARTBEAT_TIMEOUT_S },
  };
  const built = await buildTestApi(config, 'it-mcp');
  api = built.api;
  close = () => built.close();
  const port = await api.start();
  stdio = new Client({ name: 'it-stdio', version: '1' });
  await stdio.connect(
    new StdioClientTransport({
      command: 'node',
      args: ['dist/cli/main.js', 'mcp'],
      env: childEnv(),
      stderr: 'inherit',
    }),
  );
  http = new Client({ name: 'it-http', version: '1' });
  await http.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}${MCP_API_PATH}`)));
});

afterAll(async () => {
  await stdio.close();
  await http.close();
  standalone?.kill('SIGTERM');
  await close();
  await db.drop();
});

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape it reads
async function rest<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await api.fetch(new Request(`http://localhost${path}`));
  return { status: response.status, body: (await response.json()) as T };
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The structured answer of a successful call (a failed call fails the test with its text). */
async function answer<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await call(client, name, args);
  const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
  expect(result.isError ?? false, `${name}: ${text}`).toBe(false);
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  return result.structuredContent as T;
}

function errorText(result: CallToolResult): string {
  expect(result.isError).toBe(true);
  return result.content[0]?.type === 'text' ? result.content[0].text : '';
}

describe('MCP server', () => {
  it('lists the same seventeen tools, with described inputs and read/write annotations, over stdio and over HTTP', async () => {
    for (const client of [stdio, http]) {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
      for (const tool of tools) {
        expect(tool.description?.length ?? 0).toBeGreaterThan(40);
        expect(tool.annotations?.readOnlyHint, tool.name).toBe(!WRITE_TOOLS.has(tool.name));
        expect(tool.annotations?.idempotentHint, tool.name).toBe(true);
        for (const property of Object.values(tool.inputSchema.properties ?? {})) {
          expect((property as { description?: string }).description, tool.name).toBeTruthy();
        }
      }
    }
  });

  it('serves `mcp --http` on its own port', async () => {
    const child = spawn('node', ['dist/cli/main.js', 'mcp', '--http', '0'], {
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    standalone = child;
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /listening on (http:\/\/\S+\/mcp)/.exec(seen);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => {
        reject(new Error(`mcp --http exited with ${String(code)}: ${seen}`));
      });
    });
    const client = new Client({ name: 'it-standalone', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools.length).toBe(ALL_TOOLS.length);
    const pending = await answer<{ count: number }>(client, 'pending_tasks', { agent: team.reviewer });
    expect(pending.count).toBeGreaterThan(0);
    await client.close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    standalone = undefined;
  });

  describe.each([
    ['stdio', () => stdio],
    ['http', () => http],
  ] as const)('over %s, during the stuck-task scenario', (_transport, client) => {
    it('diagnose puts the stuck reviewer first, as GET /api/v1/claude/diagnose does', async () => {
      const result = await answer<{
        issues: { id: string; kind: string; affected_components: string[] }[];
        system_status: string;
      }>(client(), 'diagnose', { time_window_minutes: 15 });
      expect(expected).toBeDefined();
      const top = result.issues[0];
      expect(top?.kind).toBe(expected?.kind);
      expect(top?.affected_components).toContain(expected?.agent);
      const { body } = await rest<{
        issues: { items: { id: string }[] };
        metadata: { system_status: string };
      }>('/api/v1/claude/diagnose?time_window_minutes=15');
      expect(top?.id).toBe(body.issues.items[0]?.id);
      expect(result.system_status).toBe(body.metadata.system_status);
      const scoped = await answer<{ issues: { affected_components: string[] }[] }>(client(), 'diagnose', {
        agents: [team.writer],
      });
      for (const issue of scoped.issues) expect(issue.affected_components).toContain(team.writer);
    });

    it('pending_tasks, queue_status and get_task agree with the REST routes', async () => {
      const pending = await answer<{ count: number; tasks: { task_id: string; agent_name: string }[] }>(
        client(),
        'pending_tasks',
        {
          agent: team.reviewer,
          limit: 100,
        },
      );
      const { body } = await rest<{ pending_count: number; task_states: { task_id: string }[] }>(
        `/api/v1/queues/${team.reviewer}/pending`,
      );
      expect(pending.count).toBeGreaterThan(0);
      expect(pending.tasks.map((t) => t.task_id)).toEqual(body.task_states.map((t) => t.task_id));
      const queue = await answer<{ queue: { pending_tasks: number; oldest_pending_task_id: string } }>(
        client(),
        'queue_status',
        {
          agent: team.reviewer,
        },
      );
      expect(queue.queue.pending_tasks).toBe(body.pending_count);
      expect(queue.queue.oldest_pending_task_id).toBe(pending.tasks[0]?.task_id);
      const taskId = pending.tasks[0]?.task_id ?? '';
      const task = await answer<{
        states: { state: string }[];
        messages: { message_id: string }[];
        errors: { error_id: string }[];
      }>(client(), 'get_task', { task_id: taskId });
      const history = await rest<{
        states: { state: string }[];
        messages: { message_id: string }[];
        errors: { error_id: string }[];
      }>(`/api/v1/tasks/${taskId}`);
      expect(task.states.map((s) => s.state)).toEqual(history.body.states.map((s) => s.state));
      expect(task.messages.map((m) => m.message_id)).toEqual(history.body.messages.map((m) => m.message_id));
      expect(task.errors.map((e) => e.error_id)).toEqual(history.body.errors.map((e) => e.error_id));
      expect(task.errors.length).toBeGreaterThan(0);
    });

    it('list_errors, get_error and error_groups agree with the REST routes', async () => {
      const listed = await answer<{
        total: number;
        errors: { error_id: string; trace_id: string }[];
        next_cursor: string | null;
      }>(client(), 'list_errors', { agent: team.orchestrator, limit: 3 });
      const { body } = await rest<{ total: number; errors: { error_id: string }[] }>(
        `/api/v1/errors?agent_name=${team.orchestrator}&limit=3`,
      );
      expect(listed.total).toBe(body.total);
      expect(listed.errors.map((e) => e.error_id)).toEqual(body.errors.map((e) => e.error_id));
      const next = await answer<{ errors: { error_id: string }[] }>(client(), 'list_errors', {
        agent: team.orchestrator,
        limit: 3,
        cursor: listed.next_cursor,
      });
      expect(next.errors.map((e) => e.error_id)).not.toContain(listed.errors[0]?.error_id);
      const id = listed.errors[0]?.error_id ?? '';
      const one = await answer<{ error: Record<string, unknown> }>(client(), 'get_error', { error_id: id });
      expect(one.error).toEqual((await rest<{ error: unknown }>(`/api/v1/errors/${id}`)).body.error);
      const groups = await answer<{ groups: { fingerprint: string; count: number }[] }>(
        client(),
        'error_groups',
        {
          agent: team.orchestrator,
        },
      );
      const restGroups = await rest<{ groups: { fingerprint: string; count: number }[] }>(
        `/api/v1/errors/groups?agent_name=${team.orchestrator}&limit=10`,
      );
      expect(groups.groups.map((g) => [g.fingerprint, g.count])).toEqual(
        restGroups.body.groups.map((g) => [g.fingerprint, g.count]),
      );
    });

    it('get_trace and agent_status agree with the REST routes and the read model', async () => {
      const listed = await answer<{ errors: { trace_id: string }[] }>(client(), 'list_errors', {
        agent: team.orchestrator,
        limit: 1,
      });
      const traceId = listed.errors[0]?.trace_id ?? '';
      const trace = await answer<{
        status: string;
        message_count: number;
        error_count: number;
        timeline: { kind: string }[];
      }>(client(), 'get_trace', { trace_id: traceId });
      const { body } = await rest<{ status: string; message_count: number; error_count: number }>(
        `/api/v1/traces/${traceId}`,
      );
      expect([trace.status, trace.message_count, trace.error_count]).toEqual([
        body.status,
        body.message_count,
        body.error_count,
      ]);
      expect(trace.timeline.some((t) => t.kind === 'error')).toBe(true);
      const status = await answer<{
        agent: { liveness: string; tasks_received: number; heartbeat_state: string };
      }>(client(), 'agent_status', { agent: team.reviewer });
      const view = (await api.context.readModels.agents.list(15)).find((a) => a.agent_name === team.reviewer);
      expect(status.agent.liveness).toBe(view?.liveness);
      expect(status.agent.tasks_received).toBe(view?.tasks_received);
      expect(status.agent.heartbeat_state).toBe('busy');
    });

    it('oracle_state and validate_state answer as GET /api/v1/oracle/state and /validate', async () => {
      const state = await rest<Record<string, unknown>>('/api/v1/oracle/state?format=summary');
      const validation = await rest<Record<string, unknown>>('/api/v1/oracle/validate');
      expect([state.status, validation.status]).toEqual([200, 200]);
      expect(Object.keys(await answer(client(), 'oracle_state', { format: 'summary' }))).toEqual(
        Object.keys(state.body),
      );
      expect(await answer(client(), 'validate_state')).toEqual(validation.body);
    });

    it('sql_query reads as the read-only user, caps rows and refuses writes', async () => {
      const sql = `SELECT count() AS n FROM task_state WHERE agent = '${team.reviewer}' AND state = 'pending'`;
      const counted = await answer<{ rows: { n: string | number }[]; limits: { enforced_by: string } }>(
        client(),
        'sql_query',
        { sql },
      );
      const pending = await rest<{ pending_count: number }>(`/api/v1/queues/${team.reviewer}/pending`);
      expect(Number(counted.rows[0]?.n)).toBe(pending.body.pending_count);
      expect(counted.limits.enforced_by).toBe('client');
      const capped = await answer<{ row_count: number; rows_truncated: boolean }>(client(), 'sql_query', {
        sql: 'SELECT number FROM system.numbers LIMIT 50',
        max_rows: 7,
      });
      expect([capped.row_count, capped.rows_truncated]).toEqual([7, true]);
      for (const write of [
        `INSERT INTO error_facts (error_id) VALUES ('x')`,
        'DROP TABLE message_log',
        'SELECT 1; DROP TABLE message_log',
        'SELECT 1 SETTINGS readonly = 0',
        `ALTER TABLE error_facts DELETE WHERE 1`,
      ]) {
        expect(errorText(await call(client(), 'sql_query', { sql: write }))).toMatch(
          /read-only|one statement|SETTINGS/,
        );
      }
      expect(errorText(await call(client(), 'sql_query', { sql: 'SELECT * FROM no_such_table' }))).toMatch(
        /ClickHouse refused/,
      );
    });

    it('answers invalid arguments and unknown ids with tool errors, not crashes', async () => {
      expect(errorText(await call(client(), 'list_errors', { limit: 0 }))).toMatch(/limit/);
      expect(errorText(await call(client(), 'list_errors', { severity: 'fatal' }))).toMatch(/severity/);
      expect(errorText(await call(client(), 'list_errors', { cursor: '!!' }))).toMatch(/cursor/);
      expect(errorText(await call(client(), 'get_trace', { trace_id: 'not a trace' }))).toMatch(/trace_id/);
      expect(errorText(await call(client(), 'get_error', { error_id: 'no-such-error' }))).toMatch(
        /no error with error_id/,
      );
      expect(errorText(await call(client(), 'get_task', {}))).toMatch(/task_id/);
      expect(errorText(await call(client(), 'queue_status', { agent: 'nobody-here' }))).toMatch(/no queue/);
      expect(errorText(await call(client(), 'diagnose', { time_window_minutes: 600 }))).toMatch(
        /time_window_minutes/,
      );
      // the server is still there
      expect((await client().listTools()).tools.length).toBe(ALL_TOOLS.length);
    });

    it('serves the table reference and the oracle schema as resources', async () => {
      const { resources } = await client().listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual([
        'agent-telemetry://oracle/schema',
        'agent-telemetry://tables',
      ]);
      const tables = await client().readResource({ uri: 'agent-telemetry://tables' });
      const text = tables.contents[0] && 'text' in tables.contents[0] ? tables.contents[0].text : '';
      expect(text).toMatch(/## task_state/);
      expect(text).toMatch(/submitted_at_ms UInt64/);
      const schema = await rest<Record<string, unknown>>('/api/v1/oracle/schema');
      expect(schema.status).toBe(200);
      const read = await client().readResource({ uri: 'agent-telemetry://oracle/schema' });
      const json = read.contents[0] && 'text' in read.contents[0] ? read.contents[0].text : '';
      expect(JSON.parse(json)).toEqual(schema.body);
    });
  });
});

describe('the read-only ClickHouse user', () => {
  it('refuses a write even without the statement check', async () => {
    const attempt = executeAsReadOnlyUser(
      config,
      "INSERT INTO error_facts (error_id) VALUES ('x')",
      'INSERT',
      {
        maxRows: 10,
        timeoutSeconds: 5,
      },
    );
    await expect(attempt).rejects.toThrow(/refused by the read-only ClickHouse user .* code 164/);
    await expect(attempt).rejects.toBeInstanceOf(ToolFailure);
  });
});
