/**
 * The oracle state's JSON Schema (draft-07, as the old service published it). Strict means
 * `additionalProperties: false` on every object and formats checked (ajv-formats); the lenient form
 * allows unknown keys, as the old schema did. Values that cannot be measured are `null`, never made up.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: Json };

export const TASK_STATUSES = ['running', 'waiting', 'completed', 'failed'] as const;
export const POD_STATUSES = ['Running', 'Pending', 'Failed', 'Succeeded', 'Unknown'] as const;
export const PRIORITY_LEVELS = ['low', 'normal', 'high', 'critical'] as const;

function object(
  strict: boolean,
  required: string[],
  properties: Record<string, JsonSchema>,
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    required,
    properties,
    additionalProperties: !strict,
  };
}

const str = (description?: string): JsonSchema => ({
  type: 'string',
  ...(description === undefined ? {} : { description }),
});
const nonEmpty = (description?: string): JsonSchema => ({ ...str(description), minLength: 1 });
const time = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });
const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
const nullableNumber = (description: string): JsonSchema => ({
  type: ['number', 'null'],
  minimum: 0,
  description,
});
const nullableCount = (description: string): JsonSchema => ({
  type: ['integer', 'null'],
  minimum: 0,
  description,
});
const array = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description === undefined ? {} : { description }),
});

export function oracleSchema(strict = true): JsonSchema {
  const o = (required: string[], properties: Record<string, JsonSchema>, description?: string): JsonSchema =>
    object(strict, required, properties, description);
  const activeTask = o(['id', 'started_on', 'status'], {
    id: nonEmpty('task (message) id'),
    started_on: time('when the task was submitted'),
    status: {
      type: 'string',
      enum: [...TASK_STATUSES],
      description: 'running: the agent consumed it; waiting: still on the queue',
    },
  });
  const agent = o(
    ['name', 'deployment_name', 'models', 'activity'],
    {
      name: nonEmpty('agent name, as on its queue agent-queue-<name>'),
      deployment_name: str('Kubernetes Deployment running the agent; empty when it runs outside Kubernetes'),
      description: str('oracle-monitor/description annotation'),
      models: array(
        nonEmpty(),
        'models the agent was seen calling, plus the oracle-monitor/models annotation',
      ),
      max_parallel_invocations: count('max_concurrency the agent last reported in its heartbeat'),
      activity: o(['active_task_ids', 'updated_at'], {
        active_task_ids: array(activeTask, 'pending tasks addressed to the agent, oldest first'),
        updated_at: time('latest heartbeat or message of the agent'),
      }),
    },
    'an agent discovered by ORACLE_DISCOVERY_MODE',
  );
  const pod = o(['pod_id', 'cpu', 'memory', 'status'], {
    pod_id: nonEmpty('pod name'),
    cpu: nullableNumber('CPU usage in millicores (metrics.k8s.io); null without a metrics server'),
    memory: nullableNumber('memory usage in MiB (metrics.k8s.io); null without a metrics server'),
    status: { type: 'string', enum: [...POD_STATUSES] },
  });
  const workload = o(['deployment_name', 'max_pods', 'live', 'pods'], {
    deployment_name: nonEmpty(),
    max_pods: count('HorizontalPodAutoscaler maxReplicas, else the desired replicas'),
    pod_max_ram: {
      type: 'number',
      minimum: 0,
      description: 'memory limit of one pod in MiB (sum over its containers)',
    },
    pod_max_cpu: {
      type: 'number',
      minimum: 0,
      description: 'CPU limit of one pod in millicores (sum over its containers)',
    },
    live: o(['active_pods', 'updated_at'], {
      active_pods: count('ready replicas'),
      updated_at: time('when the Kubernetes API was read'),
      image: nonEmpty('image of the first container'),
      rolled_out_at: time('last update of the Progressing condition after a completed rollout'),
    }),
    pods: array(pod),
  });
  const task = o(['id', 'priority', 'submitted_at'], {
    id: nonEmpty(),
    priority: o(['level'], {
      level: { type: 'string', enum: [...PRIORITY_LEVELS] },
      blocked_task: nonEmpty('id of a task this one waits for'),
      waiting_since_mins: { type: 'number', minimum: 0, description: 'minutes since the task was submitted' },
    }),
    submitted_at: time('when the task was sent'),
    invoked_by: nonEmpty('the requesting agent'),
    prompt: str(),
    args: { type: 'object', description: 'the task payload (JSON object)' },
  });
  const queue = o(['name', 'tasks', 'updated_at'], {
    name: nonEmpty('topic of the queue, agent-queue-<agent>'),
    tasks: array(task, 'pending tasks, oldest first'),
    updated_at: time('latest message observed on the queue, else the time of the state'),
  });
  const model = o(['model', 'provider', 'tpm_max', 'rpm_max'], {
    model: nonEmpty(),
    provider: str('provider as reported by the agents; empty for a limit configured for any provider'),
    tpm_max: nullableCount('configured tokens-per-minute limit (LLM_LIMITS); null when none is configured'),
    rpm_max: nullableCount('configured requests-per-minute limit (LLM_LIMITS); null when none is configured'),
    tpm: count('tokens in the last 60 seconds'),
    rpm: count('calls in the last 60 seconds'),
    credits: { type: 'number' },
    payment_type: { type: 'string', enum: ['prepaid', 'postpaid', 'free'] },
    input_context: count('context window'),
    output_context: count('maximum output tokens'),
    output_dim: count('embedding dimension'),
    input_types: array(nonEmpty()),
    output_types: array(nonEmpty()),
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://agent-telemetry.dev/schemas/oracle-state.json',
    title: 'Oracle state of a multi-agent system',
    ...o(['id', 'agents', 'workload', 'queues', 'litellm'], {
      id: nonEmpty('system id (ORACLE_SYSTEM_ID)'),
      generated_at: time('when the state was measured'),
      agents: array(agent),
      workload: array(workload, 'Deployments of the agents; empty outside Kubernetes'),
      queues: array(queue),
      litellm: array(model, 'observed LLM usage against configured limits'),
    }),
  };
}
