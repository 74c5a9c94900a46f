import { describe, expect, it } from 'vitest';
import { parseCpu, parseMemoryMiB, type Deployment, type Pod } from './kubernetes.js';
import { stateAsLog, stateSummary } from './module.js';
import { oracleSchema } from './schema.js';
import type { OracleState } from './state.js';
import { createOracleValidator } from './validate.js';
import { agentNameOf, effectiveMode, isExcluded, selects, workloadOf } from './workload.js';

const AT = '2026-11-24T03:00:00.000Z';

const validState = (): OracleState => ({
  id: 'agent-telemetry',
  generated_at: AT,
  agents: [
    {
      name: 'researcher',
      deployment_name: 'researcher',
      description: 'finds things',
      models: ['gpt-4o-mini'],
      max_parallel_invocations: 4,
      activity: { active_task_ids: [{ id: 't1', started_on: AT, status: 'running' }], updated_at: AT },
    },
  ],
  workload: [
    {
      deployment_name: 'researcher',
      max_pods: 3,
      pod_max_ram: 512,
      pod_max_cpu: 500,
      live: { active_pods: 1, updated_at: AT, image: 'agent:1', rolled_out_at: AT },
      pods: [{ pod_id: 'researcher-abc', cpu: 12.5, memory: 100, status: 'Running' }],
    },
  ],
  queues: [
    {
      name: 'agent-queue-researcher',
      tasks: [
        {
          id: 't1',
          priority: { level: 'high', waiting_since_mins: 2.5 },
          submitted_at: AT,
          invoked_by: 'orchestrator',
          args: { goal: 'x' },
        },
      ],
      updated_at: AT,
    },
  ],
  litellm: [{ model: 'gpt-4o-mini', provider: 'openai', tpm_max: 200_000, rpm_max: null, tpm: 1200, rpm: 3 }],
});

describe('oracle schema', () => {
  const strict = createOracleValidator(true);
  const lenient = createOracleValidator(false);

  it('accepts a measured state', () => {
    expect(strict.validate(validState())).toEqual({ valid: true, error_count: 0, errors: [] });
  });

  it('refuses an extra key in strict mode, naming its path, and allows it in lenient mode', () => {
    const state = validState() as unknown as { agents: Record<string, unknown>[] };
    const agent = state.agents[0];
    if (agent !== undefined) agent.cpu_guess = 0;
    const result = strict.validate(state);
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual([
      {
        path: '/agents/0/cpu_guess',
        message: 'must NOT have additional properties',
        validator: 'additionalProperties',
        validator_value: false,
      },
    ]);
    expect(lenient.validate(state).valid).toBe(true);
  });

  it('checks formats, enums and required keys', () => {
    const state = validState();
    const [queue] = state.queues;
    const [pod] = state.workload[0]?.pods ?? [];
    if (queue === undefined || pod === undefined) throw new Error('fixture');
    queue.updated_at = 'yesterday';
    (pod as { status: string }).status = 'Exploded';
    const broken = { ...state, litellm: [{ model: 'x', provider: 'y' }] };
    const result = strict.validate(broken);
    expect(result.errors.map((e) => [e.path, e.validator])).toEqual(
      expect.arrayContaining([
        ['/queues/0/updated_at', 'format'],
        ['/workload/0/pods/0/status', 'enum'],
        ['/litellm/0', 'required'],
      ]),
    );
    expect(result.error_count).toBe(result.errors.length);
  });

  it('is strict throughout: every object schema forbids unknown keys', () => {
    const objects: unknown[] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      if ((node as { type?: unknown }).type === 'object' && 'properties' in node) objects.push(node);
      Object.values(node).forEach(walk);
    };
    walk(oracleSchema(true));
    expect(objects.length).toBeGreaterThan(8);
    // args is a free-form payload object without properties, the one deliberate exception
    expect(
      objects.every((o) => (o as { additionalProperties?: unknown }).additionalProperties === false),
    ).toBe(true);
  });
});

describe('Kubernetes quantities', () => {
  it.each([
    ['250m', 250],
    ['1', 1000],
    ['1.5', 1500],
    ['123456789n', 123.456789],
    ['500u', 0.5],
  ])('cpu %s is %d millicores', (q, expected) => {
    expect(parseCpu(q)).toBeCloseTo(expected, 6);
  });

  it.each([
    ['512Mi', 512],
    ['1Gi', 1024],
    ['1048576', 1],
    ['1M', 1e6 / 1024 ** 2],
    ['131072Ki', 128],
  ])('memory %s is %d MiB', (q, expected) => {
    expect(parseMemoryMiB(q)).toBeCloseTo(expected, 6);
  });

  it('refuses malformed quantities', () => {
    expect(parseCpu('lots')).toBeUndefined();
    expect(parseMemoryMiB('12Qi')).toBeUndefined();
    expect(parseCpu(undefined)).toBeUndefined();
  });
});

describe('discovery and workload mapping', () => {
  const deployment: Deployment = {
    metadata: {
      name: 'research-deploy',
      labels: { 'oracle-monitor/agent': 'true' },
      annotations: { 'oracle-monitor/name': 'Researcher' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'research' } },
      template: {
        spec: {
          containers: [
            { name: 'agent', image: 'agent:2', resources: { limits: { cpu: '500m', memory: '512Mi' } } },
            { name: 'sidecar', image: 'proxy:1', resources: { limits: { cpu: '100m', memory: '64Mi' } } },
          ],
        },
      },
    },
    status: {
      readyReplicas: 1,
      conditions: [
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: AT },
      ],
    },
  };
  const pod = (name: string, app: string, phase: string): Pod => ({
    metadata: { name, labels: { app } },
    status: { phase },
  });

  it('names the agent by annotation and honours exclusion', () => {
    expect(agentNameOf(deployment)).toBe('researcher');
    expect(isExcluded({ metadata: { name: 'x', labels: { 'oracle-monitor/exclude': 'true' } } })).toBe(true);
    expect(isExcluded(deployment)).toBe(false);
  });

  it('auto means labeled in a cluster and telemetry outside one', () => {
    expect(effectiveMode('auto', true)).toBe('labeled');
    expect(effectiveMode('auto', false)).toBe('telemetry');
    expect(effectiveMode('all', false)).toBe('all');
  });

  it('maps pods by selector, usage from metrics, limits summed over containers', () => {
    const pods = [
      pod('research-1', 'research', 'Running'),
      pod('research-2', 'research', 'Weird'),
      pod('other', 'other', 'Running'),
    ];
    expect(selects(deployment, pods[2] as Pod)).toBe(false);
    const metrics = [
      {
        metadata: { name: 'research-1' },
        containers: [
          { name: 'agent', usage: { cpu: '12000000n', memory: '102400Ki' } },
          { name: 'sidecar', usage: { cpu: '1m', memory: '10Mi' } },
        ],
      },
    ];
    const entry = workloadOf(
      deployment,
      pods,
      metrics,
      [
        {
          metadata: { name: 'h' },
          spec: { scaleTargetRef: { kind: 'Deployment', name: 'research-deploy' }, maxReplicas: 6 },
        },
      ],
      AT,
    );
    expect(entry).toEqual({
      deployment_name: 'research-deploy',
      max_pods: 6,
      pod_max_ram: 576,
      pod_max_cpu: 600,
      live: { active_pods: 1, updated_at: AT, image: 'agent:2', rolled_out_at: AT },
      pods: [
        { pod_id: 'research-1', cpu: 13, memory: 110, status: 'Running' },
        { pod_id: 'research-2', cpu: null, memory: null, status: 'Unknown' },
      ],
    });
  });

  it('leaves limits out when a container has none, and takes replicas without an autoscaler', () => {
    const open: Deployment = {
      ...deployment,
      spec: { ...deployment.spec, template: { spec: { containers: [{ name: 'agent' }] } } },
    };
    const entry = workloadOf(open, [], undefined, undefined, AT);
    expect(entry.max_pods).toBe(2);
    expect('pod_max_ram' in entry).toBe(false);
    expect(createOracleValidator(true).validate({ ...validState(), workload: [entry] }).valid).toBe(true);
  });
});

describe('state forms', () => {
  it('renders the log and summary forms from the state', () => {
    const state = validState();
    expect(stateAsLog(state)).toContain(
      'queue agent-queue-researcher pending=1 oldest=t1 waiting_since_mins=2.5',
    );
    expect(stateSummary(state)).toMatchObject({
      agents: 1,
      deployments: 1,
      active_pods: 1,
      pending_tasks: 1,
      running_tasks: 1,
      models: 1,
    });
  });
});
