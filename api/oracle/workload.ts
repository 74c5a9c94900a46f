import type { Config } from '../../lib/config.js';
import { normalizeAgentName } from '../../schemas/topics.js';
import {
  parseCpu,
  parseMemoryMiB,
  type Deployment,
  type HorizontalPodAutoscaler,
  type Pod,
  type PodMetrics,
} from './kubernetes.js';
import { POD_STATUSES } from './schema.js';

/**
 * Pure mapping from Kubernetes objects to the oracle's agents and workload: discovery by labels and
 * annotations, pods by their Deployment's selector, usage from metrics.k8s.io, limits from the pod
 * template. Nothing here is estimated: what Kubernetes does not report stays absent or null.
 */
export type DiscoveryMode = Config['oracle']['discoveryMode'];

export const ORACLE_LABEL = 'oracle-monitor/agent';
export const ORACLE_NAME = 'oracle-monitor/name';
export const ORACLE_DESCRIPTION = 'oracle-monitor/description';
export const ORACLE_MODELS = 'oracle-monitor/models';
export const ORACLE_EXCLUDE = 'oracle-monitor/exclude';

/** The mode in effect: `auto` is `labeled` in a cluster, `telemetry` outside one. */
export function effectiveMode(mode: DiscoveryMode, inCluster: boolean): Exclude<DiscoveryMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return inCluster ? 'labeled' : 'telemetry';
}

const meta = (d: Deployment, key: string): string | undefined =>
  d.metadata.annotations?.[key] ?? d.metadata.labels?.[key];

export function isExcluded(d: Deployment): boolean {
  return meta(d, ORACLE_EXCLUDE) === 'true';
}

/** The agent a Deployment runs: `oracle-monitor/name`, else the Deployment's name. */
export function agentNameOf(d: Deployment): string {
  return normalizeAgentName(meta(d, ORACLE_NAME) ?? d.metadata.name);
}

export interface DeploymentAgent {
  name: string;
  deployment: Deployment;
  description: string | undefined;
  models: string[];
}

export function deploymentAgent(d: Deployment): DeploymentAgent {
  const models = (meta(d, ORACLE_MODELS) ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return { name: agentNameOf(d), deployment: d, description: meta(d, ORACLE_DESCRIPTION), models };
}

/** Whether `pod` matches every label of the Deployment's `matchLabels` selector. */
export function selects(d: Deployment, pod: Pod): boolean {
  const match = d.spec?.selector?.matchLabels;
  if (match === undefined || Object.keys(match).length === 0) return false;
  return Object.entries(match).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The sum, or undefined when the list is empty or any value is missing (no limit on one container = no pod limit). */
function sumAll(values: readonly (number | undefined)[]): number | undefined {
  if (values.length === 0) return undefined;
  let total = 0;
  for (const value of values) {
    if (value === undefined) return undefined;
    total += value;
  }
  return total;
}

const round = (value: number): number => Math.round(value * 10) / 10;

export interface WorkloadEntry {
  deployment_name: string;
  max_pods: number;
  pod_max_ram?: number;
  pod_max_cpu?: number;
  live: { active_pods: number; updated_at: string; image?: string; rolled_out_at?: string };
  pods: {
    pod_id: string;
    cpu: number | null;
    memory: number | null;
    status: (typeof POD_STATUSES)[number];
  }[];
}

export function workloadOf(
  d: Deployment,
  pods: readonly Pod[],
  metrics: readonly PodMetrics[] | undefined,
  autoscalers: readonly HorizontalPodAutoscaler[] | undefined,
  readAt: string,
): WorkloadEntry {
  const containers = d.spec?.template?.spec?.containers;
  const hpa = autoscalers?.find(
    (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata.name,
  );
  const ram = sumAll((containers ?? []).map((c) => parseMemoryMiB(c.resources?.limits?.memory)));
  const cpu = sumAll((containers ?? []).map((c) => parseCpu(c.resources?.limits?.cpu)));
  const image = containers?.[0]?.image;
  const progressing = d.status?.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
  );
  return {
    deployment_name: d.metadata.name,
    max_pods: hpa?.spec?.maxReplicas ?? d.spec?.replicas ?? 1,
    ...(ram === undefined ? {} : { pod_max_ram: round(ram) }),
    ...(cpu === undefined ? {} : { pod_max_cpu: round(cpu) }),
    live: {
      active_pods: d.status?.readyReplicas ?? 0,
      updated_at: readAt,
      ...(image === undefined || image === '' ? {} : { image }),
      ...(progressing?.lastUpdateTime === undefined
        ? {}
        : { rolled_out_at: new Date(progressing.lastUpdateTime).toISOString() }),
    },
    pods: pods
      .filter((p) => selects(d, p))
      .map((p) => {
        const usage = metrics?.find((m) => m.metadata.name === p.metadata.name);
        const cpuUse = sumAll((usage?.containers ?? []).map((c) => parseCpu(c.usage.cpu)));
        const memUse = sumAll((usage?.containers ?? []).map((c) => parseMemoryMiB(c.usage.memory)));
        const phase = p.status?.phase;
        return {
          pod_id: p.metadata.name,
          cpu: cpuUse === undefined ? null : round(cpuUse),
          memory: memUse === undefined ? null : round(memUse),
          status: (POD_STATUSES as readonly string[]).includes(phase ?? '')
            ? (phase as (typeof POD_STATUSES)[number])
            : 'Unknown',
        };
      })
      .sort((a, b) => a.pod_id.localeCompare(b.pod_id)),
  };
}
