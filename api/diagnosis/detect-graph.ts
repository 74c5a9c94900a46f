import { distinct } from './detect-errors.js';
import { IssueKind, type DetectedIssue, type DiagnosisWindow, type IssueSeverity } from './types.js';
import type {
  DeadlineFact,
  DelegationTask,
  DelegationTraceFact,
  DuplicateAnswerFact,
  GraphThresholds,
  OrphanAnswerFact,
} from './types-graph.js';

/**
 * Detectors over the message graph, for every agent seen on the topics whether configured or not:
 * delegation loops and over-deep delegation, answers without a task, tasks answered twice, and tasks
 * that ran out of time.
 */

/** Payload fields that usually carry what a task asks for, in the order they are tried. */
const GOAL_KEYS = [
  'goal',
  'objective',
  'task',
  'query',
  'question',
  'prompt',
  'instruction',
  'instructions',
  'request',
  'topic',
  'input',
  'description',
] as const;

const normalize = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 200);

/**
 * What a task asks for: the first goal-like field of its JSON payload, else its reason, else the
 * whole payload. Two tasks with the same goal ask for the same thing, whatever else they carry
 * (hop counters, attempt numbers, ids).
 */
export function goalOf(payload: string, reason = ''): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const record = parsed as Record<string, unknown>;
    for (const key of GOAL_KEYS) {
      const value = record[key];
      if (typeof value === 'string' && value.trim() !== '') return normalize(value);
      if (typeof value === 'object' && value !== null) return normalize(JSON.stringify(value));
    }
  }
  if (reason.trim() !== '') return normalize(reason);
  return normalize(payload);
}

/** A directed cycle of `edges` as the agents along it, first agent repeated at the end; [] if none. */
export function findCycle(edges: readonly (readonly [string, string])[]): string[] {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) {
    if (from === to || from === '' || to === '') continue;
    const list = next.get(from) ?? [];
    if (!list.includes(to)) list.push(to);
    next.set(from, list);
  }
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (node: string): string[] => {
    if (onPath.has(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return [];
    onPath.add(node);
    path.push(node);
    for (const to of next.get(node) ?? []) {
      const cycle = visit(to);
      if (cycle.length > 0) return cycle;
    }
    path.pop();
    onPath.delete(node);
    done.add(node);
    return [];
  };
  for (const start of next.keys()) {
    const cycle = visit(start);
    if (cycle.length > 0) return cycle;
  }
  return [];
}

/** The longest chain of delegations in time order (A→B, then B→C, …): its hops and agents. */
export function longestChain(tasks: readonly DelegationTask[]): { hops: number; agents: string[] } {
  const reach = new Map<string, { hops: number; agents: string[] }>();
  let best = { hops: 0, agents: [] as string[] };
  for (const t of [...tasks].sort((a, b) => a.sent_ms - b.sent_ms)) {
    if (t.source === t.target) continue;
    const from = reach.get(t.source) ?? { hops: 0, agents: [t.source] };
    const to = reach.get(t.target);
    const candidate = { hops: from.hops + 1, agents: [...from.agents, t.target] };
    if (to === undefined || to.hops < candidate.hops) reach.set(t.target, candidate);
    if (candidate.hops > best.hops) best = candidate;
  }
  return best;
}

const uniqueTasks = (tasks: readonly DelegationTask[]): DelegationTask[] => [
  ...new Map(tasks.map((t) => [t.message_id, t])).values(),
];

/** Rotates a cycle so that the agent that delegated first starts it (A → B → A). */
function rotateCycle(cycle: readonly string[], tasks: readonly DelegationTask[]): string[] {
  const ring = cycle.slice(0, -1);
  const first = [...tasks].sort((a, b) => a.sent_ms - b.sent_ms).find((t) => ring.includes(t.source));
  const at = first === undefined ? 0 : ring.indexOf(first.source);
  const rotated = [...ring.slice(at), ...ring.slice(0, at)];
  return [...rotated, rotated[0] ?? ''];
}

interface LoopFinding {
  cycle: string[];
  goal: string;
  hops: number;
  trace: string;
  first_ms: number;
  last_ms: number;
}

/**
 * Delegation loops (tasks with the same goal going A→B→…→A within one trace or job) and delegation
 * chains longer than `maxDelegationDepth`. One issue per set of agents in a loop, naming the cycle,
 * the goal and the traces; a trace with a loop is not reported again as too deep.
 */
export function detectDelegationLoops(
  traces: readonly DelegationTraceFact[],
  t: GraphThresholds,
): DetectedIssue[] {
  const loops = new Map<string, LoopFinding[]>();
  const deep: { trace: string; hops: number; agents: string[] }[] = [];
  for (const trace of traces) {
    const tasks = uniqueTasks(trace.tasks);
    const key = trace.trace_id !== '' ? trace.trace_id : trace.job_id;
    const byGoal = new Map<string, DelegationTask[]>();
    // a goal's delegations are some of the trace's: without a cycle among them all, none has one,
    // and the payloads (JSON to parse, for most traces of a healthy system) are not read
    const cyclic = findCycle(tasks.map((x) => [x.source, x.target] as const)).length > 0;
    for (const task of cyclic ? tasks : []) {
      const goal = goalOf(task.payload, task.reason);
      const list = byGoal.get(goal);
      if (list === undefined) byGoal.set(goal, [task]);
      else list.push(task);
    }
    let looped = false;
    for (const [goal, list] of byGoal) {
      const cycle = findCycle(list.map((x) => [x.source, x.target] as const));
      if (cycle.length === 0) continue;
      looped = true;
      const ring = rotateCycle(cycle, list);
      const inRing = list.filter((x) => ring.includes(x.source) && ring.includes(x.target));
      const id = [...new Set(ring)].sort().join(',');
      loops.set(id, [
        ...(loops.get(id) ?? []),
        {
          cycle: ring,
          goal,
          hops: inRing.length,
          trace: key,
          first_ms: Math.min(...inRing.map((x) => x.sent_ms)),
          last_ms: Math.max(...inRing.map((x) => x.sent_ms)),
        },
      ]);
    }
    if (looped) continue;
    const chain = longestChain(tasks);
    if (chain.hops > t.maxDelegationDepth) deep.push({ trace: key, ...chain });
  }
  const issues: DetectedIssue[] = [];
  for (const [id, found] of loops) {
    const top = [...found].sort((a, b) => b.hops - a.hops)[0];
    if (top === undefined) continue;
    const hops = found.reduce((n, f) => n + f.hops, 0);
    const agents = distinct(top.cycle, 20);
    const severity: IssueSeverity = hops >= 2 * (top.cycle.length - 1) + 1 ? 'high' : 'medium';
    issues.push({
      id: `${IssueKind.DELEGATION_LOOP}:${id}`,
      kind: IssueKind.DELEGATION_LOOP,
      category: 'configuration',
      severity,
      title: `Delegation loop ${top.cycle.join(' → ')} in ${found.length} trace${found.length === 1 ? '' : 's'} (${hops} hops)`,
      description:
        `${agents.join(' and ')} keep delegating the same goal to each other: ${top.cycle.join(' → ')} ` +
        `(goal "${top.goal.slice(0, 80)}", ${top.hops} hops in trace ${top.trace}). No agent on the cycle finishes the work itself, ` +
        'so the trace never completes and every hop costs a task (and its model calls).',
      affected_components: agents,
      related_trace_ids: distinct(found.map((f) => f.trace)),
      evidence: {
        cycle: top.cycle,
        goal: top.goal.slice(0, 200),
        hops,
        traces: found.length,
        trace_id: top.trace,
        first_ms: Math.min(...found.map((f) => f.first_ms)),
        last_ms: Math.max(...found.map((f) => f.last_ms)),
      },
      magnitude: hops,
    });
  }
  const deepest = [...deep].sort((a, b) => b.hops - a.hops)[0];
  if (deepest !== undefined) {
    const agents = distinct(deepest.agents, 20);
    issues.push({
      id: `${IssueKind.DELEGATION_TOO_DEEP}:${agents[0] ?? ''}`,
      kind: IssueKind.DELEGATION_TOO_DEEP,
      category: 'configuration',
      severity: 'medium',
      title: `Delegation ${deepest.hops} hops deep in trace ${deepest.trace} (limit ${t.maxDelegationDepth})`,
      description: `A chain of delegations ${deepest.agents.join(' → ')} passes the depth limit of ${t.maxDelegationDepth} hops in ${deep.length} trace(s): agents hand work on instead of doing it.`,
      affected_components: agents,
      related_trace_ids: distinct(deep.map((d) => d.trace)),
      evidence: {
        depth: deepest.hops,
        max_depth: t.maxDelegationDepth,
        chain: deepest.agents,
        traces: deep.length,
      },
      magnitude: deepest.hops,
    });
  }
  return issues;
}

/** Answers (RESULT/ERROR) whose task was never seen, per answering agent. */
export function detectOrphanAnswers(facts: readonly OrphanAnswerFact[], t: GraphThresholds): DetectedIssue[] {
  return facts
    .filter((f) => f.orphans >= t.orphanMinCount)
    .map((f) => {
      const share = f.answers > 0 ? f.orphans / f.answers : 1;
      return {
        id: `${IssueKind.ORPHAN_ANSWERS}:${f.agent}`,
        kind: IssueKind.ORPHAN_ANSWERS,
        category: 'configuration' as const,
        severity: share >= 0.5 ? 'high' : 'medium',
        title: `${f.orphans} answers from ${f.agent} to tasks never seen (${Math.round(share * 100)}% of its answers)`,
        description:
          `${f.agent} sent ${f.orphans} RESULT/ERROR message(s) to ${f.targets.join(', ')} whose parent_message_id names no task seen on any queue ` +
          `(${t.orphanGraceS} s grace): misrouted or replayed answers, a producer writing to the wrong queue, or tasks sent where the telemetry does not read.`,
        affected_components: distinct([f.agent, ...f.targets], 20),
        related_trace_ids: distinct(f.trace_ids),
        evidence: {
          orphan_answers: f.orphans,
          answers: f.answers,
          share: Number(share.toFixed(2)),
          sent_to: [...f.targets],
          parent_message_ids: distinct(f.parent_ids),
          first_ms: f.first_ms,
          last_ms: f.last_ms,
        },
        magnitude: f.orphans,
      };
    });
}

/** Tasks answered more than once (distinct message ids), per answering agent. */
export function detectDuplicateAnswers(
  facts: readonly DuplicateAnswerFact[],
  t: GraphThresholds,
): DetectedIssue[] {
  return facts
    .filter((f) => f.extra_answers >= t.duplicateMinExtra)
    .map((f) => ({
      id: `${IssueKind.DUPLICATE_ANSWERS}:${f.agent}`,
      kind: IssueKind.DUPLICATE_ANSWERS,
      category: 'error' as const,
      severity: f.extra_answers >= 10 || f.tasks * 5 >= Math.max(1, f.answered) ? 'high' : 'medium',
      title: `${f.agent} answered ${f.tasks} task${f.tasks === 1 ? '' : 's'} more than once (${f.extra_answers} extra answers, up to ${f.max_answers} per task)`,
      description:
        `${f.agent} sent several RESULT/ERROR messages with distinct ids for the same task: ${f.tasks} of the ${f.answered} tasks it answered in the window. ` +
        'Requesters may act twice on one task; the usual causes are a handler run again after a redelivery or rebalance without an idempotency check, ' +
        'or answers sent both on success and in a finally/timeout path.',
      affected_components: distinct([f.agent, ...f.requesters], 20),
      related_trace_ids: distinct(f.trace_ids),
      evidence: {
        tasks_answered_twice_or_more: f.tasks,
        extra_answers: f.extra_answers,
        max_answers_per_task: f.max_answers,
        tasks_answered: f.answered,
        task_ids: distinct(f.task_ids),
      },
      magnitude: f.extra_answers,
    }));
}

/** Tasks whose TTL ran out unanswered, and tasks answered after (or still open past) their deadline. */
export function detectDeadlines(
  facts: readonly DeadlineFact[],
  window: DiagnosisWindow,
  t: GraphThresholds,
): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  for (const f of facts) {
    const common = {
      affected_components: distinct([f.agent, ...f.requesters], 20),
      related_trace_ids: distinct(f.trace_ids),
    };
    const severityOf = (n: number): IssueSeverity =>
      n >= 10 || n * 2 >= Math.max(1, f.with_limit) ? 'high' : 'medium';
    if (f.expired >= t.deadlineMinCount) {
      issues.push({
        id: `${IssueKind.EXPIRED_TASKS}:${f.agent}`,
        kind: IssueKind.EXPIRED_TASKS,
        category: 'timeout',
        severity: severityOf(f.expired),
        title: `${f.expired} task${f.expired === 1 ? '' : 's'} to ${f.agent} expired unanswered (TTL ran out)`,
        description: `${f.expired} of the ${f.with_limit} tasks with a TTL or deadline addressed to ${f.agent} reached the end of their TTL with no RESULT, ERROR or CANCEL in time, the first at ${new Date(f.first_ms).toISOString()}.`,
        ...common,
        evidence: {
          expired_tasks: f.expired,
          tasks_with_limit: f.with_limit,
          first_expired_ms: f.first_ms,
          task_ids: distinct(f.task_ids),
        },
        magnitude: f.expired,
      });
    }
    const missed = f.late + f.overdue;
    if (missed >= t.deadlineMinCount) {
      issues.push({
        id: `${IssueKind.MISSED_DEADLINES}:${f.agent}`,
        kind: IssueKind.MISSED_DEADLINES,
        category: 'timeout',
        severity: severityOf(missed),
        title: `${f.agent} missed the deadline of ${missed} task${missed === 1 ? '' : 's'} (${f.late} answered late, ${f.overdue} still open)`,
        description: `Tasks to ${f.agent} carry a deadline their requester needs the answer by; ${f.late} were answered after it and ${f.overdue} are still unanswered past it (window ending ${new Date(window.toMs).toISOString()}).`,
        ...common,
        evidence: {
          answered_late: f.late,
          open_past_deadline: f.overdue,
          tasks_with_limit: f.with_limit,
          task_ids: distinct(f.task_ids),
        },
        magnitude: missed,
      });
    }
  }
  return issues;
}
