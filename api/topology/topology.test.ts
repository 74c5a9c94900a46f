import { describe, expect, it } from 'vitest';
import type { AgentView } from '../read-models/agents.js';
import type { ApiError, ApiMessage } from '../read-models/shapes.js';
import { taskTimeOf } from '../timing/breakdown.js';
import { assembleGraph, healthOf } from './agent-graph.js';
import { buildWaterfall, LLM_PLACEMENT_NOTE } from './waterfall.js';

const T0 = 1_764_000_000_000;

function view(agent: string, overrides: Partial<AgentView> = {}): AgentView {
  return {
    agent_name: agent,
    queue_topic: `agent-queue-${agent}`,
    liveness: 'alive',
    last_heartbeat: null,
    heartbeat_state: 'idle',
    in_flight: 0,
    max_concurrency: 4,
    host: null,
    version: null,
    window_minutes: 15,
    tasks_received: 10,
    results_sent: 10,
    errors_sent: 0,
    errors_reported: 0,
    throughput_per_minute: 1,
    error_rate: 0,
    llm: {
      calls: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      cost_usd: 0,
      rate_limited: 0,
      failed: 0,
      tokens_per_minute: 0,
      requests_per_minute: 0,
      avg_latency_ms: 0,
      models: [],
    },
    ...overrides,
  };
}

describe('healthOf', () => {
  it('takes the worse of liveness and error rate', () => {
    expect(healthOf(view('a'), 0).health).toBe('healthy');
    expect(healthOf(view('a', { liveness: 'dead' }), 0).health).toBe('down');
    expect(healthOf(view('a', { error_rate: 0.6 }), 0)).toEqual({
      health: 'failing',
      reason: 'error rate 60%',
    });
    expect(healthOf(view('a', { error_rate: 0.2 }), 0).health).toBe('degraded');
    expect(healthOf(view('a', { liveness: 'silent' }), 0).health).toBe('degraded');
  });

  it('calls an agent never seen alive down when work waits for it, unknown otherwise', () => {
    const never = view('a', { liveness: 'unknown', results_sent: 0, errors_sent: 0 });
    expect(healthOf(never, 3).health).toBe('down');
    expect(healthOf(never, 0).health).toBe('unknown');
  });
});

describe('assembleGraph', () => {
  it('gives every requester → worker pair its rate, error rate, p95 and pending, and a node to every agent on one or configured', () => {
    const graph = assembleGraph(
      [view('orchestrator'), view('writer', { error_rate: 0.25 }), view('bystander'), view('idle')],
      [
        {
          source: 'orchestrator',
          target: 'writer',
          tasks: 30,
          completed: 18,
          failed: 6,
          p95_ms: 4_200,
          pending: 6,
        },
        { source: 'orchestrator', target: 'coder', tasks: 0, completed: 0, failed: 0, p95_ms: 0, pending: 2 },
        { source: 'old', target: 'writer', tasks: 0, completed: 0, failed: 0, p95_ms: 0, pending: 0 },
      ],
      15,
      T0,
      ['orchestrator', 'idle'],
    );
    expect(graph.edges).toEqual([
      {
        source: 'orchestrator',
        target: 'coder',
        tasks: 0,
        rate_per_minute: 0,
        error_rate: 0,
        p95_latency_ms: null,
        pending: 2,
      },
      {
        source: 'orchestrator',
        target: 'writer',
        tasks: 30,
        rate_per_minute: 2,
        error_rate: 0.25,
        p95_latency_ms: 4_200,
        pending: 6,
      },
    ]);
    // 'old' has no task in the window nor pending, 'bystander' is on no route and not configured
    expect(graph.nodes.map((n) => [n.agent, n.health, n.pending])).toEqual([
      ['coder', 'down', 2],
      ['idle', 'healthy', 0],
      ['orchestrator', 'healthy', 0],
      ['writer', 'degraded', 6],
    ]);
  });
});

function message(
  overrides: Partial<ApiMessage> & Pick<ApiMessage, 'message_id' | 'message_type'>,
): ApiMessage {
  return {
    source_agent: 'orchestrator',
    target_agent: 'writer',
    priority: 'normal',
    payload: {},
    trace_id: 'tr',
    span_id: '',
    parent_message_id: null,
    reason: null,
    timestamp: new Date(T0).toISOString(),
    ttl_seconds: null,
    attempt: 1,
    max_retries: 0,
    deadline: null,
    job_id: null,
    queue_topic: 'agent-queue-writer',
    ...overrides,
  };
}

describe('buildWaterfall', () => {
  const task = (
    id: string,
    requester: string,
    agent: string,
    sent: number,
    started: number,
    answered: number | null,
  ) =>
    taskTimeOf(
      { task_id: id, agent, requester, trace_id: 'tr', attempt: 1, sent_at_ms: T0 + sent },
      answered === null
        ? undefined
        : {
            answer_id: `${id}-a`,
            task_id: id,
            agent,
            requester,
            outcome: 'result',
            trace_id: 'tr',
            answered_at_ms: T0 + answered,
            started_at_ms: T0 + started,
          },
      answered === null ? undefined : { calls: 2, llm_ms: 1_500 },
    );

  it('nests the tasks an agent sent while working under its own task, with LLM calls and errors', () => {
    const tasks = [
      task('job', 'user', 'orchestrator', 0, 100, 10_000),
      task('w', 'orchestrator', 'writer', 1_000, 3_000, 6_000),
    ];
    const error: ApiError = {
      error_id: 'e1',
      severity: 'error',
      category: 'tool_error',
      error_type: 'ToolError',
      error_message: 'the tool failed',
      task_id: 'w',
      agent_name: 'writer',
      timestamp: new Date(T0 + 5_000).toISOString(),
    } as ApiError;
    const cancel = message({
      message_id: 'c',
      message_type: 'cancel',
      parent_message_id: 'w',
      timestamp: new Date(T0 + 5_500).toISOString(),
    });
    const waterfall = buildWaterfall(
      'tr',
      tasks,
      [cancel],
      [error],
      [
        {
          message_id: 'w-a',
          call_index: 0,
          agent: 'writer',
          model: 'm',
          latency_ms: 1_000,
          status: 'ok',
          task_id: 'w',
          at_ms: T0 + 6_000,
        },
        {
          message_id: 'w-a',
          call_index: 1,
          agent: 'writer',
          model: 'm',
          latency_ms: 500,
          status: 'ok',
          task_id: 'w',
          at_ms: T0 + 6_000,
        },
      ],
    );
    expect(waterfall?.rows.map((r) => [r.kind, r.id, r.depth, r.start_offset_ms, r.end_offset_ms])).toEqual([
      ['task', 'job', 0, 0, 10_000],
      ['task', 'w', 1, 1_000, 6_000],
      ['llm_call', 'w-a#0', 2, 4_500, 5_500],
      ['error', 'e1', 2, 5_000, null],
      ['message', 'c', 2, 5_500, null],
      ['llm_call', 'w-a#1', 2, 5_500, 6_000],
    ]);
    expect(waterfall?.rows[1]).toMatchObject({
      queued_ms: 2_000,
      working_ms: 3_000,
      label: 'orchestrator → writer',
    });
    expect(waterfall).toMatchObject({
      duration_ms: 10_000,
      agents: ['orchestrator', 'writer'],
      counts: { tasks: 2, messages: 1, errors: 1, llm_calls: 2 },
      notes: [LLM_PLACEMENT_NOTE],
    });
  });

  it('leaves an open task without an end and nothing for an unknown trace', () => {
    const waterfall = buildWaterfall('tr', [task('open', 'orchestrator', 'writer', 0, 0, null)], [], [], []);
    expect(waterfall?.rows[0]).toMatchObject({ state: 'pending', end_offset_ms: null });
    expect(buildWaterfall('tr', [], [], [], [])).toBeUndefined();
  });
});
