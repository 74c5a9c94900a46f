import { describe, expect, it } from 'vitest';
import { assessFacts, type DiagnosisSettings } from './diagnose.js';
import { detectDeadAgents, detectEmptyGroups, ownSilenceLimitMs } from './detect-agents.js';
import { healthyFacts, NOW, THRESHOLDS, WINDOW } from './test-support/fact-fixtures.js';
import { healthScore } from './rank.js';
import type { AgentActivityFact, ConsumerGroupFact, DetectedIssue, DiagnosisFacts } from './types.js';

const settings: DiagnosisSettings = { thresholds: THRESHOLDS, llmLimits: [], baselineWindows: 4, agents: [] };
const assess = (facts: DiagnosisFacts) => assessFacts(facts, settings, new Date(NOW).toISOString());

const group = (agent: string, ever_committed: boolean): ConsumerGroupFact => ({
  agent,
  group_id: `agent-${agent}`,
  topic: `agent-queue-${agent}`,
  state: ever_committed ? 'empty' : 'dead',
  members: 0,
  lag: 4,
  ever_committed,
});
const quiet = (agent: string, last_heartbeat_ms = 0): AgentActivityFact => ({
  agent,
  last_heartbeat_ms,
  last_state: '',
  sent_window: 0,
  tasks_received_window: 4,
  pending_tasks: 4,
  last_sent_ms: 0,
});

describe('never had a consumer, lost its consumer', () => {
  it('tells a group that once consumed from one that never did', () => {
    const issues = detectEmptyGroups(
      [group('gone', true), group('ghost', false), group('crashed', false)],
      [quiet('gone'), quiet('ghost'), quiet('crashed', NOW - 120_000)],
    );
    expect(issues.map((i) => [i.id, i.severity])).toEqual([
      ['consumer_group_empty:gone', 'critical'],
      ['no_consumer:ghost', 'medium'],
      // no committed offset yet, but the agent was alive: it lost its consumer
      ['consumer_group_empty:crashed', 'critical'],
    ]);
  });
});

describe('ranking the message-graph causes', () => {
  it('puts a delegation loop above the stuck tasks and the missing consumer it leaves', () => {
    const facts = healthyFacts(['orchestrator']);
    const tasks = [0, 1, 2, 3].map((i) => ({
      message_id: `m${i}`,
      source: i % 2 === 0 ? 'ping' : 'pong',
      target: i % 2 === 0 ? 'pong' : 'ping',
      sent_ms: NOW - 20_000 + i * 1_000,
      payload: '{"goal":"settle it"}',
      reason: '',
    }));
    const looped: DiagnosisFacts = {
      ...facts,
      activity: [...facts.activity, { ...quiet('pong'), sent_window: 2 }],
      groups: [...facts.groups, group('pong', false)],
      stuckTasks: [
        {
          agent: 'pong',
          priority: 'critical',
          count: 12,
          threshold_s: 60,
          oldest_submitted_ms: NOW - 400_000,
          abandoned: 0,
          task_ids: [],
          trace_ids: [],
        },
      ],
      graph: { ...facts.graph, delegations: [{ trace_id: 'tr', job_id: '', tasks }] },
    };
    const { items } = assess(looped);
    expect(items.map((i) => i.id)).toEqual([
      'delegation_loop:ping,pong',
      'stuck_tasks:pong',
      'no_consumer:pong',
    ]);
    expect(items[1]?.explained_by).toBe('delegation_loop:ping,pong');
    expect(items[0]?.suggested_actions[0]?.action).toContain('cycle');
  });
});

describe('health score by share of traffic', () => {
  const issue = (agent: string, severity: DetectedIssue['severity']): DetectedIssue => ({
    id: `x:${agent}`,
    kind: 'no_consumer',
    category: 'configuration',
    severity,
    title: '',
    description: '',
    affected_components: [agent],
    related_trace_ids: [],
    evidence: {},
    magnitude: 1,
  });

  it('a handful of small queues without a consumer costs little', () => {
    const traffic = new Map([
      ['busy', 1_000],
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((q) => [q, 3] as [string, number]),
    ]);
    const issues = ['a', 'b', 'c', 'd', 'e', 'f'].map((q) => issue(q, 'high'));
    expect(healthScore(issues, traffic)).toBe(85);
    expect(
      healthScore(
        issues.map((i) => ({ ...i, severity: 'medium' as const })),
        traffic,
      ),
    ).toBe(94);
  });

  it('a critical issue of the busiest agent takes most of the score', () => {
    const traffic = new Map([
      ['busy', 900],
      ['other', 100],
    ]);
    expect(healthScore([issue('busy', 'critical')], traffic)).toBe(10);
    expect(healthScore([issue('other', 'critical')], traffic)).toBe(70);
    expect(healthScore([], traffic)).toBe(100);
    expect(healthScore([issue('other', 'high')])).toBe(85);
  });
});

describe('an agent that missed its own heartbeats', () => {
  const beat = (agent: string, agoMs: number, pending: number): AgentActivityFact => ({
    agent,
    last_heartbeat_ms: NOW - agoMs,
    last_state: 'busy',
    sent_window: 10,
    tasks_received_window: 5,
    pending_tasks: pending,
    last_sent_ms: NOW - agoMs,
    heartbeat_interval_ms: 5_000,
  });

  it('is down once it missed its beats while work waits, before the configured timeout', () => {
    const issues = detectDeadAgents(
      [beat('alive', 1_000, 1), beat('crashed', 14_000, 1)],
      WINDOW,
      THRESHOLDS,
    );
    expect(issues.map((i) => [i.id, i.severity])).toEqual([['dead_agent:crashed', 'critical']]);
  });

  it('is measured against the freshest message, so a lagging ingest kills nobody', () => {
    expect(detectDeadAgents([beat('a', 20_000, 1), beat('b', 24_000, 1)], WINDOW, THRESHOLDS)).toEqual([]);
  });

  it('is down after 1.5 regular intervals, and later for an agent whose beats were late before', () => {
    const regular = { ...beat('regular', 7_600, 1), heartbeat_longest_gap_ms: 5_000 };
    const jittery = { ...beat('jittery', 7_600, 1), heartbeat_longest_gap_ms: 7_000 };
    const issues = detectDeadAgents([beat('alive', 0, 1), regular, jittery], WINDOW, THRESHOLDS);
    expect(issues.map((i) => i.id)).toEqual(['dead_agent:regular']);
    expect(issues[0]?.evidence.own_silence_limit_ms).toBe(7_500);
    const later = { ...jittery, last_heartbeat_ms: NOW - 10_000, last_sent_ms: NOW - 10_000 };
    expect(detectDeadAgents([beat('alive', 0, 1), later], WINDOW, THRESHOLDS).map((i) => i.id)).toEqual([
      'dead_agent:jittery',
    ]);
  });

  it('takes any message as a sign of life and as the freshest evidence of ingest', () => {
    const answering = { ...beat('answering', 9_000, 1), last_sent_ms: NOW - 500 };
    const crashed = beat('crashed', 8_100, 1);
    expect(detectDeadAgents([answering, crashed], WINDOW, THRESHOLDS).map((i) => i.id)).toEqual([
      'dead_agent:crashed',
    ]);
  });

  it('never measures from later than now, so a clock running ahead makes nobody silent', () => {
    expect(detectDeadAgents([beat('ahead', -60_000, 1), beat('b', 1_000, 1)], WINDOW, THRESHOLDS)).toEqual(
      [],
    );
  });

  it('is measured against the time its queue was known stored, when every other agent is quiet too', () => {
    const only = beat('only', 8_000, 1);
    expect(detectDeadAgents([only], WINDOW, THRESHOLDS)).toEqual([]);
    const stored = { ...only, queue_stored_through_ms: NOW - 200 };
    expect(detectDeadAgents([stored], WINDOW, THRESHOLDS).map((i) => i.id)).toEqual(['dead_agent:only']);
    const ahead = { ...beat('b', 7_000, 1), queue_stored_through_ms: NOW + 60_000 };
    expect(detectDeadAgents([ahead], WINDOW, THRESHOLDS)).toEqual([]);
  });

  it('grows with the longest gap the agent showed, from 1.5 intervals and 6 s', () => {
    expect(ownSilenceLimitMs(0, 9_000)).toBe(0);
    expect(ownSilenceLimitMs(5_000, 5_000)).toBe(7_500);
    expect(ownSilenceLimitMs(5_000, 7_000)).toBe(9_500);
    expect(ownSilenceLimitMs(5_000, 60_000)).toBe(62_500);
    expect(ownSilenceLimitMs(1_000, 1_000)).toBe(6_000);
    expect(ownSilenceLimitMs(1_000, 30_000)).toBe(30_500);
    expect(ownSilenceLimitMs(30_000, 30_000)).toBe(45_000);
  });

  it('waits for the configured timeout when nothing waits for the agent', () => {
    expect(detectDeadAgents([beat('alive', 1_000, 1), beat('idle', 14_000, 0)], WINDOW, THRESHOLDS)).toEqual(
      [],
    );
  });
});
