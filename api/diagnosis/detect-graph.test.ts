import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  detectDeadlines,
  detectDelegationLoops,
  detectDuplicateAnswers,
  detectOrphanAnswers,
  findCycle,
  goalOf,
  longestChain,
} from './detect-graph.js';
import { NOW, WINDOW } from './test-support/fact-fixtures.js';
import {
  DEFAULT_GRAPH_THRESHOLDS as T,
  type DelegationTask,
  type DelegationTraceFact,
} from './types-graph.js';

let seq = 0;
const task = (source: string, target: string, payload: unknown, atS: number): DelegationTask => ({
  message_id: `m${++seq}`,
  source,
  target,
  sent_ms: NOW - 60_000 + atS * 1000,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  reason: '',
});
const trace = (trace_id: string, tasks: DelegationTask[]): DelegationTraceFact => ({
  trace_id,
  job_id: '',
  tasks,
});

describe('goals of tasks', () => {
  it('reads the first goal-like field, whatever else the payload carries', () => {
    expect(goalOf('{"goal":"  Summarise   THE report","hop":3}')).toBe('summarise the report');
    expect(goalOf('{"query":"x","attempt":2}')).toBe(goalOf('{"query":"X","attempt":7}'));
    expect(goalOf('{"input":{"a":1}}')).toBe('{"a":1}');
  });

  it('falls back to the reason, then to the payload itself', () => {
    expect(goalOf('{"n":1}', 'Review the draft')).toBe('review the draft');
    expect(goalOf('not json')).toBe('not json');
  });
});

describe('cycles and chains', () => {
  it('finds a directed cycle and none in a tree', () => {
    expect(
      findCycle([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ]),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(
      findCycle([
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ]),
    ).toEqual([]);
    expect(findCycle([['a', 'a']])).toEqual([]);
  });

  it('measures the longest chain in time order only', () => {
    const chain = longestChain([task('a', 'b', 1, 1), task('b', 'c', 1, 2), task('c', 'd', 1, 3)]);
    expect(chain).toEqual({ hops: 3, agents: ['a', 'b', 'c', 'd'] });
    // c delegated to d before b delegated to c: two separate hops, not a chain of three
    expect(longestChain([task('c', 'd', 1, 1), task('a', 'b', 1, 2), task('b', 'c', 1, 3)]).hops).toBe(2);
  });
});

describe('delegation loops', () => {
  it('names the agents, the cycle, the goal and the trace of a back-and-forth', () => {
    const goal = { goal: 'find the root cause' };
    const tasks = [0, 1, 2, 3, 4, 5].map((i) =>
      i % 2 === 0
        ? task('planner-x', 'solver-y', { ...goal, hop: i }, i)
        : task('solver-y', 'planner-x', { ...goal, hop: i }, i),
    );
    const [issue, ...rest] = detectDelegationLoops([trace('t-loop', tasks)], T);
    expect(rest).toEqual([]);
    expect(issue?.kind).toBe('delegation_loop');
    expect(issue?.affected_components).toEqual(['planner-x', 'solver-y']);
    expect(issue?.evidence.cycle).toEqual(['planner-x', 'solver-y', 'planner-x']);
    expect(issue?.evidence.goal).toBe('find the root cause');
    expect(issue?.related_trace_ids).toEqual(['t-loop']);
    expect(issue?.severity).toBe('high');
  });

  it('finds a three-agent cycle keyed by job when there is no trace id', () => {
    const tasks = [
      task('a', 'b', { task: 'x' }, 1),
      task('b', 'c', { task: 'x' }, 2),
      task('c', 'a', { task: 'x' }, 3),
    ];
    const [issue] = detectDelegationLoops([{ trace_id: '', job_id: 'job-7', tasks }], T);
    expect(issue?.evidence.cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(issue?.related_trace_ids).toEqual(['job-7']);
  });

  it('ignores fan-out, retries, rework and different goals going back', () => {
    const healthy = [
      task('client', 'orch', { goal: 'job' }, 0),
      task('orch', 'researcher', { goal: 'research' }, 1),
      task('orch', 'researcher', { goal: 'research' }, 2),
      task('orch', 'writer', { goal: 'write' }, 3),
      task('orch', 'reviewer', { goal: 'review' }, 4),
      task('orch', 'writer', { goal: 'write' }, 5),
      task('writer', 'orch', { goal: 'need facts' }, 6),
    ];
    expect(detectDelegationLoops([trace('t', healthy)], T)).toEqual([]);
  });

  it('reports exactly the traces where the tasks of one goal form a cycle', () => {
    const agents = ['a', 'b', 'c', 'd'];
    const arbTask = fc.record({
      from: fc.constantFrom(...agents),
      to: fc.constantFrom(...agents),
      goal: fc.constantFrom('g1', 'g2', 'G1 ', 'not json {'),
    });
    fc.assert(
      fc.property(fc.array(fc.array(arbTask, { maxLength: 8 }), { maxLength: 6 }), (drawn) => {
        const traces = drawn.map((tasks, t) =>
          trace(
            `t${t}`,
            tasks.map((x, i) => task(x.from, x.to, x.goal.startsWith('not') ? x.goal : { goal: x.goal }, i)),
          ),
        );
        // the definition: some goal's delegations alone go round
        const expected = traces
          .filter((tr) => {
            const byGoal = new Map<string, [string, string][]>();
            for (const x of tr.tasks) {
              const goal = goalOf(x.payload, x.reason);
              byGoal.set(goal, [...(byGoal.get(goal) ?? []), [x.source, x.target]]);
            }
            return [...byGoal.values()].some((edges) => findCycle(edges).length > 0);
          })
          .map((tr) => tr.trace_id)
          .sort();
        const reported = [
          ...new Set(
            detectDelegationLoops(traces, T)
              .filter((issue) => issue.kind === 'delegation_loop')
              .flatMap((issue) => issue.related_trace_ids),
          ),
        ].sort();
        expect(reported).toEqual(expected);
      }),
      { numRuns: 500, seed: 16 },
    );
  });

  it('counts a redelivered task once', () => {
    const a = task('a', 'b', { goal: 'g' }, 1);
    expect(detectDelegationLoops([trace('t', [a, a, { ...a }])], T)).toEqual([]);
  });

  it('reports delegation deeper than the limit', () => {
    const agents = Array.from({ length: 11 }, (_, i) => `hop-${i}`);
    const tasks = agents.slice(1).map((to, i) => task(agents[i] ?? '', to, { goal: `step ${i}` }, i));
    const [issue] = detectDelegationLoops([trace('t-deep', tasks)], T);
    expect(issue?.kind).toBe('delegation_too_deep');
    expect(issue?.evidence.depth).toBe(10);
    expect(issue?.affected_components[0]).toBe('hop-0');
    expect(detectDelegationLoops([trace('t', tasks.slice(0, 8))], T)).toEqual([]);
  });
});

describe('orphan answers', () => {
  const fact = (orphans: number, answers: number) => ({
    agent: 'rogue',
    targets: ['boss'],
    orphans,
    answers,
    parent_ids: ['p1'],
    trace_ids: ['t1'],
    first_ms: NOW - 20_000,
    last_ms: NOW - 6_000,
  });

  it('reports answers to unseen tasks, naming the sender then the queues it wrote to', () => {
    const [issue] = detectOrphanAnswers([fact(20, 20)], T);
    expect(issue?.kind).toBe('orphan_answers');
    expect(issue?.affected_components).toEqual(['rogue', 'boss']);
    expect(issue?.severity).toBe('high');
    expect(issue?.evidence.share).toBe(1);
  });

  it('is medium when most answers match a task, and silent below the minimum', () => {
    expect(detectOrphanAnswers([fact(3, 100)], T)[0]?.severity).toBe('medium');
    expect(detectOrphanAnswers([fact(2, 2)], T)).toEqual([]);
  });
});

describe('duplicate answers', () => {
  const fact = (tasks: number, extra: number, answered: number) => ({
    agent: 'worker',
    tasks,
    extra_answers: extra,
    max_answers: 5,
    answered,
    task_ids: ['t1', 't2'],
    trace_ids: ['tr'],
    requesters: ['boss'],
  });

  it('reports tasks answered several times, per answering agent', () => {
    const [issue] = detectDuplicateAnswers([fact(3, 12, 3)], T);
    expect(issue?.kind).toBe('duplicate_answers');
    expect(issue?.affected_components).toEqual(['worker', 'boss']);
    expect(issue?.severity).toBe('high');
    expect(issue?.evidence.extra_answers).toBe(12);
  });

  it('tolerates a single extra answer and grades a rare duplicate medium', () => {
    expect(detectDuplicateAnswers([fact(1, 1, 50)], T)).toEqual([]);
    expect(detectDuplicateAnswers([fact(2, 2, 100)], T)[0]?.severity).toBe('medium');
  });
});

describe('expired tasks and missed deadlines', () => {
  const fact = (expired: number, late: number, overdue: number, with_limit = 10) => ({
    agent: 'slowpoke',
    expired,
    late,
    overdue,
    with_limit,
    task_ids: ['t1'],
    trace_ids: ['tr'],
    requesters: ['boss'],
    first_ms: NOW - 30_000,
  });

  it('reports expired tasks and missed deadlines as two issues of the agent', () => {
    const issues = detectDeadlines([fact(6, 2, 3)], WINDOW, T);
    expect(issues.map((i) => i.kind)).toEqual(['expired_tasks', 'missed_deadlines']);
    expect(issues[0]?.affected_components).toEqual(['slowpoke', 'boss']);
    expect(issues[0]?.severity).toBe('high');
    expect(issues[1]?.evidence.answered_late).toBe(2);
    expect(issues[1]?.evidence.open_past_deadline).toBe(3);
  });

  it('needs the minimum count and grades a small share medium', () => {
    expect(detectDeadlines([fact(1, 1, 0)], WINDOW, T)).toEqual([]);
    expect(detectDeadlines([fact(2, 0, 0, 100)], WINDOW, T)[0]?.severity).toBe('medium');
  });
});
