import type { ClickHouseReader } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { queueTopic } from '../../schemas/topics.js';
import {
  fetchModels,
  fetchModelUsage,
  fetchPendingTasks,
  fetchQueueActivity,
  fetchSeenAgents,
  type PendingTask,
} from './facts.js';
import type { KubernetesClient } from './kubernetes.js';
import {
  deploymentAgent,
  effectiveMode,
  isExcluded,
  ORACLE_LABEL,
  workloadOf,
  type DeploymentAgent,
  type DiscoveryMode,
  type WorkloadEntry,
} from './workload.js';

/** The oracle state: what runs, what waits and what the models are used for, measured only. */

export interface ActiveTask {
  id: string;
  started_on: string;
  status: 'running' | 'waiting';
}

export interface OracleAgent {
  name: string;
  deployment_name: string;
  description?: string;
  models: string[];
  max_parallel_invocations?: number;
  activity: { active_task_ids: ActiveTask[]; updated_at: string };
}

export interface QueueTask {
  id: string;
  priority: { level: PendingTask['priority']; waiting_since_mins: number };
  submitted_at: string;
  invoked_by?: string;
  args?: Record<string, unknown>;
}

export interface OracleQueue {
  name: string;
  tasks: QueueTask[];
  updated_at: string;
}

export interface OracleModel {
  model: string;
  provider: string;
  tpm_max: number | null;
  rpm_max: number | null;
  tpm: number;
  rpm: number;
}

export interface OracleState {
  id: string;
  generated_at: string;
  agents: OracleAgent[];
  workload: WorkloadEntry[];
  queues: OracleQueue[];
  litellm: OracleModel[];
}

export interface OracleSettings {
  systemId: string;
  discoveryMode: DiscoveryMode;
  activityWindowMinutes: number;
  maxTasksPerQueue: number;
  llmLimits: Readonly<Config['llmLimits']>;
}

/** Committed offsets of a consumer group (the API's Kafka admin view satisfies it). */
export interface GroupOffsetsSource {
  groupLag(
    groupId: string,
    topic: string,
  ): Promise<{ partitions: { partition: number; committed_offset: number }[] } | undefined>;
}

export interface OracleSources {
  reader: ClickHouseReader;
  kafka: GroupOffsetsSource;
  /** Present when running in a cluster (or pointed at an API server). */
  kubernetes: KubernetesClient | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function argsOf(payload: string): Record<string, unknown> | undefined {
  if (payload === '') return undefined;
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A pending task is `running` when the agent's consumer group has committed past its offset (the
 * agent took it off the queue and has not answered yet), `waiting` otherwise.
 */
async function consumedOffsets(kafka: GroupOffsetsSource, agent: string): Promise<Map<number, number>> {
  const lag = await kafka.groupLag(`agent-${agent}`, queueTopic(agent));
  return new Map((lag?.partitions ?? []).map((p) => [p.partition, p.committed_offset]));
}

interface Discovered {
  name: string;
  deployment: DeploymentAgent | undefined;
}

async function discover(
  sources: OracleSources,
  mode: DiscoveryMode,
  seen: readonly string[],
): Promise<Discovered[]> {
  const k8s = sources.kubernetes;
  const effective = effectiveMode(mode, k8s !== undefined);
  if (effective === 'telemetry') {
    const deployments =
      k8s === undefined
        ? []
        : (await k8s.listDeployments()).filter((d) => !isExcluded(d)).map(deploymentAgent);
    return seen.map((name) => ({ name, deployment: deployments.find((d) => d.name === name) }));
  }
  if (k8s === undefined) return [];
  const deployments = await k8s.listDeployments(effective === 'labeled' ? `${ORACLE_LABEL}=true` : undefined);
  return deployments
    .filter((d) => !isExcluded(d))
    .map(deploymentAgent)
    .map((d) => ({ name: d.name, deployment: d }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function buildOracleState(
  sources: OracleSources,
  settings: OracleSettings,
  nowMs: number,
): Promise<OracleState> {
  const sinceMs = nowMs - settings.activityWindowMinutes * 60_000;
  const seen = await fetchSeenAgents(sources.reader, sinceMs);
  const discovered = await discover(
    sources,
    settings.discoveryMode,
    seen.map((s) => s.agent),
  );
  const names = discovered.map((d) => d.name);
  const k8s = sources.kubernetes;
  const withDeployment = discovered.flatMap((d) =>
    d.deployment === undefined ? [] : [d.deployment.deployment],
  );
  const [models, pending, queueActivity, usage, offsets, pods, metrics, autoscalers] = await Promise.all([
    fetchModels(sources.reader, sinceMs),
    fetchPendingTasks(sources.reader, names, nowMs, settings.maxTasksPerQueue),
    fetchQueueActivity(sources.reader, names),
    fetchModelUsage(sources.reader, sinceMs, nowMs),
    Promise.all(names.map(async (name) => [name, await consumedOffsets(sources.kafka, name)] as const)),
    k8s === undefined || withDeployment.length === 0 ? Promise.resolve([]) : k8s.listPods(),
    k8s === undefined || withDeployment.length === 0 ? Promise.resolve(undefined) : k8s.listPodMetrics(),
    k8s === undefined || withDeployment.length === 0 ? Promise.resolve(undefined) : k8s.listAutoscalers(),
  ]);
  const committed = new Map(offsets);
  const readAt = iso(nowMs);

  const agents = discovered.map((d): OracleAgent => {
    const s = seen.find((x) => x.agent === d.name);
    const mine = pending.filter((t) => t.agent === d.name);
    const groupOffsets = committed.get(d.name) ?? new Map<number, number>();
    const modelList = [...new Set([...(d.deployment?.models ?? []), ...(models.get(d.name) ?? [])])].sort();
    return {
      name: d.name,
      deployment_name: d.deployment?.deployment.metadata.name ?? '',
      ...(d.deployment?.description === undefined ? {} : { description: d.deployment.description }),
      models: modelList,
      ...(s === undefined || s.max_concurrency === 0 ? {} : { max_parallel_invocations: s.max_concurrency }),
      activity: {
        active_task_ids: mine.map((t) => {
          const at = groupOffsets.get(t.partition);
          return {
            id: t.task_id,
            started_on: iso(t.submitted_at_ms),
            status:
              t.offset >= 0 && at !== undefined && at > t.offset
                ? ('running' as const)
                : ('waiting' as const),
          };
        }),
        updated_at: iso(s?.last_seen_ms ?? nowMs),
      },
    };
  });

  const queues = discovered.map((d): OracleQueue => ({
    name: queueTopic(d.name),
    tasks: pending
      .filter((t) => t.agent === d.name)
      .map((t) => {
        const args = argsOf(t.payload);
        return {
          id: t.task_id,
          priority: {
            level: t.priority,
            waiting_since_mins: Math.max(0, Math.round((nowMs - t.submitted_at_ms) / 6_000) / 10),
          },
          submitted_at: iso(t.submitted_at_ms),
          ...(t.requester === '' ? {} : { invoked_by: t.requester }),
          ...(args === undefined ? {} : { args }),
        };
      }),
    updated_at: iso(queueActivity.get(d.name) ?? nowMs),
  }));

  const litellm: OracleModel[] = usage.map((u) => {
    const limit =
      settings.llmLimits.find((l) => l.model === u.model && l.provider === u.provider) ??
      settings.llmLimits.find((l) => l.model === u.model && l.provider === '');
    return {
      model: u.model,
      provider: u.provider,
      tpm_max: limit?.tpm_max ?? null,
      rpm_max: limit?.rpm_max ?? null,
      tpm: u.tpm,
      rpm: u.rpm,
    };
  });
  // configured models nobody called in the activity window still show their limits, with zero use
  for (const l of settings.llmLimits) {
    if (!litellm.some((m) => m.model === l.model && (l.provider === '' || m.provider === l.provider))) {
      litellm.push({
        model: l.model,
        provider: l.provider,
        tpm_max: l.tpm_max,
        rpm_max: l.rpm_max,
        tpm: 0,
        rpm: 0,
      });
    }
  }

  return {
    id: settings.systemId,
    generated_at: readAt,
    agents,
    workload: withDeployment.map((dep) => workloadOf(dep, pods, metrics, autoscalers, readAt)),
    queues,
    litellm,
  };
}
