import { describe, expect, it } from 'vitest';
import { agentHealth, lagTone } from './health.js';
import type { Agent, Queue } from './types.js';

const agent = (overrides: Partial<Agent> = {}): Agent => ({
  agent_name: 'coder',
  liveness: 'alive',
  last_heartbeat: '2026-11-24T03:00:00.000Z',
  heartbeat_state: 'idle',
  in_flight: 0,
  max_concurrency: 2,
  host: 'h',
  version: '1',
  tasks_received: 10,
  results_sent: 10,
  errors_sent: 0,
  errors_reported: 0,
  throughput_per_minute: 1,
  error_rate: 0,
  llm: { calls: 0, rate_limited: 0, cost_usd: 0 },
  ...overrides,
});

const queue = (overrides: Partial<Queue> = {}): Queue => ({
  agent_name: 'coder',
  queue_topic: 'agent-queue-coder',
  lag: 0,
  lag_source: 'kafka',
  lag_status: 'OK',
  lag_partition_status: 'OK',
  consumer_members: 1,
  total_messages: 10,
  pending_tasks: 0,
  oldest_pending_task_id: null,
  oldest_pending_age_seconds: null,
  ...overrides,
});

describe('agent health', () => {
  it('is healthy when alive, answering and keeping up', () => {
    expect(agentHealth(agent(), queue())).toEqual({ health: 'healthy', reasons: [] });
  });

  it('is critical when dead or when its queue stalls, with every reason named', () => {
    expect(agentHealth(agent({ liveness: 'dead' }), queue())).toEqual({
      health: 'critical',
      reasons: ['no heartbeat for 5 min'],
    });
    const stalled = agentHealth(
      agent({ error_rate: 0.5 }),
      queue({ lag_status: 'ERR', lag_partition_status: 'STALL' }),
    );
    expect(stalled).toEqual({
      health: 'critical',
      reasons: ['queue ERR (partitions STALL)', 'error rate 50 %'],
    });
  });

  it('is degraded when silent, erring, rate-limited or lagging with a warning', () => {
    expect(agentHealth(agent({ liveness: 'silent' }), undefined).health).toBe('degraded');
    expect(agentHealth(agent({ error_rate: 0.2 }), queue()).health).toBe('degraded');
    expect(agentHealth(agent({ error_rate: 0.19 }), queue()).health).toBe('healthy');
    expect(agentHealth(agent({ llm: { calls: 3, rate_limited: 1, cost_usd: 0 } }), queue()).reasons).toEqual([
      '1 rate-limited LLM calls',
    ]);
    expect(agentHealth(agent(), queue({ lag_status: 'WARN', lag_partition_status: 'WARN' })).reasons).toEqual(
      ['queue WARN'],
    );
  });

  it('is unknown for an agent that never sent a heartbeat and shows nothing wrong', () => {
    expect(agentHealth(agent({ liveness: 'unknown' }), queue()).health).toBe('unknown');
  });

  it('tones Burrow statuses', () => {
    expect(
      ['OK', 'WARN', 'REWIND', 'ERR', 'STOP', 'STALL'].map((s) => lagTone(s as Queue['lag_status'])),
    ).toEqual(['ok', 'warn', 'warn', 'bad', 'bad', 'bad']);
  });
});
