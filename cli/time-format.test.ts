import { describe, expect, it } from 'vitest';
import { summarizeByAgent, taskTimeOf } from '../api/timing/breakdown.js';
import { duration, formatAgentTimes, formatTaskTime } from './time-format.js';

const T0 = 1_764_000_000_000;
const task = {
  task_id: 't1',
  agent: 'writer',
  requester: 'orchestrator',
  trace_id: 'tr',
  attempt: 1,
  sent_at_ms: T0,
};
const answer = (startedAt: number) => ({
  answer_id: 'a1',
  task_id: 't1',
  agent: 'writer',
  requester: 'orchestrator',
  outcome: 'result' as const,
  trace_id: 'tr',
  answered_at_ms: T0 + 42_000,
  started_at_ms: startedAt,
});

describe('time-format', () => {
  it('writes durations as people read them', () => {
    expect([duration(850), duration(4_240), duration(185_000), duration(null)]).toEqual([
      '850ms',
      '4.2s',
      '3m05s',
      '?',
    ]);
  });

  it('prints p50 / p95 per agent and marks unknown splits with ?', () => {
    const text = formatAgentTimes(
      summarizeByAgent([
        taskTimeOf(task, answer(T0 + 40_000), { calls: 1, llm_ms: 1_500 }),
        taskTimeOf({ ...task, agent: 'legacy' }, { ...answer(0), agent: 'legacy' }, undefined),
      ]),
      15,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe("Where tasks' time went, last 15 minutes (p50 / p95):");
    expect(lines.find((l) => l.startsWith('writer'))).toMatch(
      /^writer\s+1\s+0\s+40\.0s \/ 40\.0s\s+2\.0s \/ 2\.0s\s+1\.5s \/ 1\.5s\s+500ms \/ 500ms\s+75%$/,
    );
    expect(lines.find((l) => l.startsWith('legacy'))).toMatch(
      /^legacy\s+1\s+1\s+\?\s+\?\s+0ms \/ 0ms\s+\?\s+\?$/,
    );
    expect(text).toContain('answers without started_at');
    expect(formatAgentTimes([], 5)).toBe('No task was answered in the last 5 minutes.');
  });

  it('prints one task with its notes', () => {
    const text = formatTaskTime(taskTimeOf(task, answer(0), undefined));
    expect(text).toContain('unknown');
    expect(text).toContain('note: the answer does not report started_at');
  });
});
