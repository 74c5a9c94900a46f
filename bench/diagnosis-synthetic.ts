import { randomBytes, randomUUID } from 'node:crypto';
import type { AgentMessage, LlmCall } from '../schemas/records.js';

/**
 * The scorecard's own producer of message-graph faults: agents with fresh names, traffic written
 * as AgentMessages any producer could write. Each case is a function of time: `traffic(atMs,
 * faulty)` gives the messages of one tick, healthy before the onset and faulty after it; answers
 * carry their own (later) timestamps and are sent when they are due.
 */

export const TICK_MS = 250;

export interface SyntheticCase {
  name: string;
  /** Every agent of the case (each gets a consumer on its queue, as a deployed agent would). */
  agents: string[];
  /** The agent the right issue must name, and the kinds that name the cause. */
  expect: { agent: string; kinds: string[] };
  traffic(atMs: number, faulty: boolean): AgentMessage[];
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

interface Draft {
  from: string;
  to: string;
  type: AgentMessage['message_type'];
  at: number;
  id?: string;
  trace?: string;
  parent?: string;
  payload?: unknown;
  ttlS?: number;
  deadline?: number;
  calls?: LlmCall[];
}

export function message(d: Draft): AgentMessage {
  return {
    message_id: d.id ?? randomUUID(),
    source_agent: d.from,
    target_agent: d.to,
    message_type: d.type,
    priority: 'normal',
    payload: JSON.stringify(d.payload ?? {}),
    trace_id: d.trace ?? hex(16),
    span_id: hex(8),
    parent_message_id: d.parent ?? null,
    reason: null,
    timestamp: Math.round(d.at),
    ttl_seconds: d.ttlS ?? null,
    attempt: 1,
    max_retries: 0,
    deadline: d.deadline ?? null,
    job_id: null,
    started_at: null,
    llm_usage: d.calls ?? [],
    heartbeat: null,
  };
}

const call = (model: string, tokens: number, latencyMs: number): LlmCall => ({
  model,
  provider: 'synthetic',
  prompt_tokens: Math.round(tokens * 0.8),
  completion_tokens: Math.round(tokens * 0.2),
  latency_ms: latencyMs,
  cost_usd: tokens * 0.000_002,
  status: 'ok',
});

/** A task from `requester` to `worker` and its answer after `latencyMs` (no answer when latencyMs < 0). */
function roundTrip(
  requester: string,
  worker: string,
  at: number,
  latencyMs: number,
  options: {
    kind?: 'result' | 'error';
    ttlS?: number;
    deadline?: number;
    tokens?: number;
    answers?: number;
  } = {},
): AgentMessage[] {
  const trace = hex(16);
  const task = message({
    from: requester,
    to: worker,
    type: 'task',
    at,
    trace,
    payload: { goal: `step ${Math.floor(at / TICK_MS)}` },
    ...(options.ttlS === undefined ? {} : { ttlS: options.ttlS }),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
  });
  if (latencyMs < 0) return [task];
  const answers = Array.from({ length: options.answers ?? 1 }, (_, i) =>
    message({
      from: worker,
      to: requester,
      type: options.kind ?? 'result',
      at: at + latencyMs + i * 40,
      trace,
      parent: task.message_id,
      payload: { ok: options.kind !== 'error' },
      calls: [call('synthetic-small', options.tokens ?? 700, Math.max(1, latencyMs - 10))],
    }),
  );
  return [task, ...answers];
}

/** Every `n`-th tick (by time), so that a case's choices do not depend on when it started. */
const every = (atMs: number, n: number): boolean => Math.floor(atMs / TICK_MS) % n === 0;

/** The message-graph cases, for agents named `<role>-<token>`. */
export function syntheticCases(token: string): SyntheticCase[] {
  const n = (role: string): string => `${role}-${token}`;
  const loopTrace = hex(16);
  return [
    {
      name: 'delegation-loop',
      agents: [n('lp-boss'), n('lp-planner'), n('lp-solver')],
      expect: { agent: n('lp-planner'), kinds: ['delegation_loop'] },
      traffic: (at, faulty) => {
        const normal = roundTrip(n('lp-boss'), n('lp-planner'), at, 80);
        if (!faulty) return normal;
        const odd = every(at, 2);
        const hop = message({
          from: odd ? n('lp-planner') : n('lp-solver'),
          to: odd ? n('lp-solver') : n('lp-planner'),
          type: 'task',
          at,
          trace: loopTrace,
          payload: { goal: 'Decide who owns the billing outage', hop: Math.floor(at / TICK_MS) },
        });
        return [...normal, hop];
      },
    },
    {
      name: 'deep-delegation',
      agents: [0, 1, 2, 3, 4].map((i) => n(`dp-hop${i}`)),
      expect: { agent: n('dp-hop0'), kinds: ['delegation_too_deep'] },
      traffic: (at, faulty) => {
        if (!faulty) return roundTrip(n('dp-hop0'), n('dp-hop1'), at, 60);
        // one chain of 12 hops per second through five agents, each hop a new sub-goal
        if (!every(at, 4)) return [];
        const trace = hex(16);
        return Array.from({ length: 12 }, (_, i) =>
          message({
            from: n(`dp-hop${i % 5}`),
            to: n(`dp-hop${(i + 1) % 5}`),
            type: 'task',
            at: at + i * 10,
            trace,
            payload: { goal: `sub-goal ${i} of ${at}` },
          }),
        );
      },
    },
    {
      name: 'orphan-answers',
      agents: [n('or-client'), n('or-worker')],
      expect: { agent: n('or-worker'), kinds: ['orphan_answers'] },
      traffic: (at, faulty) => [
        ...roundTrip(n('or-client'), n('or-worker'), at, 70),
        ...(faulty
          ? [message({ from: n('or-worker'), to: n('or-client'), type: 'result', at, parent: randomUUID() })]
          : []),
      ],
    },
    {
      name: 'duplicate-answers',
      agents: [n('du-client'), n('du-worker')],
      expect: { agent: n('du-worker'), kinds: ['duplicate_answers'] },
      traffic: (at, faulty) => roundTrip(n('du-client'), n('du-worker'), at, 70, { answers: faulty ? 3 : 1 }),
    },
    {
      name: 'expired-tasks',
      agents: [n('ex-client'), n('ex-worker')],
      expect: { agent: n('ex-worker'), kinds: ['expired_tasks'] },
      // the worker drops every other task; TTL 2 s
      traffic: (at, faulty) =>
        roundTrip(n('ex-client'), n('ex-worker'), at, faulty && every(at, 2) ? -1 : 90, { ttlS: 2 }),
    },
    {
      name: 'missed-deadlines',
      agents: [n('dl-client'), n('dl-worker')],
      expect: { agent: n('dl-worker'), kinds: ['missed_deadlines'] },
      // the requester starts asking for answers within 100 ms; the worker still needs 300 ms
      traffic: (at, faulty) =>
        roundTrip(n('dl-client'), n('dl-worker'), at, 300, { deadline: at + (faulty ? 100 : 2_000) }),
    },
    {
      name: 'latency-regression',
      agents: [n('lt-client'), n('lt-worker')],
      expect: { agent: n('lt-worker'), kinds: ['latency_regression'] },
      traffic: (at, faulty) => roundTrip(n('lt-client'), n('lt-worker'), at, faulty ? 900 : 40),
    },
    {
      name: 'error-rate-regression',
      agents: [n('er-client'), n('er-worker')],
      expect: { agent: n('er-worker'), kinds: ['error_rate_regression'] },
      traffic: (at, faulty) =>
        roundTrip(n('er-client'), n('er-worker'), at, 80, {
          kind: faulty && !every(at, 3) ? 'error' : 'result',
        }),
    },
    {
      name: 'llm-cost-regression',
      agents: [n('co-client'), n('co-worker')],
      expect: { agent: n('co-worker'), kinds: ['llm_cost_regression'] },
      traffic: (at, faulty) =>
        roundTrip(n('co-client'), n('co-worker'), at, 80, { tokens: faulty ? 9_000 : 700 }),
    },
    {
      name: 'throughput-drop',
      agents: [n('tp-client'), n('tp-worker')],
      expect: { agent: n('tp-worker'), kinds: ['throughput_drop'] },
      // the worker answers one task in eight; the rest wait
      traffic: (at, faulty) =>
        roundTrip(n('tp-client'), n('tp-worker'), at, faulty && !every(at, 8) ? -1 : 60),
    },
  ];
}

/** Healthy traffic of fresh agents, with TTLs, deadlines and model calls, for the healthy run. */
export function healthySynthetic(token: string): SyntheticCase {
  const client = `hc-client-${token}`;
  const worker = `hc-worker-${token}`;
  return {
    name: 'healthy-synthetic',
    agents: [client, worker],
    expect: { agent: worker, kinds: [] },
    traffic: (at) =>
      roundTrip(client, worker, at, 60 + (Math.floor(at / TICK_MS) % 5) * 20, {
        ttlS: 30,
        deadline: at + 5_000,
      }),
  };
}
