import { describe, expect, it } from 'vitest';
import { detectAgentRegressions, detectLlmCostRegressions } from './detect-regressions.js';
import { NOW, WINDOW } from './test-support/fact-fixtures.js';
import { DEFAULT_GRAPH_THRESHOLDS as T, type AgentTrendFact, type LlmTrendFact } from './types-graph.js';

const RECENT = NOW - 30_000;

/** 14.5 minutes of baseline at one answer a second, 60 ms p95; the last 30 s as given. */
const trend = (recent: Partial<AgentTrendFact> = {}): AgentTrendFact => ({
  agent: 'fast-one',
  recent_completed: 30,
  recent_failed: 0,
  recent_p95_ms: 65,
  recent_received: 30,
  baseline_completed: 870,
  baseline_failed: 9,
  baseline_p95_ms: 60,
  baseline_received: 879,
  baseline_from_ms: WINDOW.fromMs,
  trace_ids: ['t1'],
  ...recent,
});
const detect = (f: AgentTrendFact) => detectAgentRegressions([f], WINDOW, RECENT, T);

describe('latency against the agent’s own baseline', () => {
  it('reports a 20x rise even when the agent is still faster than others', () => {
    const [issue, ...rest] = detect(trend({ recent_p95_ms: 1_200 }));
    expect(rest).toEqual([]);
    expect(issue?.kind).toBe('latency_regression');
    expect(issue?.affected_components).toEqual(['fast-one']);
    expect(issue?.evidence.factor).toBe(20);
    expect(issue?.severity).toBe('high');
  });

  it('ignores jitter, small absolute rises and too few samples', () => {
    expect(detect(trend({ recent_p95_ms: 150 }))).toEqual([]);
    expect(detect(trend({ baseline_p95_ms: 20, recent_p95_ms: 200 }))).toEqual([]);
    const few = detect(trend({ recent_p95_ms: 5_000, recent_completed: 2 }));
    // two answers where thirty were due is a throughput drop, not a latency figure to trust
    expect(few.map((i) => i.kind)).toEqual(['throughput_drop']);
    expect(detect(trend({ recent_p95_ms: 5_000, baseline_completed: 5, baseline_failed: 0 }))).toEqual([]);
  });
});

describe('error rate against the agent’s own baseline', () => {
  it('reports a jump from 1% to 50% failed answers', () => {
    const [issue] = detect(trend({ recent_completed: 15, recent_failed: 15 }));
    expect(issue?.kind).toBe('error_rate_regression');
    expect(issue?.evidence.recent_error_rate).toBe(0.5);
    expect(issue?.severity).toBe('high');
  });

  it('ignores an agent that always failed this much, and a couple of failures', () => {
    expect(detect(trend({ recent_completed: 20, recent_failed: 10, baseline_failed: 400 }))).toEqual([]);
    expect(detect(trend({ recent_completed: 28, recent_failed: 2 }))).toEqual([]);
  });
});

describe('throughput against the agent’s own baseline', () => {
  it('reports an agent that stopped answering while tasks keep coming', () => {
    const [issue] = detect(trend({ recent_completed: 1, recent_received: 30 }));
    expect(issue?.kind).toBe('throughput_drop');
    expect(issue?.severity).toBe('medium');
    expect(issue?.evidence.expected_answers).toBe(30);
    expect(detect(trend({ recent_completed: 0, recent_received: 30 }))[0]?.severity).toBe('high');
  });

  it('takes the baseline rate from the agent’s first answer, not the window start', () => {
    // 100 answers in the 100 s before the recent interval: 1/s, so 30 expected
    const young = trend({ baseline_completed: 100, baseline_failed: 0, baseline_from_ms: RECENT - 100_000 });
    expect(detect({ ...young, recent_completed: 0 })[0]?.kind).toBe('throughput_drop');
  });

  it('says nothing when the work stopped coming, or traffic is too thin to tell', () => {
    expect(detect(trend({ recent_completed: 0, recent_received: 2 }))).toEqual([]);
    const thin = trend({
      baseline_completed: 20,
      baseline_failed: 0,
      recent_completed: 0,
      recent_received: 5,
    });
    expect(detect(thin)).toEqual([]);
  });
});

describe('LLM cost per agent and model', () => {
  const llm = (recent: Partial<LlmTrendFact> = {}): LlmTrendFact => ({
    agent: 'writer-z',
    model: 'gpt-x',
    recent_calls: 15,
    recent_tokens: 15_000,
    recent_cost_usd: 0.15,
    baseline_calls: 435,
    baseline_tokens: 435_000,
    baseline_cost_usd: 4.35,
    baseline_from_ms: WINDOW.fromMs,
    trace_ids: [],
    ...recent,
  });
  const detectCost = (f: LlmTrendFact) => detectLlmCostRegressions([f], WINDOW, RECENT, T);

  it('reports tokens per minute well above the baseline, naming agent and model', () => {
    const [issue] = detectCost(llm({ recent_tokens: 150_000, recent_cost_usd: 1.5 }));
    expect(issue?.kind).toBe('llm_cost_regression');
    expect(issue?.id).toBe('llm_cost_regression:writer-z:gpt-x');
    expect(issue?.evidence.factor).toBe(10);
    expect(issue?.evidence.recent_tokens_per_call).toBe(10_000);
    expect(issue?.severity).toBe('high');
  });

  it('reports a cost rise on the same tokens (a pricier model behind the name)', () => {
    expect(detectCost(llm({ recent_cost_usd: 0.6 }))[0]?.evidence.factor).toBe(4);
  });

  it('ignores steady spend and too few calls', () => {
    expect(detectCost(llm({ recent_tokens: 25_000 }))).toEqual([]);
    expect(detectCost(llm({ recent_calls: 2, recent_tokens: 150_000 }))).toEqual([]);
  });
});
