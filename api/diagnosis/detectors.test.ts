import { describe, expect, it } from 'vitest';
import { detectDeadAgents, detectEmptyGroups, detectLag } from './detect-agents.js';
import {
  detectCascades,
  detectCriticalErrors,
  detectErrorSpikes,
  detectNewErrorGroups,
  detectRetryStorms,
} from './detect-errors.js';
import {
  detectDlqGrowth,
  detectLlmRateLimits,
  detectSlowAgents,
  detectStuckTasks,
  detectTimeouts,
} from './detect-performance.js';
import { healthyFacts, MIN, NOW, THRESHOLDS, WINDOW } from './test-support/fact-fixtures.js';
import type { AgentActivityFact, AgentLatencyFact, LlmUsageFact } from './types.js';

describe('error spikes', () => {
  const fact = (window_errors: number, baseline_errors: number) => ({
    agent: 'coder',
    window_errors,
    baseline_errors,
    by_category: { tool_error: window_errors - 1, llm_error: 1 },
    trace_ids: ['t1', 't1', 't2'],
    first_ms: NOW - 10 * MIN,
    last_ms: NOW - MIN,
  });

  it('reports a rate well above the baseline, naming the agent and the dominant category', () => {
    // window 15 min, baseline 60 min: 8 in the baseline is 0.13/min, 30 in the window is 2/min
    const [issue, ...rest] = detectErrorSpikes([fact(30, 8)], WINDOW, THRESHOLDS);
    expect(rest).toEqual([]);
    expect(issue?.kind).toBe('error_spike');
    expect(issue?.affected_components).toEqual(['coder']);
    expect(issue?.evidence.top_category).toBe('tool_error');
    expect(issue?.evidence.factor).toBe(15);
    expect(issue?.related_trace_ids).toEqual(['t1', 't2']);
  });

  it('ignores a steady rate and too few errors', () => {
    expect(detectErrorSpikes([fact(10, 40)], WINDOW, THRESHOLDS)).toEqual([]);
    expect(detectErrorSpikes([fact(4, 0)], WINDOW, THRESHOLDS)).toEqual([]);
  });

  it('treats errors after a silent baseline as a spike', () => {
    expect(detectErrorSpikes([fact(5, 0)], WINDOW, THRESHOLDS)[0]?.evidence.factor).toBeNull();
  });
});

describe('new error groups', () => {
  const group = (first_seen_ms: number, top_severity = 'error') => ({
    fingerprint: 'abc',
    error_type: 'ToolError',
    category: 'tool_error',
    top_severity,
    agents: ['coder'],
    window_count: 3,
    total_count: 3,
    first_seen_ms,
    last_seen_ms: NOW - MIN,
    sample_error_id: 'e1',
    sample_message: 'boom',
    sample_trace_id: 'tr',
  });

  it('reports a group first seen inside the window, with its severity', () => {
    const issues = detectNewErrorGroups([group(NOW - 5 * MIN, 'critical')], WINDOW);
    expect(issues.map((i) => [i.id, i.severity])).toEqual([['new_error_group:abc', 'high']]);
  });

  it('ignores a group seen before the window', () => {
    expect(detectNewErrorGroups([group(NOW - 20 * MIN)], WINDOW)).toEqual([]);
  });
});

describe('critical errors', () => {
  it('makes a critical issue per agent with critical errors, and nothing without', () => {
    const fact = {
      agent: 'writer',
      count: 2,
      error_types: ['OutOfMemory'],
      error_ids: ['e1', 'e2'],
      trace_ids: ['t9'],
      first_ms: NOW - 3 * MIN,
      last_ms: NOW - MIN,
      sample_message: 'heap exhausted',
    };
    expect(detectCriticalErrors([fact]).map((i) => [i.affected_components[0], i.severity])).toEqual([
      ['writer', 'critical'],
    ]);
    expect(detectCriticalErrors([{ ...fact, count: 0 }])).toEqual([]);
  });
});

describe('cascading failures', () => {
  const trace = (id: string, agents: string[]) => ({
    trace_id: id,
    agents,
    errors: agents.length,
    first_ms: NOW - 5 * MIN,
    last_ms: NOW - 4 * MIN,
  });

  it('groups traces by the agent that failed first', () => {
    const issues = detectCascades(
      [
        trace('t1', ['researcher', 'writer', 'orchestrator']),
        trace('t2', ['researcher', 'writer', 'reviewer']),
      ],
      THRESHOLDS,
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.affected_components[0]).toBe('researcher');
    expect(issues[0]?.evidence.origin_agent).toBe('researcher');
    expect(issues[0]?.related_trace_ids).toEqual(['t1', 't2']);
  });

  it('needs the configured number of agents in one trace', () => {
    expect(detectCascades([trace('t1', ['researcher', 'orchestrator'])], THRESHOLDS)).toHaveLength(1);
    expect(
      detectCascades([trace('t1', ['researcher', 'orchestrator'])], { ...THRESHOLDS, cascadeMinAgents: 3 }),
    ).toEqual([]);
  });
});

describe('retry storms', () => {
  const retry = (attempts: number, agent = 'coder') => ({
    agent,
    key_kind: 'task' as const,
    key: 'task-1',
    requester: '',
    attempts,
    max_retry_count: attempts - 1,
    trace_ids: ['t1'],
    first_ms: NOW - 4 * MIN,
    last_ms: NOW - MIN,
  });

  it('reports an agent that attempts the same task again and again', () => {
    const [issue] = detectRetryStorms([retry(12), retry(2, 'writer')], THRESHOLDS);
    expect(issue?.affected_components).toEqual(['coder']);
    expect(issue?.evidence.max_attempts).toBe(12);
    expect(detectRetryStorms([retry(12), retry(2, 'writer')], THRESHOLDS)).toHaveLength(1);
  });

  it('ignores ordinary retries', () => {
    expect(detectRetryStorms([retry(3)], THRESHOLDS)).toEqual([]);
  });

  it('names the hammered agent first and folds the retrying agent into its storm', () => {
    const resent = {
      ...retry(30, 'researcher'),
      key_kind: 'trace' as const,
      key: 'tr',
      requester: 'orchestrator',
    };
    const own = { ...retry(20, 'orchestrator'), key_kind: 'fingerprint' as const, key: 'fp' };
    const issues = detectRetryStorms([own, resent], THRESHOLDS);
    expect(issues.map((i) => [i.id, i.affected_components])).toEqual([
      ['retry_storm:researcher', ['researcher', 'orchestrator']],
    ]);
    expect(issues[0]?.evidence.attempts).toBe(50);
  });
});

describe('stuck tasks', () => {
  const stuck = (priority: string, count: number, ageMin: number) => ({
    agent: 'coder',
    priority,
    count,
    threshold_s: priority === 'high' ? 120 : 300,
    oldest_submitted_ms: NOW - ageMin * MIN,
    abandoned: 0,
    task_ids: ['a', 'b'],
    trace_ids: ['t'],
  });

  it('reports stuck tasks per agent with the oldest age; high priority far overdue is critical', () => {
    const [issue] = detectStuckTasks([stuck('high', 2, 12), stuck('normal', 1, 6)], WINDOW);
    expect(issue?.affected_components).toEqual(['coder']);
    expect(issue?.evidence.stuck_tasks).toBe(3);
    expect(issue?.evidence.oldest_age_min).toBe(12);
    expect(issue?.severity).toBe('critical');
  });

  it('a low-priority task a little past its threshold is medium', () => {
    expect(detectStuckTasks([stuck('low', 1, 6)], WINDOW)[0]?.severity).toBe('medium');
  });

  it('a task its requester gave up on is at least high, whatever its age', () => {
    const [issue] = detectStuckTasks([{ ...stuck('low', 1, 1), abandoned: 1 }], WINDOW);
    expect(issue?.severity).toBe('high');
    expect(issue?.evidence.abandoned).toBe(1);
  });
});

describe('dead and silent agents', () => {
  const agent = (overrides: Partial<AgentActivityFact>): AgentActivityFact => ({
    agent: 'coder',
    last_heartbeat_ms: NOW - 5_000,
    last_state: 'busy',
    sent_window: 10,
    tasks_received_window: 5,
    pending_tasks: 0,
    last_sent_ms: NOW - 5_000,
    ...overrides,
  });

  it('reports an agent whose heartbeat stopped while work waits as critical', () => {
    const issues = detectDeadAgents(
      [agent({ last_heartbeat_ms: NOW - 5 * MIN, pending_tasks: 4 })],
      WINDOW,
      THRESHOLDS,
    );
    expect(issues.map((i) => [i.kind, i.severity, i.affected_components[0]])).toEqual([
      ['dead_agent', 'critical', 'coder'],
    ]);
  });

  it('leaves beating agents and long-retired agents alone', () => {
    expect(detectDeadAgents([agent({})], WINDOW, THRESHOLDS)).toEqual([]);
    const retired = agent({ last_heartbeat_ms: NOW - 600 * MIN, tasks_received_window: 0, pending_tasks: 0 });
    expect(detectDeadAgents([retired], WINDOW, THRESHOLDS)).toEqual([]);
  });

  it('reports an agent that never beat and answers none of its tasks as silent', () => {
    const silent = agent({ last_heartbeat_ms: 0, sent_window: 0, pending_tasks: 3 });
    expect(detectDeadAgents([silent], WINDOW, THRESHOLDS).map((i) => i.kind)).toEqual(['silent_agent']);
  });
});

describe('consumer groups and lag', () => {
  it('reports a group without members while messages wait, and not one with members', () => {
    const group = {
      agent: 'writer',
      group_id: 'agent-writer',
      topic: 'agent-queue-writer',
      state: 'empty',
      members: 0,
      lag: 7,
    };
    expect(detectEmptyGroups([group]).map((i) => i.id)).toEqual(['consumer_group_empty:writer']);
    expect(detectEmptyGroups([{ ...group, members: 1 }])).toEqual([]);
    expect(detectEmptyGroups([{ ...group, lag: 0 }])).toEqual([]);
  });

  it('judges the agent groups by Burrow rules and ignores other groups', () => {
    const growing = [0, 1, 2, 3].map((i) => ({
      at_ms: NOW - (4 - i) * MIN,
      end_offset: 100 + i * 20,
      committed_offset: 90 + i * 5,
      lag: 10 + i * 15,
    }));
    const series = [
      { group_id: 'agent-writer', topic: 'agent-queue-writer', partition: 0, points: growing },
      { group_id: 'telemetry-processors', topic: 'agent-queue-writer', partition: 0, points: growing },
    ];
    const issues = detectLag(series);
    expect(issues.map((i) => [i.id, i.evidence.status, i.severity])).toEqual([
      ['consumer_lag:writer', 'WARN', 'medium'],
    ]);
  });
});

describe('timeouts', () => {
  const latency: AgentLatencyFact[] = [
    {
      agent: 'researcher',
      completed: 10,
      failed: 2,
      p50_ms: 1,
      p95_ms: 1,
      p99_ms: 1,
      baseline_tasks: 0,
      baseline_p95_ms: 0,
    },
  ];
  it('adds timeout errors, LLM timeouts and expired tasks', () => {
    const [issue] = detectTimeouts(
      [
        {
          agent: 'researcher',
          timeout_errors: 2,
          llm_timeouts: 2,
          expired_tasks: 1,
          trace_ids: ['t'],
          error_ids: ['e'],
        },
      ],
      latency,
      THRESHOLDS,
    );
    expect(issue?.kind).toBe('timeouts');
    expect(issue?.magnitude).toBe(5);
    expect(issue?.severity).toBe('high'); // 5 of 12 tasks
  });

  it('ignores fewer than the minimum', () => {
    expect(
      detectTimeouts(
        [
          {
            agent: 'researcher',
            timeout_errors: 1,
            llm_timeouts: 1,
            expired_tasks: 0,
            trace_ids: [],
            error_ids: [],
          },
        ],
        latency,
        THRESHOLDS,
      ),
    ).toEqual([]);
  });
});

describe('slow agents', () => {
  it('reports the agent far slower than its peers', () => {
    const facts = healthyFacts(['a', 'b', 'c']).latency.map((l) =>
      l.agent === 'b' ? { ...l, p95_ms: 9_000 } : l,
    );
    expect(detectSlowAgents(facts, THRESHOLDS).map((i) => i.affected_components[0])).toEqual(['b']);
  });

  it('reports an agent slower than its own baseline even without peers', () => {
    const alone = {
      agent: 'x',
      completed: 5,
      failed: 0,
      p50_ms: 5_000,
      p95_ms: 8_000,
      p99_ms: 9_000,
      baseline_tasks: 20,
      baseline_p95_ms: 1_000,
    };
    expect(detectSlowAgents([alone], THRESHOLDS)).toHaveLength(1);
  });

  it('stays quiet for similar latencies and for fast outliers under the minimum', () => {
    expect(detectSlowAgents(healthyFacts().latency, THRESHOLDS)).toEqual([]);
    const fast = healthyFacts(['a', 'b']).latency.map((l) => ({
      ...l,
      p95_ms: l.agent === 'a' ? 100 : 1_500,
    }));
    expect(detectSlowAgents(fast, THRESHOLDS)).toEqual([]);
  });
});

describe('LLM rate limits', () => {
  const usage = (overrides: Partial<LlmUsageFact>): LlmUsageFact => ({
    provider: 'openai',
    model: 'gpt-4o-mini',
    calls: 100,
    tokens: 100_000,
    peak_tpm: 20_000,
    peak_rpm: 30,
    rate_limited: 0,
    agents: ['researcher'],
    trace_ids: [],
    last_rate_limited_ms: 0,
    ...overrides,
  });
  const limits = [{ provider: 'openai', model: 'gpt-4o-mini', tpm_max: 100_000, rpm_max: 500 }];

  it('reports refused calls', () => {
    const [issue] = detectLlmRateLimits([usage({ rate_limited: 7 })], limits, THRESHOLDS);
    expect(issue?.kind).toBe('llm_rate_limit');
    expect(issue?.severity).toBe('high');
    expect(issue?.affected_components).toEqual(['researcher']);
  });

  it('reports usage near the configured limit, matching a limit without provider', () => {
    const anyProvider = [{ provider: '', model: 'gpt-4o-mini', tpm_max: 21_000, rpm_max: 0 }];
    const [issue] = detectLlmRateLimits([usage({})], anyProvider, THRESHOLDS);
    expect(issue?.evidence.tpm_utilization).toBe(0.95);
  });

  it('stays quiet well under the limit or without a limit', () => {
    expect(detectLlmRateLimits([usage({})], limits, THRESHOLDS)).toEqual([]);
    expect(detectLlmRateLimits([usage({})], [], THRESHOLDS)).toEqual([]);
  });
});

describe('DLQ growth', () => {
  it('reports dead letters of a queue under its agent', () => {
    const fact = {
      topic: 'agent-queue-writer',
      error_code: 'NO_MAGIC_BYTE',
      window_count: 12,
      baseline_count: 0,
      last_ms: NOW - MIN,
      sample_offsets: ['0:1'],
    };
    const [issue] = detectDlqGrowth([fact], WINDOW);
    expect(issue?.affected_components).toEqual(['writer']);
    expect(issue?.severity).toBe('high');
    expect(detectDlqGrowth([{ ...fact, window_count: 0 }], WINDOW)).toEqual([]);
  });
});
