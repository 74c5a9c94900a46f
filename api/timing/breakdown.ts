/**
 * Where a task's time went: queued (sent → the worker started it), working (started → answered),
 * and within working the LLM calls the answer reports and the rest (tools, code, waiting on other
 * agents). Pure functions over facts read from ClickHouse (see `read-model.ts`), so every rule here
 * is unit-tested without services.
 *
 * The start of work comes from `AgentMessage.started_at`, which only newer producers send. When it
 * is missing the split is `unknown`: queued, working and other are null rather than guessed, and
 * the summaries count such tasks apart.
 */

/** The TASK message, as far as timing needs it. */
export interface TaskFact {
  task_id: string;
  /** The worker the task was sent to. */
  agent: string;
  requester: string;
  trace_id: string;
  attempt: number;
  sent_at_ms: number;
}

/** The first RESULT or ERROR answering a task. */
export interface AnswerFact {
  answer_id: string;
  task_id: string;
  /** The agent that answered (the worker). */
  agent: string;
  /** The agent the answer went to (the requester). */
  requester: string;
  outcome: 'result' | 'error';
  trace_id: string;
  answered_at_ms: number;
  /** When the worker started the task; 0 when the answer does not say. */
  started_at_ms: number;
}

/** The LLM calls carried by one answer. */
export interface LlmFact {
  calls: number;
  llm_ms: number;
}

export const TimeSplit = { KNOWN: 'known', UNKNOWN: 'unknown', PENDING: 'pending' } as const;
export type TimeSplit = (typeof TimeSplit)[keyof typeof TimeSplit];

export interface TaskTime {
  task_id: string;
  agent: string;
  requester: string;
  trace_id: string;
  attempt: number | null;
  /** `completed` (RESULT), `failed` (ERROR) or `pending` (no answer seen). */
  state: 'completed' | 'failed' | 'pending';
  sent_at: string | null;
  started_at: string | null;
  answered_at: string | null;
  /** sent → answered. */
  total_ms: number | null;
  /** sent → started. */
  queued_ms: number | null;
  /** started → answered. */
  working_ms: number | null;
  /** Sum of the latencies of the answer's LLM calls. */
  llm_ms: number | null;
  /** working − LLM (tools, code, waiting on other agents). */
  other_ms: number | null;
  llm_calls: number;
  /** `known` when queued and working are both measured, `unknown` when the answer lacks `started_at` or the task was not seen. */
  split: TimeSplit;
  /** Why a part is missing or adjusted; empty when everything was measured as is. */
  notes: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What a task's answer tells of its time; all null (and `pending`) while it has none. */
type AnswerPart = Omit<TaskTime, 'task_id' | 'agent' | 'requester' | 'trace_id' | 'attempt' | 'sent_at'>;

function answerPart(
  task: TaskFact | undefined,
  answer: AnswerFact | undefined,
  llm: LlmFact | undefined,
): AnswerPart {
  if (answer === undefined) {
    return {
      state: 'pending',
      started_at: null,
      answered_at: null,
      total_ms: null,
      queued_ms: null,
      working_ms: null,
      llm_ms: null,
      other_ms: null,
      llm_calls: 0,
      split: TimeSplit.PENDING,
      notes: ['no answer seen yet'],
    };
  }
  const notes: string[] = [];
  const started = answer.started_at_ms > 0 ? answer.started_at_ms : undefined;
  if (started === undefined)
    notes.push(
      'the answer does not report started_at (an older or another producer): the split between queue and work is unknown',
    );
  if (task === undefined) notes.push('the task itself was not seen: its total and queue time are unknown');
  let queued: number | null = null;
  if (task !== undefined && started !== undefined) {
    queued = started - task.sent_at_ms;
    if (queued < 0) {
      notes.push(
        `the worker's start is ${-queued} ms before the task was sent (clocks disagree): queue time shown as 0`,
      );
      queued = 0;
    }
  }
  const working = started === undefined ? null : Math.max(0, answer.answered_at_ms - started);
  const llmMs = llm?.llm_ms ?? 0;
  let other: number | null = null;
  if (working !== null) {
    other = working - llmMs;
    if (other < 0) {
      notes.push('the LLM calls add up to more than the working time (they overlapped): other shown as 0');
      other = 0;
    }
  }
  return {
    state: answer.outcome === 'result' ? 'completed' : 'failed',
    started_at: started === undefined ? null : iso(started),
    answered_at: iso(answer.answered_at_ms),
    total_ms: task === undefined ? null : Math.max(0, answer.answered_at_ms - task.sent_at_ms),
    queued_ms: queued,
    working_ms: working,
    llm_ms: llmMs,
    other_ms: other,
    llm_calls: llm?.calls ?? 0,
    split: queued !== null && working !== null ? TimeSplit.KNOWN : TimeSplit.UNKNOWN,
    notes,
  };
}

/**
 * The breakdown of one task. `task` or `answer` may be missing (the task was not seen, or is not
 * answered yet); parts that need them are then null.
 */
export function taskTimeOf(
  task: TaskFact | undefined,
  answer: AnswerFact | undefined,
  llm: LlmFact | undefined,
): TaskTime {
  const part = answerPart(task, answer, llm);
  // every field named, not spread: a window holds up to 10,000 tasks, and an object spread into a
  // new literal cost about 10 µs a task (120 ms of the API's event loop per window on Node 20)
  return {
    task_id: task?.task_id ?? answer?.task_id ?? '',
    agent: task?.agent ?? answer?.agent ?? '',
    requester: task?.requester ?? answer?.requester ?? '',
    trace_id: task?.trace_id ?? answer?.trace_id ?? '',
    attempt: task?.attempt ?? null,
    sent_at: task === undefined ? null : iso(task.sent_at_ms),
    state: part.state,
    started_at: part.started_at,
    answered_at: part.answered_at,
    total_ms: part.total_ms,
    queued_ms: part.queued_ms,
    working_ms: part.working_ms,
    llm_ms: part.llm_ms,
    other_ms: part.other_ms,
    llm_calls: part.llm_calls,
    split: part.split,
    notes: part.notes,
  };
}

/** The earliest answer of each task (a redelivered or duplicate answer does not count twice). */
export function firstAnswers(answers: readonly AnswerFact[]): Map<string, AnswerFact> {
  const first = new Map<string, AnswerFact>();
  for (const answer of answers) {
    const seen = first.get(answer.task_id);
    if (
      seen === undefined ||
      answer.answered_at_ms < seen.answered_at_ms ||
      (answer.answered_at_ms === seen.answered_at_ms && answer.answer_id < seen.answer_id)
    )
      first.set(answer.task_id, answer);
  }
  return first;
}

/** Percentiles of one part over the tasks where it is known; null when it is known for none. */
export interface PartStats {
  tasks: number;
  p50_ms: number;
  p95_ms: number;
  mean_ms: number;
}

export interface AgentTime {
  agent: string;
  /** Answered tasks in the window. */
  tasks: number;
  /** Of `tasks`, those whose queue/work split is known. */
  split_known: number;
  /** Of `tasks`, those whose answer lacks `started_at` or whose task was not seen. */
  split_unknown: number;
  total: PartStats | null;
  queued: PartStats | null;
  working: PartStats | null;
  llm: PartStats | null;
  other: PartStats | null;
  /** Share of the working time spent in LLM calls, over the tasks whose split is known. */
  llm_share: number | null;
  /** Share of the total time spent queued, over the tasks whose split is known. */
  queue_share: number | null;
}

/** The value at rank floor(q·n) of the sorted values (as ClickHouse's quantileExact). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function stats(values: readonly (number | null)[]): PartStats | null {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (known.length === 0) return null;
  return {
    tasks: known.length,
    p50_ms: quantile(known, 0.5),
    p95_ms: quantile(known, 0.95),
    mean_ms: Math.round(known.reduce((s, v) => s + v, 0) / known.length),
  };
}

const share = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null;

/** Per-agent percentiles of each part over answered tasks; agents in name order. */
export function summarizeByAgent(times: readonly TaskTime[]): AgentTime[] {
  const byAgent = new Map<string, TaskTime[]>();
  for (const t of times) {
    if (t.state === 'pending') continue;
    const list = byAgent.get(t.agent) ?? [];
    list.push(t);
    byAgent.set(t.agent, list);
  }
  return [...byAgent.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([agent, list]) => {
      const known = list.filter((t) => t.split === TimeSplit.KNOWN);
      const sum = (pick: (t: TaskTime) => number | null) => known.reduce((s, t) => s + (pick(t) ?? 0), 0);
      return {
        agent,
        tasks: list.length,
        split_known: known.length,
        split_unknown: list.length - known.length,
        total: stats(list.map((t) => t.total_ms)),
        queued: stats(list.map((t) => t.queued_ms)),
        working: stats(list.map((t) => t.working_ms)),
        llm: stats(list.map((t) => t.llm_ms)),
        other: stats(list.map((t) => t.other_ms)),
        llm_share: share(
          sum((t) => Math.min(t.llm_ms ?? 0, t.working_ms ?? 0)),
          sum((t) => t.working_ms),
        ),
        queue_share: share(
          sum((t) => t.queued_ms),
          sum((t) => t.total_ms),
        ),
      };
    });
}
