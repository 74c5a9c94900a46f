import { describe, expect, it } from 'vitest';
import { summarizeByAgent, taskTimeOf, type TaskTime } from '../timing/breakdown.js';
import { assessFacts } from './diagnose.js';
import { detectLlmBound, detectQueueWait } from './detect-timing.js';
import { emptyFacts, NOW, THRESHOLDS } from './test-support/fact-fixtures.js';

const T0 = NOW - 600_000;

/** `n` answered tasks of `agent` with the given parts (ms); `started` false drops started_at. */
function tasks(
  agent: string,
  n: number,
  parts: { queued: number; working: number; llm: number },
  started = true,
): TaskTime[] {
  return Array.from({ length: n }, (_, i) => {
    const sent = T0 + i * 1_000;
    const start = sent + parts.queued;
    return taskTimeOf(
      {
        task_id: `${agent}-${i}`,
        agent,
        requester: 'orchestrator',
        trace_id: 't',
        attempt: 1,
        sent_at_ms: sent,
      },
      {
        answer_id: `${agent}-a${i}`,
        task_id: `${agent}-${i}`,
        agent,
        requester: 'orchestrator',
        outcome: 'result',
        trace_id: 't',
        answered_at_ms: start + parts.working,
        started_at_ms: started ? start : 0,
      },
      { calls: 1, llm_ms: parts.llm },
    );
  });
}

describe('detectQueueWait', () => {
  it("says writer's tasks wait 40 s in the queue while work takes 2 s: add consumers", () => {
    const agents = summarizeByAgent([
      ...tasks('writer', 8, { queued: 40_000, working: 2_000, llm: 1_000 }),
      ...tasks('coder', 8, { queued: 300, working: 5_000, llm: 1_000 }),
    ]);
    const issues = detectQueueWait(agents);
    expect(issues.map((i) => i.id)).toEqual(['queue_wait:writer']);
    expect(issues[0]?.title).toBe(
      "writer's tasks wait 40 s in the queue while work takes 2 s: add consumers",
    );
    expect(issues[0]).toMatchObject({
      severity: 'medium',
      category: 'resource',
      evidence: { queued_p50_ms: 40_000, working_p50_ms: 2_000, tasks: 8 },
    });
  });

  it('is high when the p95 wait passes a minute', () => {
    const agents = summarizeByAgent(tasks('writer', 8, { queued: 90_000, working: 2_000, llm: 0 }));
    expect(detectQueueWait(agents)[0]?.severity).toBe('high');
  });

  it('stays quiet for short waits, waits short next to the work, few tasks, and unknown splits', () => {
    const agents = summarizeByAgent([
      ...tasks('short', 8, { queued: 5_000, working: 100, llm: 0 }),
      ...tasks('busy', 8, { queued: 20_000, working: 10_000, llm: 0 }),
      ...tasks('few', 4, { queued: 60_000, working: 1_000, llm: 0 }),
      ...tasks('legacy', 8, { queued: 60_000, working: 1_000, llm: 0 }, false),
    ]);
    expect(detectQueueWait(agents)).toEqual([]);
  });
});

describe('detectLlmBound', () => {
  it('says the model takes 90% of the time', () => {
    const agents = summarizeByAgent([
      ...tasks('researcher', 6, { queued: 100, working: 10_000, llm: 9_000 }),
      ...tasks('coder', 6, { queued: 100, working: 10_000, llm: 2_000 }),
    ]);
    const issues = detectLlmBound(agents);
    expect(issues.map((i) => i.id)).toEqual(['llm_bound:researcher']);
    expect(issues[0]?.title).toBe("the model takes 90% of researcher's working time");
    expect(issues[0]?.evidence).toMatchObject({ llm_share: 0.9, llm_p50_ms: 9_000, other_p50_ms: 1_000 });
  });

  it('stays quiet for quick work and for unknown splits', () => {
    const agents = summarizeByAgent([
      ...tasks('quick', 6, { queued: 100, working: 500, llm: 480 }),
      ...tasks('legacy', 6, { queued: 100, working: 10_000, llm: 9_500 }, false),
    ]);
    expect(detectLlmBound(agents)).toEqual([]);
  });
});

describe('the diagnosis over a time breakdown', () => {
  it('ranks the queue wait with its fix, and the model share as a low note', () => {
    const timing = summarizeByAgent([
      ...tasks('writer', 8, { queued: 40_000, working: 2_000, llm: 1_000 }),
      ...tasks('researcher', 6, { queued: 100, working: 10_000, llm: 9_000 }),
    ]);
    const settings = { thresholds: THRESHOLDS, llmLimits: [], baselineWindows: 4, agents: [] };
    const { items } = assessFacts({ ...emptyFacts(), timing }, settings, new Date(NOW).toISOString());
    expect(items.map((i) => i.kind)).toEqual(['queue_wait', 'llm_bound']);
    expect(items[0]?.suggested_actions[0]?.action).toContain('Add consumers for writer');
    expect(items[1]?.severity).toBe('low');
  });
});
