import type { Agent, LagStatus, Queue } from './types.js';

export type Health = 'healthy' | 'degraded' | 'critical' | 'unknown';

/** Error rate above which an agent counts as degraded (a fifth of its answers). */
export const DEGRADED_ERROR_RATE = 0.2;

/** The tone of a Burrow status: OK is fine, WARN and REWIND worth a look, ERR, STOP and STALL bad. */
export function lagTone(status: LagStatus): 'ok' | 'warn' | 'bad' {
  if (status === 'OK') return 'ok';
  if (status === 'WARN' || status === 'REWIND') return 'warn';
  return 'bad';
}

/**
 * An agent's health from what the page has: its liveness, its error rate and its queue's lag status,
 * with the reasons, so the page says why and not only what.
 */
export function agentHealth(agent: Agent, queue: Queue | undefined): { health: Health; reasons: string[] } {
  const critical: string[] = [];
  const degraded: string[] = [];
  if (agent.liveness === 'dead') critical.push('no heartbeat for 5 min');
  if (agent.liveness === 'silent') degraded.push('no heartbeat for 60 s');
  if (queue !== undefined) {
    const tone = lagTone(queue.lag_status);
    const detail =
      queue.lag_partition_status === queue.lag_status ? '' : ` (partitions ${queue.lag_partition_status})`;
    if (tone === 'bad') critical.push(`queue ${queue.lag_status}${detail}`);
    if (tone === 'warn') degraded.push(`queue ${queue.lag_status}${detail}`);
  }
  if (agent.error_rate >= DEGRADED_ERROR_RATE) {
    degraded.push(`error rate ${Math.round(agent.error_rate * 100)} %`);
  }
  if (agent.llm.rate_limited > 0) degraded.push(`${agent.llm.rate_limited} rate-limited LLM calls`);
  if (critical.length > 0) return { health: 'critical', reasons: [...critical, ...degraded] };
  if (degraded.length > 0) return { health: 'degraded', reasons: degraded };
  if (agent.liveness === 'unknown') return { health: 'unknown', reasons: ['never sent a heartbeat'] };
  return { health: 'healthy', reasons: [] };
}
