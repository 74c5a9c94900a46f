import type { ClickHouseReader } from '../../lib/clickhouse.js';
import {
  PRIORITY_RANK,
  queryPendingOverview,
  queryTasks,
  type PendingOverview,
  TASK_STATE,
  type TaskQuery,
  type TaskStateRow,
  TaskStateValue,
} from '../../lib/tables/task-lifecycle.js';
import { Priority } from '../../schemas/records.js';
import { cacheKey, type ReadCache } from './cache.js';
import type { ErrorsReadModel } from './errors.js';
import type { MessagesReadModel } from './messages.js';
import { isoTime, type ApiError, type ApiMessage } from './shapes.js';

export const PRIORITIES = Object.values(Priority) as [Priority, ...Priority[]];
export const TASK_STATES = TaskStateValue;

export interface TaskView {
  task_id: string;
  agent_name: string;
  requester: string;
  priority: string;
  state: TaskStateValue;
  attempt: number;
  max_retries: number;
  submitted_at: string;
  /** Seconds since submission (pending tasks) or until resolution (others). */
  age_seconds: number;
  expires_at: string | null;
  deadline: string | null;
  resolved_at: string | null;
  latency_ms: number | null;
  resolved_by: string | null;
  trace_id: string | null;
  job_id: string | null;
}

export interface PendingFilter {
  agent?: string | undefined;
  /** Only tasks of at least this priority. */
  minPriority?: Priority | undefined;
  /** Only tasks pending for at least this many seconds. */
  minAgeSeconds?: number | undefined;
  traceId?: string | undefined;
  limit: number;
}

/** The longest pending list per agent served from the shared answer (the REST maximum). */
const PENDING_PER_AGENT = 500;

export interface PendingCount {
  pending: number;
  oldestMs: number | null;
  oldestTaskId: string | null;
}

export interface TaskHistory {
  task_id: string;
  /** The task as each agent's view holds it (the target's row carries the task). */
  states: TaskView[];
  /** The TASK and every message answering it, oldest first. */
  messages: ApiMessage[];
  /** Errors reported while working on it (by task id). */
  errors: ApiError[];
  trace_id: string | null;
}

export function taskView(row: TaskStateRow, nowMs: number): TaskView {
  const end = row.resolved_at_ms > 0 ? row.resolved_at_ms : nowMs;
  return {
    task_id: row.task_id,
    agent_name: row.agent,
    requester: row.requester,
    priority: row.priority,
    state: row.state,
    attempt: row.attempt,
    max_retries: row.max_retries,
    submitted_at: isoTime(row.submitted_at_ms),
    age_seconds: Math.max(0, Math.round((end - row.submitted_at_ms) / 100) / 10),
    expires_at: row.expires_at_ms > 0 ? isoTime(row.expires_at_ms) : null,
    deadline: row.deadline_ms > 0 ? isoTime(row.deadline_ms) : null,
    resolved_at: row.resolved_at_ms > 0 ? isoTime(row.resolved_at_ms) : null,
    latency_ms: row.latency_ms >= 0 ? row.latency_ms : null,
    resolved_by: row.resolved_by === '' ? null : row.resolved_by,
    trace_id: row.trace_id === '' ? null : row.trace_id,
    job_id: row.job_id === '' ? null : row.job_id,
  };
}

/**
 * The oldest `limit` pending tasks (of `agent`, or of all) that pass `keep`, from the overview; or
 * undefined when the overview cannot tell. Each agent's list there is its oldest pending tasks, cut
 * at PENDING_PER_AGENT: a cut list answers only up to its last task, since the tasks it leaves out
 * were submitted at that time or later. So the answer stands when no list in scope is cut, or when
 * it is full (`limit` tasks) and its last task was submitted before the last listed one of every
 * cut list in scope. Times are compared strictly, so that the order of ids (ClickHouse compares
 * bytes) never decides it.
 */
export function narrowedFromOverview(
  overview: PendingOverview,
  agent: string | undefined,
  keep: (task: TaskStateRow) => boolean,
  limit: number,
): TaskStateRow[] | undefined {
  const found: TaskStateRow[] = [];
  const listed = new Map<string, { n: number; last: TaskStateRow }>();
  for (const task of overview.oldest) {
    if (agent !== undefined && task.agent !== agent) continue;
    listed.set(task.agent, { n: (listed.get(task.agent)?.n ?? 0) + 1, last: task });
    if (found.length < limit && keep(task)) found.push(task);
  }
  const end = found.length >= limit ? found[found.length - 1] : undefined;
  for (const [name, pending] of overview.counts) {
    if (agent !== undefined && name !== agent) continue;
    const list = listed.get(name);
    if (list !== undefined && pending <= list.n) continue;
    if (list === undefined || end === undefined || end.submitted_at_ms >= list.last.submitted_at_ms) {
      return undefined;
    }
  }
  return found;
}

/** Tasks from the pending-task view (`task_lifecycle`, read through `queryTasks`). */
export class TasksReadModel {
  readonly #reader: ClickHouseReader;
  readonly #messages: MessagesReadModel;
  readonly #errors: ErrorsReadModel;
  readonly #now: () => number;
  readonly #cache: ReadCache;

  constructor(
    reader: ClickHouseReader,
    messages: MessagesReadModel,
    errors: ErrorsReadModel,
    now: () => number,
    cache: ReadCache,
  ) {
    this.#cache = cache;
    this.#reader = reader;
    this.#messages = messages;
    this.#errors = errors;
    this.#now = now;
  }

  /**
   * Pending tasks, oldest first. The oldest of one agent or of all (up to PENDING_PER_AGENT), the
   * lists every queue view asks for, come from one shared answer: each agent's oldest, oldest
   * first. So do lists narrowed by priority or age when that answer holds them (see
   * narrowedFromOverview); the others (by trace, longer, or past what it holds) are asked on their
   * own. Both go through the cache.
   */
  async pending(filter: PendingFilter): Promise<TaskView[]> {
    if (filter.traceId === undefined && filter.limit <= PENDING_PER_AGENT) {
      const { oldest, counts, nowMs } = await this.#overview();
      const inScope = (task: TaskStateRow): boolean =>
        filter.agent === undefined || task.agent === filter.agent;
      if (filter.minPriority === undefined && filter.minAgeSeconds === undefined) {
        // oldest first across agents too: every agent's oldest are in it, so the oldest overall are
        return oldest
          .filter(inScope)
          .slice(0, filter.limit)
          .map((row) => taskView(row, nowMs));
      }
      const { minPriority } = filter;
      const submittedBy =
        filter.minAgeSeconds === undefined ? Infinity : this.#now() - filter.minAgeSeconds * 1000;
      // a task whose stored priority is none of the four (rank 0) passes when no priority is asked,
      // as in the query of its own
      const found = narrowedFromOverview(
        { oldest, counts },
        filter.agent,
        (task) =>
          (minPriority === undefined || PRIORITY_RANK[task.priority] >= PRIORITY_RANK[minPriority]) &&
          task.submitted_at_ms <= submittedBy,
        filter.limit,
      );
      if (found !== undefined) return found.map((row) => taskView(row, nowMs));
    }
    return this.#cache.get(cacheKey('tasks.pending', filter), () =>
      this.#pending({
        ...(filter.agent === undefined ? {} : { agent: filter.agent }),
        states: ['pending'],
        ...(filter.minPriority === undefined ? {} : { minPriorityRank: PRIORITY_RANK[filter.minPriority] }),
        ...(filter.minAgeSeconds === undefined
          ? {}
          : { submittedBeforeMs: this.#now() - filter.minAgeSeconds * 1000 }),
        ...(filter.traceId === undefined ? {} : { traceId: filter.traceId }),
        limit: filter.limit,
      }),
    );
  }

  async #pending(query: Omit<TaskQuery, 'nowMs'>): Promise<TaskView[]> {
    const nowMs = this.#now();
    const rows = await queryTasks(this.#reader, { ...query, nowMs });
    return rows.map((row) => taskView(row, nowMs));
  }

  /**
   * Pending count and oldest pending submission per agent (through the cache). Same states as
   * `queryTasks`: unresolved, and not past its TTL at the model's clock.
   */
  pendingByAgent(): Promise<Map<string, PendingCount>> {
    return this.#cache.get('tasks.pendingByAgent', () => this.#pendingByAgent());
  }

  async #pendingByAgent(): Promise<Map<string, PendingCount>> {
    const { counts, oldest } = await this.#overview();
    const byAgent = new Map<string, PendingCount>();
    for (const [agent, pending] of counts) {
      const first = oldest.find((task) => task.agent === agent);
      byAgent.set(agent, {
        pending,
        oldestMs: first !== undefined && first.submitted_at_ms > 0 ? first.submitted_at_ms : null,
        oldestTaskId: first === undefined || first.task_id === '' ? null : first.task_id,
      });
    }
    return byAgent;
  }

  /**
   * Every agent's pending count and oldest pending tasks (up to PENDING_PER_AGENT), one answer
   * through the cache: the queue views and the plain pending lists share it.
   */
  #overview(): Promise<PendingOverview & { nowMs: number }> {
    return this.#cache.get('tasks.pendingOverview', async () => {
      const nowMs = Math.trunc(this.#now());
      return { ...(await queryPendingOverview(this.#reader, nowMs, PENDING_PER_AGENT)), nowMs };
    });
  }

  /** The task's state under every agent, its messages and its errors; `undefined` when never seen. */
  async history(taskId: string): Promise<TaskHistory | undefined> {
    const nowMs = this.#now();
    // the task's row is kept under the agent its TASK went to (task_lifecycle's key starts with the
    // agent): asked by id alone it reads a granule of task ids of every agent in every part (9,291
    // rows of 1,024-row granules, 2.9 to 3.2 ms of ClickHouse CPU on 450,000 merged tasks; more
    // while inserts are unmerged), under its agent two or three granules (1.5 to 2.2 ms). So it is
    // asked after the messages, which name that agent, while the errors are read; by id alone when
    // no TASK is stored, or none of its rows is under the agents the TASKs name
    const byId = (): Promise<TaskStateRow[]> => queryTasks(this.#reader, { taskIds: [taskId], nowMs });
    const messagesRead = this.#messages.withAnswers(taskId, 1_000);
    const [messages, errors, rows] = await Promise.all([
      messagesRead,
      this.#errors.related({ taskId }, 500),
      messagesRead.then(async (read) => {
        const agents = [
          ...new Set(
            read
              .filter((m) => m.message_id === taskId && m.message_type === 'task')
              .map((m) => m.target_agent),
          ),
        ];
        if (agents.length === 0) return byId();
        const found = await queryTasks(this.#reader, { taskIds: [taskId], agents, nowMs });
        return found.length > 0 ? found : byId();
      }),
    ]);
    if (rows.length === 0 && messages.length === 0 && errors.length === 0) return undefined;
    const trace =
      rows.find((r) => r.trace_id !== '')?.trace_id ??
      messages.find((m) => m.trace_id !== '')?.trace_id ??
      null;
    return {
      task_id: taskId,
      states: rows.map((row) => taskView(row, nowMs)),
      messages,
      errors,
      trace_id: trace,
    };
  }

  /** Counts of tasks per agent and state that were submitted since `sinceMs`. */
  async statesSince(
    sinceMs: number,
  ): Promise<{ agent: string; state: string; n: number; avg_latency_ms: number }[]> {
    const rows = await this.#reader.query<{
      agent: string;
      state: string;
      n: string | number;
      avg_latency_ms: number | null;
    }>(`
      SELECT agent, state, count() AS n, avgIf(latency_ms, latency_ms >= 0) AS avg_latency_ms
      FROM ${TASK_STATE} WHERE submitted_at_ms >= ${Math.trunc(sinceMs)} GROUP BY agent, state`);
    return rows.map((row) => ({
      agent: row.agent,
      state: row.state,
      n: Number(row.n),
      avg_latency_ms:
        row.avg_latency_ms !== null && Number.isFinite(row.avg_latency_ms) ? row.avg_latency_ms : 0,
    }));
  }
}
