import { describe, expect, it } from 'vitest';
import {
  firstAnswers,
  quantile,
  summarizeByAgent,
  taskTimeOf,
  type AnswerFact,
  type TaskFact,
} from './breakdown.js';

const T0 = 1_764_000_000_000;

const task = (id: string, sentAtMs = T0, agent = 'writer'): TaskFact => ({
  task_id: id,
  agent,
  requester: 'orchestrator',
  trace_id: 'trace-1',
  attempt: 1,
  sent_at_ms: sentAtMs,
});

const answer = (taskId: string, startedAtMs: number, answeredAtMs: number, agent = 'writer'): AnswerFact => ({
  answer_id: `${taskId}-answer`,
  task_id: taskId,
  agent,
  requester: 'orchestrator',
  outcome: 'result',
  trace_id: 'trace-1',
  answered_at_ms: answeredAtMs,
  started_at_ms: startedAtMs,
});

describe('taskTimeOf', () => {
  it('splits a task into queued, working, and within working the LLM time and the rest', () => {
    const time = taskTimeOf(task('a'), answer('a', T0 + 40_000, T0 + 42_000), { calls: 2, llm_ms: 1_500 });
    expect(time).toMatchObject({
      state: 'completed',
      split: 'known',
      total_ms: 42_000,
      queued_ms: 40_000,
      working_ms: 2_000,
      llm_ms: 1_500,
      other_ms: 500,
      llm_calls: 2,
      sent_at: new Date(T0).toISOString(),
      started_at: new Date(T0 + 40_000).toISOString(),
      notes: [],
    });
  });

  it('says the split is unknown, rather than inventing it, when the answer does not report started_at', () => {
    const time = taskTimeOf(task('a'), answer('a', 0, T0 + 9_000), { calls: 1, llm_ms: 3_000 });
    expect(time).toMatchObject({
      split: 'unknown',
      total_ms: 9_000,
      queued_ms: null,
      working_ms: null,
      other_ms: null,
      llm_ms: 3_000,
      started_at: null,
    });
    expect(time.notes.join(' ')).toContain('started_at');
  });

  it('keeps working and LLM time of an answer whose task was not seen, and says why the rest is missing', () => {
    const time = taskTimeOf(undefined, answer('a', T0 + 1_000, T0 + 3_000), undefined);
    expect(time).toMatchObject({
      split: 'unknown',
      total_ms: null,
      queued_ms: null,
      working_ms: 2_000,
      llm_ms: 0,
    });
    expect(time.notes.join(' ')).toContain('not seen');
  });

  it('reports a task without an answer as pending', () => {
    expect(taskTimeOf(task('a'), undefined, undefined)).toMatchObject({
      state: 'pending',
      split: 'pending',
      total_ms: null,
      llm_ms: null,
    });
  });

  it('clamps what clocks or overlapping calls would make negative, and notes it', () => {
    const skewed = taskTimeOf(task('a', T0 + 500), answer('a', T0, T0 + 1_000), { calls: 3, llm_ms: 2_400 });
    expect(skewed).toMatchObject({ queued_ms: 0, working_ms: 1_000, other_ms: 0 });
    expect(skewed.notes).toHaveLength(2);
  });

  it('marks an ERROR answer as failed', () => {
    const failed = taskTimeOf(task('a'), { ...answer('a', T0 + 1, T0 + 2), outcome: 'error' }, undefined);
    expect(failed.state).toBe('failed');
  });
});

describe('firstAnswers', () => {
  it('keeps the earliest answer of each task', () => {
    const early = answer('a', T0, T0 + 10);
    const late = { ...answer('a', T0, T0 + 20), answer_id: 'again' };
    expect(firstAnswers([late, early]).get('a')).toBe(early);
  });
});

describe('summarizeByAgent', () => {
  it('gives p50/p95 of each part per agent and counts unknown splits apart', () => {
    const times = [
      ...Array.from({ length: 20 }, (_, i) =>
        taskTimeOf(task(`w${i}`), answer(`w${i}`, T0 + 40_000 + i, T0 + 42_000 + i * 2), {
          calls: 1,
          llm_ms: 200,
        }),
      ),
      taskTimeOf(task('legacy', T0, 'coder'), answer('legacy', 0, T0 + 5_000, 'coder'), undefined),
      taskTimeOf(task('open'), undefined, undefined),
    ];
    const [coder, writer] = summarizeByAgent(times);
    expect(writer).toMatchObject({ agent: 'writer', tasks: 20, split_known: 20, split_unknown: 0 });
    expect(writer?.queued).toMatchObject({ tasks: 20, p50_ms: 40_010, p95_ms: 40_019 });
    expect(writer?.working).toMatchObject({ p50_ms: 2_010, p95_ms: 2_019 });
    expect(writer?.llm).toMatchObject({ p50_ms: 200, p95_ms: 200 });
    expect(writer?.queue_share).toBeGreaterThan(0.9);
    expect(writer?.llm_share).toBeCloseTo(0.099, 2);
    expect(coder).toMatchObject({
      agent: 'coder',
      tasks: 1,
      split_known: 0,
      split_unknown: 1,
      queued: null,
      working: null,
      llm_share: null,
      queue_share: null,
    });
    expect(coder?.total).toMatchObject({ tasks: 1, p50_ms: 5_000 });
  });

  it('takes the value at rank floor(q·n), as ClickHouse quantileExact', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([], 0.5)).toBe(0);
  });
});
