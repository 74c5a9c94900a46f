import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../lib/config.js';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { migrate } from '../../lib/migrations.js';
import {
  createTestDatabase,
  testConfig,
  testLogger,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { ensureTopics } from '../../lib/topics.js';
import { queueTopic } from '../../schemas/topics.js';
import { createKafkaView } from '../kafka-view.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import { Seeder } from '../diagnosis/test-support/seed.js';
import { seedHealthy, teamOf, type Team } from '../diagnosis/test-support/seed-scenarios.js';
import { startKubernetesFixture, type KubernetesFixture } from './test-support/kubernetes-fixture.js';
import type { OracleState } from './state.js';
import { createOracleValidator } from './validate.js';

/**
 * The oracle over seeded ClickHouse data, the real Kafka (the agent's consumer group decides
 * running vs waiting) and an HTTP server that answers as the Kubernetes API does.
 */
describe('oracle state', () => {
  const logger = testLogger();
  const token = uniqueToken();
  let team: Team;
  let db: TestDatabase;
  let admin: Admin;
  let k8s: KubernetesFixture;
  let dir: string;
  let config: Config;
  let api: Api;
  const now = Date.now();
  const runningTask = `${token}-running`;
  const waitingTask = `${token}-waiting`;

  const deployment = (name: string, agent: string, labels: Record<string, string>) => ({
    metadata: {
      name,
      namespace: 'agents',
      labels: { app: name, ...labels },
      annotations: {
        'oracle-monitor/name': agent,
        'oracle-monitor/models': 'gpt-4o-mini',
        'oracle-monitor/description': `the ${name}`,
      },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        spec: {
          containers: [
            {
              name: 'agent',
              image: 'agent-telemetry:1.0',
              resources: { limits: { cpu: '500m', memory: '256Mi' } },
            },
          ],
        },
      },
    },
    status: {
      replicas: 2,
      readyReplicas: 2,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          lastUpdateTime: '2026-11-24T01:00:00Z',
        },
      ],
    },
  });

  beforeAll(async () => {
    team = teamOf(token);
    db = await createTestDatabase('oracle');
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    const seeder = new Seeder();
    seedHealthy(seeder, team, now, 20);
    seeder.task({
      id: runningTask,
      agent: team.researcher,
      requester: team.orchestrator,
      atMs: now - 4 * 60_000,
      priority: 'high',
    });
    seeder.task({
      id: waitingTask,
      agent: team.researcher,
      requester: team.orchestrator,
      atMs: now - 2 * 60_000,
    });
    // the researcher's queue: the first task at offset 0 (consumed below), the second at offset 5
    for (const row of seeder.messages) {
      if (row.message_id === runningTask) Object.assign(row, { partition: 0, offset: 0 });
      if (row.message_id === waitingTask) Object.assign(row, { partition: 0, offset: 5 });
    }
    await seeder.flush(db.access);

    admin = createKafka(db.config, logger, 'it-oracle').admin();
    await admin.connect();
    const topic = queueTopic(team.researcher);
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    // the researcher's group has taken the first message off its queue
    const consumer = createKafka(db.config, logger, 'it-oracle-consumer').consumer({
      kafkaJS: { groupId: `agent-${team.researcher}`, fromBeginning: true, autoCommit: false },
    });
    const producer = createKafka(db.config, logger, 'it-oracle-producer').producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: null, value: Buffer.from('x') }] });
    await producer.disconnect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
            resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    dir = await mkdtemp(join(tmpdir(), 'oracle-'));
    await writeFile(join(dir, 'token'), 'sa-token-123\n');
    k8s = await startKubernetesFixture({
      namespace: 'agents',
      token: 'sa-token-123',
      deployments: [
        deployment('research', team.researcher, { 'oracle-monitor/agent': 'true' }),
        deployment('writing', team.writer, { 'oracle-monitor/agent': 'true' }),
        deployment('retired', `retired-${token}`, {
          'oracle-monitor/agent': 'true',
          'oracle-monitor/exclude': 'true',
        }),
        deployment('database', 'database', {}),
      ],
      pods: [
        { metadata: { name: 'research-7d9f-a', labels: { app: 'research' } }, status: { phase: 'Running' } },
        { metadata: { name: 'research-7d9f-b', labels: { app: 'research' } }, status: { phase: 'Pending' } },
        { metadata: { name: 'writing-5c4b-a', labels: { app: 'writing' } }, status: { phase: 'Running' } },
      ],
      metrics: [
        {
          metadata: { name: 'research-7d9f-a' },
          containers: [{ name: 'agent', usage: { cpu: '35123456n', memory: '120Mi' } }],
        },
      ],
    });
    config = testConfig({
      CLICKHOUSE_DATABASE: db.name,
      ORACLE_KUBERNETES_API_URL: k8s.url,
      ORACLE_KUBERNETES_NAMESPACE: 'agents',
      ORACLE_KUBERNETES_TOKEN_FILE: join(dir, 'token'),
      ORACLE_DISCOVERY_MODE: 'auto',
      ORACLE_SYSTEM_ID: `it-${token}`,
      LLM_LIMITS: JSON.stringify([
        { model: 'llama3.1:8b', provider: 'ollama', tpm_max: 100_000, rpm_max: 600 },
      ]),
    });
    api = buildApi(config, {
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
    await admin.deleteGroups([`agent-${team.researcher}`]).catch(() => undefined);
    await admin.deleteTopics({ topics: [queueTopic(team.researcher)] }).catch(() => undefined);
    await admin.disconnect();
    await k8s.close();
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  });

  const get = async (path: string) => {
    const response = await api.fetch(new Request(`http://localhost${path}`));
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('discovers labelled Deployments in a cluster and fills the state from measured data', async () => {
    const { status, body } = await get('/api/v1/oracle/state');
    expect(status).toBe(200);
    const state = body as OracleState;
    expect(createOracleValidator(true).validate(state)).toMatchObject({ valid: true });
    expect(state.id).toBe(`it-${token}`);
    expect(state.agents.map((a) => [a.name, a.deployment_name])).toEqual([
      [team.researcher, 'research'],
      [team.writer, 'writing'],
    ]);
    const researcher = state.agents[0];
    expect(researcher?.models).toEqual(['gpt-4o-mini', 'llama3.1:8b']);
    expect(researcher?.max_parallel_invocations).toBe(4);
    expect(researcher?.activity.active_task_ids.map((t) => [t.id, t.status])).toEqual([
      [runningTask, 'running'],
      [waitingTask, 'waiting'],
    ]);
    const queue = state.queues.find((q) => q.name === queueTopic(team.researcher));
    expect(queue?.tasks.map((t) => [t.id, t.priority.level, t.invoked_by])).toEqual([
      [runningTask, 'high', team.orchestrator],
      [waitingTask, 'normal', team.orchestrator],
    ]);
    expect(queue?.tasks[0]?.priority.waiting_since_mins).toBeGreaterThanOrEqual(4);
    const research = state.workload.find((w) => w.deployment_name === 'research');
    expect(research).toMatchObject({
      max_pods: 2,
      pod_max_cpu: 500,
      pod_max_ram: 256,
      live: { active_pods: 2, image: 'agent-telemetry:1.0', rolled_out_at: '2026-11-24T01:00:00.000Z' },
    });
    expect(research?.pods).toEqual([
      { pod_id: 'research-7d9f-a', cpu: 35.1, memory: 120, status: 'Running' },
      { pod_id: 'research-7d9f-b', cpu: null, memory: null, status: 'Pending' },
    ]);
    const llama = state.litellm.find((m) => m.model === 'llama3.1:8b');
    expect(llama).toMatchObject({ provider: 'ollama', tpm_max: 100_000, rpm_max: 600 });
    expect(k8s.requests).toContain(
      '/apis/apps/v1/namespaces/agents/deployments?labelSelector=oracle-monitor%2Fagent%3Dtrue',
    );
  });

  it('answers the schema, the validation and the other forms', async () => {
    const schema = (await get('/api/v1/oracle/schema')).body as {
      additionalProperties: boolean;
      required: string[];
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['id', 'agents', 'workload', 'queues', 'litellm']);
    expect((await get('/api/v1/oracle/validate')).body).toEqual({ valid: true, error_count: 0, errors: [] });
    const summary = (await get('/api/v1/oracle/state?format=summary')).body;
    expect(summary).toMatchObject({
      format: 'summary',
      agents: 2,
      deployments: 2,
      active_pods: 4,
      pending_tasks: 2,
      running_tasks: 1,
    });
    const log = (await get('/api/v1/oracle/state?format=log')).body as { content: string };
    expect(log.content).toContain(`queue ${queueTopic(team.researcher)} pending=2 oldest=${runningTask}`);
    expect(((await get('/api/v1/oracle/workload')).body as { workload: unknown[] }).workload).toHaveLength(2);
    expect((await get('/api/v1/oracle/state?format=yaml')).status).toBe(400);
  });

  it('answers GraphQL oracleState and validateOracle', async () => {
    const response = await api.fetch(
      new Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ oracleState validateOracle(strict: true) { valid error_count } }' }),
      }),
    );
    const body = (await response.json()) as {
      data?: { oracleState: OracleState; validateOracle: { valid: boolean } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data?.validateOracle.valid).toBe(true);
    expect(body.data?.oracleState.agents).toHaveLength(2);
  });

  it('is a server fault, not a made-up state, when the Kubernetes API refuses the token', async () => {
    const refused = buildApi(
      testConfig({
        CLICKHOUSE_DATABASE: db.name,
        ORACLE_KUBERNETES_API_URL: k8s.url,
        ORACLE_KUBERNETES_NAMESPACE: 'agents',
        ORACLE_KUBERNETES_TOKEN_FILE: join(dir, 'missing'),
      }),
      {
        logger,
        reader: db.access,
        kafka: createKafkaView(admin),
        feed: new LiveHub(),
        checks: [],
        metrics: createApiMetrics({ processMetrics: false }),
      },
    );
    const response = await refused.fetch(new Request('http://localhost/api/v1/oracle/state'));
    expect(response.status).toBeGreaterThanOrEqual(500);
    await refused.stop();
  });

  it('discovers agents from telemetry outside a cluster', async () => {
    const outside = buildApi(testConfig({ CLICKHOUSE_DATABASE: db.name, ORACLE_DISCOVERY_MODE: 'auto' }), {
      logger,
      reader: db.access,
      kafka: createKafkaView(admin),
      feed: new LiveHub(),
      checks: [],
      metrics: createApiMetrics({ processMetrics: false }),
    });
    const state = (await (
      await outside.fetch(new Request('http://localhost/api/v1/oracle/state'))
    ).json()) as OracleState;
    expect(state.agents.map((a) => a.name)).toEqual(
      [team.coder, team.orchestrator, team.researcher, team.reviewer, team.writer].sort(),
    );
    expect(state.agents.every((a) => a.deployment_name === '')).toBe(true);
    expect(state.workload).toEqual([]);
    await outside.stop();
  });
});
