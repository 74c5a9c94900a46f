import type { AgentMessage } from '../schemas/records.js';
import { HandoffError, HandoffErrorCode, TaskCancelledError } from './errors/types.js';
import type { RequestOptions } from './task-context.js';
import type { Context } from './tracing.js';
import { cancelMessage, taskMessage, type AgentTransport } from './transport.js';

/**
 * The subtasks an agent sent and waits for: each waits for an answer whose `parent_message_id` is
 * its id, for its timeout, or for its cancellation (then a CANCEL goes to the worker).
 */
export class PendingRequests {
  readonly #o: { agent: string; transport: AgentTransport; taskTtlSeconds: number };
  readonly #waiting = new Map<string, { resolve: (reply: AgentMessage) => void }>();

  constructor(options: { agent: string; transport: AgentTransport; taskTtlSeconds: number }) {
    this.#o = options;
  }

  /** Hands an answer to its waiter; false when nobody waits for it (late or foreign). */
  settle(message: AgentMessage): boolean {
    const parent = message.parent_message_id;
    const waiter = parent === null ? undefined : this.#waiting.get(parent);
    if (waiter === undefined || parent === null) return false;
    this.#waiting.delete(parent);
    waiter.resolve(message);
    return true;
  }

  /** Sends a subtask and waits for its answer, its timeout or its cancellation. */
  async request(
    parent: Context,
    task: AgentMessage,
    target: string,
    payload: Readonly<Record<string, unknown>>,
    options: RequestOptions,
  ): Promise<AgentMessage> {
    const outgoing = taskMessage({
      from: this.#o.agent,
      to: target,
      payload,
      jobId: task.job_id ?? task.message_id,
      attempt: options.attempt,
      maxRetries: options.maxRetries,
      ttlSeconds: this.#o.taskTtlSeconds,
      deadline: task.deadline,
      priority: task.priority,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    const answer = new Promise<AgentMessage>((resolve) => {
      this.#waiting.set(outgoing.message_id, { resolve });
    });
    let sent: AgentMessage;
    try {
      sent = await this.#o.transport.send(outgoing, parent);
    } catch (error) {
      this.#waiting.delete(outgoing.message_id);
      throw new HandoffError(HandoffErrorCode.SEND_FAILED, `could not send a task to ${target}`, {
        targetAgent: target,
        taskId: outgoing.message_id,
        attempt: options.attempt,
        cause: error,
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, options.timeoutMs);
    });
    const aborted = new Promise<'aborted'>((resolve) => {
      if (options.signal.aborted) resolve('aborted');
      options.signal.addEventListener(
        'abort',
        () => {
          resolve('aborted');
        },
        { once: true },
      );
    });
    try {
      const outcome = await Promise.race([answer, timeout, aborted]);
      if (outcome === 'timeout') {
        throw new HandoffError(
          HandoffErrorCode.STEP_TIMEOUT,
          `${target} did not answer task ${sent.message_id} within ${options.timeoutMs} ms`,
          {
            targetAgent: target,
            taskId: sent.message_id,
            attempt: options.attempt,
          },
        );
      }
      if (outcome === 'aborted') {
        const reason: unknown = options.signal.reason;
        await this.#o.transport
          .send(cancelMessage(sent, reason instanceof Error ? reason.message : 'cancelled'), parent)
          .catch(() => undefined);
        throw reason instanceof Error ? reason : new TaskCancelledError('cancelled');
      }
      return outcome;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(sent.message_id);
    }
  }
}
