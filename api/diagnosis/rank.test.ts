import { describe, expect, it } from 'vitest';
import { assessFacts, presentEvidence, type DiagnosisSettings } from './diagnose.js';
import { emptyFacts, healthyFacts, MIN, NOW, THRESHOLDS } from './test-support/fact-fixtures.js';
import { rankIssues } from './rank.js';
import type { DetectedIssue, DiagnosisFacts } from './types.js';

const settings: DiagnosisSettings = { thresholds: THRESHOLDS, llmLimits: [], baselineWindows: 4, agents: [] };
const assess = (facts: DiagnosisFacts) => assessFacts(facts, settings, new Date(NOW).toISOString());

describe('assessment of fixture facts', () => {
  it('reports healthy traffic as healthy with a full score', () => {
    const result = assess(healthyFacts());
    expect(result.items).toEqual([]);
    expect(result.status).toBe('healthy');
    expect(result.score).toBe(100);
  });

  it('puts a dead agent first, ahead of its own stuck tasks and errors, and says critical', () => {
    const facts = healthyFacts();
    const dead: DiagnosisFacts = {
      ...facts,
      activity: facts.activity.map((a) =>
        a.agent === 'writer' ? { ...a, last_heartbeat_ms: NOW - 10 * MIN, pending_tasks: 6 } : a,
      ),
      stuckTasks: [
        {
          agent: 'writer',
          priority: 'high',
          count: 6,
          threshold_s: 120,
          oldest_submitted_ms: NOW - 9 * MIN,
          abandoned: 0,
          task_ids: ['t'],
          trace_ids: [],
        },
      ],
      criticalErrors: [
        {
          agent: 'researcher',
          count: 1,
          error_types: ['X'],
          error_ids: ['e'],
          trace_ids: [],
          first_ms: NOW - MIN,
          last_ms: NOW - MIN,
          sample_message: 'x',
        },
      ],
    };
    const result = assess(dead);
    expect(result.items.map((i) => i.id)).toEqual([
      'dead_agent:writer',
      'stuck_tasks:writer',
      'critical_errors:researcher',
    ]);
    expect(result.items[1]?.explained_by).toBe('dead_agent:writer');
    expect(result.status).toBe('critical');
    // two of three equally busy agents have a critical issue: a third of the traffic is healthy
    expect(result.score).toBe(33);
    expect(result.items[0]?.suggested_actions[0]?.action).toContain('Restart writer');
    expect(result.items[0]?.suggested_actions[0]?.related_issue_id).toBe('dead_agent:writer');
  });

  it('a medium issue degrades; low issues alone do not', () => {
    const degraded = assess({
      ...healthyFacts(),
      stuckTasks: [
        {
          agent: 'coder',
          priority: 'low',
          count: 1,
          threshold_s: 900,
          oldest_submitted_ms: NOW - 16 * MIN,
          abandoned: 0,
          task_ids: [],
          trace_ids: [],
        },
      ],
    });
    expect(degraded.status).toBe('degraded');
    const lowOnly = assess({
      ...emptyFacts(),
      errorGroups: [
        {
          fingerprint: 'f',
          error_type: 'W',
          category: 'unknown',
          top_severity: 'warning',
          agents: ['a'],
          window_count: 1,
          total_count: 1,
          first_seen_ms: NOW - MIN,
          last_seen_ms: NOW - MIN,
          sample_error_id: 'e',
          sample_message: 'm',
          sample_trace_id: '',
        },
      ],
    });
    expect(lowOnly.items.map((i) => i.severity)).toEqual(['low']);
    expect(lowOnly.status).toBe('healthy');
  });
});

describe('ranking', () => {
  const issue = (
    id: string,
    kind: DetectedIssue['kind'],
    severity: DetectedIssue['severity'],
    agent: string,
    magnitude = 1,
  ): DetectedIssue => ({
    id,
    kind,
    category: 'error',
    severity,
    title: id,
    description: id,
    affected_components: [agent],
    related_trace_ids: [],
    evidence: {},
    magnitude,
  });

  it('orders by severity, then specificity, then magnitude', () => {
    const ranked = rankIssues([
      issue('spike', 'error_spike', 'high', 'a', 500),
      issue('timeouts', 'timeouts', 'high', 'b', 3),
      issue('stuck', 'stuck_tasks', 'critical', 'c'),
      issue('spike2', 'error_spike', 'high', 'd', 5),
    ]);
    expect(ranked.map((r) => r.id)).toEqual(['stuck', 'timeouts', 'spike', 'spike2']);
  });

  it('places a weaker cause of the same agent after the stronger one', () => {
    const ranked = rankIssues([
      issue('group', 'consumer_group_empty', 'critical', 'coder', 50),
      issue('dead', 'dead_agent', 'critical', 'coder', 1),
      issue('other', 'consumer_group_empty', 'critical', 'writer', 10),
    ]);
    expect(ranked.map((r) => [r.id, r.explained_by])).toEqual([
      ['dead', null],
      ['group', 'dead'],
      ['other', null],
    ]);
  });

  it('places a symptom right after the cause of the same agent, whatever its severity', () => {
    const ranked = rankIssues([
      issue('cascade', 'cascading_failure', 'critical', 'researcher', 40),
      issue('rate', 'llm_rate_limit', 'high', 'researcher', 10),
      issue('other', 'stuck_tasks', 'high', 'writer', 2),
    ]);
    expect(ranked.map((r) => [r.id, r.explained_by])).toEqual([
      ['rate', null],
      ['cascade', 'rate'],
      ['other', null],
    ]);
  });
});

describe('evidence presentation', () => {
  it('turns epoch-millisecond instants into ISO times and leaves durations alone', () => {
    expect(presentEvidence({ first_ms: NOW, p95_ms: 1_500, count: 2 })).toEqual({
      first_at: new Date(NOW).toISOString(),
      p95_ms: 1_500,
      count: 2,
    });
  });
});
