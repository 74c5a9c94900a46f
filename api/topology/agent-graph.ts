import type { AgentView } from '../read-models/agents.js';

/**
 * The agent graph: agents as nodes with their health, and who sends tasks to whom as edges with
 * rate, error rate, p95 latency and pending count. Pure assembly over facts the read model fetched,
 * unit-tested without services.
 */

export const AgentHealth = {
  HEALTHY: 'healthy',
  DEGRADED: 'degraded',
  FAILING: 'failing',
  DOWN: 'down',
  UNKNOWN: 'unknown',
} as const;
export type AgentHealth = (typeof AgentHealth)[keyof typeof AgentHealth];

/** Error rate from which an agent is `failing`; from DEGRADED_ERROR_RATE, `degraded`. */
export const FAILING_ERROR_RATE = 0.5;
export const DEGRADED_ERROR_RATE = 0.1;

/** Tasks from one requester to one worker, as counted in ClickHouse. */
export interface EdgeFact {
  source: string;
  target: string;
  /** Tasks sent in the window. */
  tasks: number;
  completed: number;
  failed: number;
  /** p95 of sent → answered over the window's answered tasks; 0 when none. */
  p95_ms: number;
  /** Tasks of this pair pending now (whenever sent). */
  pending: number;
}

export interface GraphNode {
  agent: string;
  health: AgentHealth;
  /** Why the health is what it is, in words. */
  health_reason: string;
  liveness: AgentView['liveness'];
  error_rate: number;
  throughput_per_minute: number;
  in_flight: number | null;
  /** Tasks waiting on this agent now. */
  pending: number;
  tasks_received: number;
}

export interface GraphEdge {
  source: string;
  target: string;
  tasks: number;
  /** Tasks per minute over the window. */
  rate_per_minute: number;
  /** Failed over answered tasks in the window, 0..1. */
  error_rate: number;
  p95_latency_ms: number | null;
  pending: number;
}

export interface AgentGraph {
  window_minutes: number;
  generated_at: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** An agent's health from its liveness and error rate (the worse of the two). */
export function healthOf(
  agent: Pick<AgentView, 'liveness' | 'error_rate' | 'tasks_received' | 'results_sent' | 'errors_sent'>,
  pending: number,
): {
  health: AgentHealth;
  reason: string;
} {
  if (agent.liveness === 'dead')
    return { health: AgentHealth.DOWN, reason: 'no heartbeat for over 5 minutes' };
  if (agent.error_rate >= FAILING_ERROR_RATE)
    return { health: AgentHealth.FAILING, reason: `error rate ${Math.round(agent.error_rate * 100)}%` };
  if (agent.liveness === 'silent')
    return { health: AgentHealth.DEGRADED, reason: 'no heartbeat for over a minute' };
  if (agent.error_rate >= DEGRADED_ERROR_RATE)
    return { health: AgentHealth.DEGRADED, reason: `error rate ${Math.round(agent.error_rate * 100)}%` };
  if (agent.liveness === 'unknown') {
    const answered = agent.results_sent + agent.errors_sent;
    return pending > 0 && answered === 0
      ? { health: AgentHealth.DOWN, reason: `${pending} task(s) waiting and it was never seen alive` }
      : { health: AgentHealth.UNKNOWN, reason: 'it sends no heartbeats' };
  }
  return { health: AgentHealth.HEALTHY, reason: 'alive, errors under 10%' };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Edges for every requester → worker pair with tasks in the window or pending now; nodes for the
 * configured agents (AGENT_NAMES) and every agent on an edge. An agent known only from errors or
 * heartbeats on shared topics, with no task to or from it, would only crowd the picture.
 */
export function assembleGraph(
  agents: readonly AgentView[],
  edgeFacts: readonly EdgeFact[],
  windowMinutes: number,
  generatedAtMs: number,
  configured: readonly string[] = [],
): AgentGraph {
  const live = edgeFacts.filter((e) => e.tasks > 0 || e.pending > 0);
  const pendingOn = new Map<string, number>();
  for (const e of live) pendingOn.set(e.target, (pendingOn.get(e.target) ?? 0) + e.pending);
  const views = new Map(agents.map((a) => [a.agent_name, a]));
  const names = new Set(configured);
  for (const e of live) {
    if (e.source !== '') names.add(e.source);
    names.add(e.target);
  }
  const nodes = [...names].sort().map((agent): GraphNode => {
    const view = views.get(agent);
    const pending = pendingOn.get(agent) ?? 0;
    const known = view ?? {
      liveness: 'unknown' as const,
      error_rate: 0,
      tasks_received: 0,
      results_sent: 0,
      errors_sent: 0,
    };
    const { health, reason } = healthOf(known, pending);
    return {
      agent,
      health,
      health_reason: reason,
      liveness: known.liveness,
      error_rate: known.error_rate,
      throughput_per_minute: view?.throughput_per_minute ?? 0,
      in_flight: view?.in_flight ?? null,
      pending,
      tasks_received: known.tasks_received,
    };
  });
  const edges = live
    .map((e): GraphEdge => ({
      source: e.source,
      target: e.target,
      tasks: e.tasks,
      rate_per_minute: round(e.tasks / windowMinutes, 2),
      error_rate: e.completed + e.failed === 0 ? 0 : round(e.failed / (e.completed + e.failed), 3),
      p95_latency_ms: e.completed + e.failed === 0 ? null : e.p95_ms,
      pending: e.pending,
    }))
    .sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  return { window_minutes: windowMinutes, generated_at: new Date(generatedAtMs).toISOString(), nodes, edges };
}
