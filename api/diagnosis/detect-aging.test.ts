import { describe, expect, it } from 'vitest';
import { detectAgingTasks } from './detect-performance.js';
import { healthyFacts, NOW, THRESHOLDS, WINDOW } from './test-support/fact-fixtures.js';
import type { AgentActivityFact, StuckTaskFact } from './types.js';

/** Three measured agents answering within about 1.5-1.7 s (p95), and one more that is not measured yet. */
const facts = healthyFacts();
const newcomer = (patch: Partial<AgentActivityFact> = {}): AgentActivityFact => ({
  agent: 'writer-new',
  last_heartbeat_ms: NOW - 3_000,
  last_state: 'busy',
  sent_window: 2,
  tasks_received_window: 1,
  pending_tasks: 1,
  last_sent_ms: NOW - 3_000,
  tasks_sent_window: 0,
  oldest_pending_ms: NOW - 8_000,
  ...patch,
});
const detect = (a: AgentActivityFact, stuck: StuckTaskFact[] = []) =>
  detectAgingTasks([...facts.activity, a], facts.latency, stuck, WINDOW, THRESHOLDS);

describe('a task pending far longer than the other agents answer', () => {
  it('is an early, low-severity sign that the agent is slow', () => {
    const [issue, ...rest] = detect(newcomer());
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ id: 'slow_agent:writer-new', severity: 'low' });
    expect(issue?.evidence.oldest_pending_age_ms).toBe(8_000);
  });

  it('waits past slowFactor times the peers and slowMinMs', () => {
    expect(detect(newcomer({ oldest_pending_ms: NOW - 4_000 }))).toEqual([]);
  });

  it('leaves delegators, agents without a recent heartbeat and agents with stuck tasks alone', () => {
    expect(detect(newcomer({ tasks_sent_window: 3 }))).toEqual([]);
    expect(detect(newcomer({ last_heartbeat_ms: NOW - 10 * 60_000 }))).toEqual([]);
    const stuck: StuckTaskFact = {
      agent: 'writer-new',
      priority: 'normal',
      count: 1,
      threshold_s: 300,
      oldest_submitted_ms: NOW - 8_000,
      abandoned: 1,
      task_ids: [],
      trace_ids: [],
    };
    expect(detect(newcomer(), [stuck])).toEqual([]);
  });
});
