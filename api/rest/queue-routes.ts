import { z } from 'zod';
import { notFound } from '../http/http-error.js';
import { enumParam, idParam, intParam, optionalIdParam, textParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiContext, RestRoute } from '../module.js';
import { MESSAGE_TYPES } from '../read-models/messages.js';
import { PRIORITIES } from '../read-models/tasks.js';
import {
  QueuePendingSchema,
  QueueSchema,
  QueuesSchema,
  TaskViewSchema,
  TaskHistorySchema,
} from './schemas.js';

/** Pending TASK messages listed with each queue in /queues (the oldest first). */
const PENDING_PER_QUEUE = 50;

/** Queues, pending tasks and task history. */
export function queueRoutes(context: ApiContext): RestRoute[] {
  const { queues, tasks, messages } = context.readModels;

  const pendingMessages = async (agent: string, limit: number) => {
    const states = await tasks.pending({ agent, limit });
    return {
      states,
      messages: await messages.tasksOf(states, agent),
    };
  };

  return [
    defineRoute({
      path: '/api/v1/queues',
      summary: 'Every agent queue: live lag, Burrow status, pending tasks (oldest 50 listed), totals',
      response: QueuesSchema,
      handler: async () => {
        const list = await queues.list();
        const withPending = await Promise.all(
          list.map(async (queue) => ({
            ...queue,
            pending:
              queue.pending_tasks === 0
                ? []
                : (await pendingMessages(queue.agent_name, PENDING_PER_QUEUE)).messages,
          })),
        );
        return { queues: withPending, total_messages: list.reduce((n, q) => n + q.total_messages, 0) };
      },
    }),
    defineRoute({
      path: '/api/v1/queues/{agent}',
      summary: "One agent's queue: its messages newest first (keyset pages), pending tasks, lag",
      pathParams: { agent: idParam().describe('the agent whose queue (the messages sent to it) to show') },
      query: {
        message_type: enumParam(MESSAGE_TYPES).describe('only messages of this type'),
        limit: intParam(50, 1, 500),
        cursor: textParam(400).describe('the `next_cursor` of the previous page; absent for the first page'),
      },
      response: QueueSchema,
      handler: async ({ path, query }) => {
        const queue = await queues.get(path.agent);
        if (queue === undefined) throw notFound(`queue of agent ${path.agent}`);
        const [page, pending] = await Promise.all([
          messages.list({ agent: path.agent, messageType: query.message_type }, query.limit, query.cursor),
          pendingMessages(path.agent, PENDING_PER_QUEUE),
        ]);
        return { ...queue, messages: page.items, pending: pending.messages, next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      path: '/api/v1/queues/{agent}/pending',
      summary: "An agent's pending tasks, oldest first, as messages and as task states",
      pathParams: { agent: idParam().describe('the agent whose pending tasks to list') },
      query: { limit: intParam(500, 1, 5_000) },
      response: QueuePendingSchema,
      handler: async ({ path, query }) => {
        const queue = await queues.get(path.agent);
        if (queue === undefined) throw notFound(`queue of agent ${path.agent}`);
        const pending = await pendingMessages(path.agent, query.limit);
        return {
          agent_name: path.agent,
          pending_count: queue.pending_tasks,
          tasks: pending.messages,
          task_states: pending.states,
        };
      },
    }),
    defineRoute({
      path: '/api/v1/tasks/pending',
      summary: 'Pending tasks across agents, oldest first, filtered by agent, minimum priority, age, trace',
      query: {
        agent_name: optionalIdParam().describe('only tasks sent to this agent'),
        min_priority: enumParam(PRIORITIES).describe('only tasks of at least this priority'),
        min_age_seconds: intParam(0, 0, 31_536_000),
        trace_id: optionalIdParam().describe('only tasks of this trace'),
        limit: intParam(100, 1, 5_000),
      },
      response: z.object({ total: z.number().int(), tasks: z.array(TaskViewSchema) }),
      handler: async ({ query }) => {
        const list = await tasks.pending({
          agent: query.agent_name,
          minPriority: query.min_priority,
          minAgeSeconds: query.min_age_seconds > 0 ? query.min_age_seconds : undefined,
          traceId: query.trace_id,
          limit: query.limit,
        });
        return { total: list.length, tasks: list };
      },
    }),
    defineRoute({
      path: '/api/v1/tasks/{task_id}',
      summary: "A task's whole history: its state under every agent, its messages and its errors",
      pathParams: { task_id: idParam().describe("the task's id: the message id of its TASK message") },
      response: TaskHistorySchema,
      handler: async ({ path }) => {
        const history = await tasks.history(path.task_id);
        if (history === undefined) throw notFound(`task ${path.task_id}`);
        return history;
      },
    }),
  ];
}
