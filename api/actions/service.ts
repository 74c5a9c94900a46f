import type { ClickHouseReader, ClickHouseWriter } from '../../lib/clickhouse.js';
import type { Logger } from '../../lib/logger.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { ActionKind } from '../../lib/tables/action-log.js';
import { DEAD_LETTERS } from '../../lib/tables/dead-letters.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { queryTasks } from '../../lib/tables/task-lifecycle.js';
import type { AgentMessage } from '../../schemas/records.js';
import { ERRORS_TOPIC, normalizeAgentName, QUEUE_TOPIC_PREFIX } from '../../schemas/topics.js';
import { HttpError, notFound } from '../http/http-error.js';
import { derivedUuid, newSpanId } from './action-id.js';
import { AuditedRunner, Refused, type ActionCaller, type ActionResult } from './audited-runner.js';
import { originKey, type ActionsKafka, type DeadLetterRecord } from './kafka.js';

/** The sender named by the messages the actions produce (`source_agent`). */
export const ACTIONS_SOURCE = 'agent-telemetry-actions';

export type { ActionCaller, ActionResult } from './audited-runner.js';

export interface ReplayResult {
  produced: number;
  results: ActionResult[];
}

export interface ReplaySelection {
  /** `topic/partition/offset` of each dead letter (from GET /api/v1/dead-letters or the dead_letters table). */
  letters?: readonly string[] | undefined;
  /** Or: the dead letters observed in the last minutes, oldest first, up to `limit`. */
  sinceMinutes?: number | undefined;
  limit: number;
  /** Replay bytes the codec still cannot decode (they will be dead-lettered again). */
  force: boolean;
}

export interface ActionsServiceOptions {
  /** ClickHouse as the API's read-only user: tasks, dead letters, the audit log. */
  reader: ClickHouseReader;
  /** ClickHouse as the writer: the audit log only. */
  audit: ClickHouseWriter;
  kafka: ActionsKafka;
  logger: Logger;
  now: () => number;
  /** How long a replay may read the dead-letter topic (API_ACTIONS_DLQ_SCAN_MS). */
  dlqScanMs: number;
}

interface TaskRow {
  message_id: string;
  topic: string;
  source_agent: string;
  target_agent: string;
  priority: AgentMessage['priority'];
  trace_id: string;
  payload: string;
  reason: string;
  ttl_seconds: number;
  attempt: number;
  max_retries: number;
  deadline_ms: string;
  job_id: string;
}

/**
 * Cancel, retry and dead-letter replay, each audited in `action_log` and idempotent: the action id
 * derives from the action, its target and the caller's idempotency key; a request whose action is
 * done already produces nothing and answers `duplicate`; concurrent identical requests in one
 * process share one run; the messages produced have ids derived from the action id, so even a
 * producer retry is one row downstream.
 */
export class ActionsService {
  readonly #o: ActionsServiceOptions;
  readonly #runner: AuditedRunner;

  constructor(options: ActionsServiceOptions) {
    this.#o = options;
    this.#runner = new AuditedRunner(options);
  }

  /** Sends a CANCEL for a pending task through its agent's own queue (keyed as the task, so after it). */
  cancelTask(taskId: string, reason: string, caller: ActionCaller): Promise<ActionResult> {
    return this.#runner.run(ActionKind.CANCEL_TASK, taskId, caller, async (id) => {
      const task = await this.#task(taskId);
      const state = await this.#state(task);
      if (state !== 'pending')
        throw new Refused(`task ${taskId} is ${state}: only a pending task can be cancelled`);
      const message = this.#message(task, {
        message_id: derivedUuid(id, 'cancel'),
        message_type: 'cancel',
        payload: JSON.stringify({ reason, actor: caller.actor, action_id: id }),
        parent_message_id: task.message_id,
        reason: `cancelled by ${caller.actor}: ${reason}`,
        ttl_seconds: null,
      });
      await this.#send(task.topic, task.message_id, message);
      return {
        produced: 1,
        detail: {
          message_id: message.message_id,
          topic: task.topic,
          agent: task.target_agent,
          trace_id: task.trace_id,
        },
      };
    });
  }

  /** Produces the task again with the next attempt number, in the same trace and job. */
  retryTask(taskId: string, reason: string, caller: ActionCaller): Promise<ActionResult> {
    return this.#runner.run(ActionKind.RETRY_TASK, taskId, caller, async (id) => {
      const task = await this.#task(taskId);
      const state = await this.#state(task);
      if (state === 'completed') throw new Refused(`task ${taskId} completed: there is nothing to retry`);
      const rows = await this.#o.reader.query<{ attempt: number }>(
        `SELECT max(attempt) AS attempt FROM ${MESSAGE_LOG} WHERE message_type = 'task'
           AND trace_id = ${quoteString(task.trace_id)} AND target_agent = ${quoteString(task.target_agent)}
           AND job_id = ${quoteString(task.job_id)} AND payload = ${quoteString(task.payload)}`,
      );
      const attempt = Math.max(rows[0]?.attempt ?? 0, task.attempt) + 1;
      const now = this.#o.now();
      const deadline = Number(task.deadline_ms);
      // a deadline already past would make the agent refuse the retry on arrival
      const keptDeadline = deadline > now ? deadline : null;
      const message = this.#message(task, {
        message_id: derivedUuid(id, 'task'),
        message_type: 'task',
        payload: task.payload,
        parent_message_id: null,
        reason: `retry of ${task.message_id} by ${caller.actor}: ${reason}`,
        ttl_seconds: task.ttl_seconds > 0 ? task.ttl_seconds : null,
        attempt,
        deadline: keptDeadline,
        source_agent: task.source_agent,
      });
      await this.#send(task.topic, message.message_id, message);
      return {
        produced: 1,
        detail: {
          task_id: message.message_id,
          retry_of: task.message_id,
          attempt,
          previous_state: state,
          topic: task.topic,
          agent: task.target_agent,
          trace_id: task.trace_id,
          deadline_dropped: deadline > 0 && keptDeadline === null,
        },
      };
    });
  }

  /**
   * Produces dead letters again to their origin topic, with their original key, value and headers.
   * Each letter is its own action (audited and deduplicated one by one). Unless `force`, a letter
   * the codec still cannot decode is refused: the producer (or the registry) is not fixed yet.
   */
  async replayDeadLetters(selection: ReplaySelection, caller: ActionCaller): Promise<ReplayResult> {
    const rows = await this.#deadLetters(selection);
    if (rows.length === 0) throw notFound('no matching dead letter');
    const wanted = new Set(rows.map(originKey));
    const pending: string[] = [];
    for (const key of wanted) {
      if (!(await this.#runner.isDone(ActionKind.REPLAY_DEAD_LETTERS, key, caller))) pending.push(key);
    }
    const records =
      pending.length === 0
        ? new Map<string, DeadLetterRecord>()
        : await this.#o.kafka.findDeadLetters(new Set(pending), this.#o.dlqScanMs);
    const results: ActionResult[] = [];
    for (const key of wanted) {
      results.push(
        await this.#runner.run(ActionKind.REPLAY_DEAD_LETTERS, key, caller, async () => {
          const record = records.get(key);
          if (record === undefined) {
            throw new Refused(
              `dead letter ${key} is no longer in the dead-letter topic (retention) or was not found within the scan`,
            );
          }
          const topic = record.origin.topic;
          if (!topic.startsWith(QUEUE_TOPIC_PREFIX) && topic !== ERRORS_TOPIC) {
            throw new Refused(
              `dead letter ${key} came from ${topic}, which is not an agent queue or the errors topic`,
            );
          }
          const why = await this.#o.kafka.undecodable(record.value);
          if (why !== undefined && !selection.force) {
            throw new Refused(
              `dead letter ${key} still cannot be decoded (${why}); fix the producer or registry first, or pass force`,
            );
          }
          await this.#o.kafka.sendRaw(topic, {
            key: record.key,
            value: record.value,
            headers: { ...record.headers, 'x-replayed-from-dlq': key },
          });
          return { produced: 1, detail: { topic, origin: record.origin, decodable: why === undefined } };
        }),
      );
    }
    return { produced: results.reduce((sum, r) => sum + r.produced, 0), results };
  }

  async #deadLetters(
    selection: ReplaySelection,
  ): Promise<{ topic: string; partition: number; offset: number }[]> {
    const where: string[] = [];
    if (selection.letters !== undefined && selection.letters.length > 0) {
      const tuples = selection.letters.map((letter) => {
        const match = /^(.+)\/(\d+)\/(\d+)$/.exec(letter);
        if (match === null)
          throw new HttpError(400, `letters: ${letter} is not topic/partition/offset`, {
            parameter: 'letters',
          });
        return `(${quoteString(match[1] ?? '')}, ${quoteNumber(Number(match[2]))}, ${quoteNumber(Number(match[3]))})`;
      });
      where.push(`(topic, partition, offset) IN (${tuples.join(', ')})`);
    }
    if (selection.sinceMinutes !== undefined) {
      where.push(
        `observed_at_ms >= ${quoteNumber(Math.trunc(this.#o.now() - selection.sinceMinutes * 60_000))}`,
      );
    }
    if (where.length === 0) {
      throw new HttpError(400, 'letters or since_minutes: name the dead letters to replay', {
        parameter: 'letters',
      });
    }
    const rows = await this.#o.reader.query<{ topic: string; partition: number; offset: string }>(
      `SELECT topic, partition, offset FROM ${DEAD_LETTERS} FINAL WHERE ${where.join(' AND ')}
       ORDER BY observed_at_ms, topic, partition, offset LIMIT ${quoteNumber(selection.limit)}`,
    );
    return rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: Number(r.offset) }));
  }

  async #task(taskId: string): Promise<TaskRow> {
    const rows = await this.#o.reader.query<TaskRow>(
      `SELECT message_id, topic, source_agent, target_agent, priority, trace_id, payload, reason, ttl_seconds,
              attempt, max_retries, deadline_ms, job_id
       FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND message_id = ${quoteString(taskId)} LIMIT 1`,
    );
    const task = rows[0];
    if (task === undefined) throw notFound(`task ${taskId}`);
    return task;
  }

  async #state(task: TaskRow): Promise<string> {
    const states = await queryTasks(this.#o.reader, {
      taskIds: [task.message_id],
      agent: normalizeAgentName(task.target_agent),
      nowMs: this.#o.now(),
    });
    return states[0]?.state ?? 'pending';
  }

  #message(
    task: TaskRow,
    fields: Partial<AgentMessage> & Pick<AgentMessage, 'message_id' | 'message_type'>,
  ): AgentMessage {
    return {
      source_agent: ACTIONS_SOURCE,
      target_agent: task.target_agent,
      priority: task.priority,
      payload: '{}',
      trace_id: task.trace_id,
      span_id: newSpanId(),
      parent_message_id: null,
      reason: null,
      timestamp: this.#o.now(),
      ttl_seconds: null,
      attempt: task.attempt,
      max_retries: task.max_retries,
      deadline: Number(task.deadline_ms) > 0 ? Number(task.deadline_ms) : null,
      job_id: task.job_id === '' ? null : task.job_id,
      llm_usage: [],
      heartbeat: null,
      started_at: null,
      ...fields,
    };
  }

  /** Produces with the W3C context of the task's trace, so the message joins the same trace. */
  async #send(topic: string, key: string, message: AgentMessage): Promise<void> {
    const headers: Record<string, string> = {
      // the header the agents' transport sets, so tools can filter a queue without decoding
      'x-message-type': message.message_type,
    };
    if (/^[0-9a-f]{32}$/.test(message.trace_id) && !/^0+$/.test(message.trace_id)) {
      headers.traceparent = `00-${message.trace_id}-${message.span_id}-01`;
    }
    await this.#o.kafka.sendMessage(topic, key, message, headers);
  }
}
