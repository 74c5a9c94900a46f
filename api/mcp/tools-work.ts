import { z } from 'zod';
import type { ApiContext } from '../module.js';
import type { QueueView } from '../read-models/queues.js';
import type { ApiMessage } from '../read-models/shapes.js';
import { PRIORITIES } from '../read-models/tasks.js';
import { errorLine } from './tools-errors.js';
import { agentArg, defineTool, idArg, ToolFailure } from './tool-kit.js';

/** A message as a line of a history: the payload stays out (get it with sql_query when needed). */
function messageLine(m: ApiMessage): Record<string, unknown> {
  return {
    message_id: m.message_id,
    timestamp: m.timestamp,
    message_type: m.message_type,
    source_agent: m.source_agent,
    target_agent: m.target_agent,
    priority: m.priority,
    parent_message_id: m.parent_message_id,
    reason: m.reason,
    attempt: m.attempt,
  };
}

function queueLine(q: QueueView, withPartitions: boolean): Record<string, unknown> {
  const { partitions, ...rest } = q;
  return withPartitions ? { ...rest, partitions } : { ...rest, partition_count: partitions.length };
}

export function workTools(context: ApiContext) {
  const { tasks, queues, traces, agents } = context.readModels;
  return [
    defineTool({
      name: 'pending_tasks',
      title: 'Pending tasks',
      description:
        'Tasks sent to an agent and not answered yet (no RESULT, ERROR or CANCEL, TTL not run out), oldest first: who asked, priority, attempt, age, deadline, trace. ' +
        'The oldest ones are the stuck ones; follow up with get_task or get_trace.',
      input: {
        agent: agentArg.optional().describe('Only tasks waiting on this agent'),
        min_priority: z.enum(PRIORITIES).optional().describe('Only tasks of at least this priority'),
        min_age_seconds: z
          .number()
          .int()
          .min(0)
          .max(604_800)
          .optional()
          .describe('Only tasks pending at least this long'),
        trace_id: idArg('Only tasks of this trace').optional(),
        limit: z.number().int().min(1).max(100).default(20).describe('Tasks (1..100, default 20)'),
      },
      run: async (a) => {
        const items = await tasks.pending({
          agent: a.agent,
          minPriority: a.min_priority,
          minAgeSeconds: a.min_age_seconds,
          traceId: a.trace_id,
          limit: a.limit,
        });
        return { count: items.length, tasks: items };
      },
    }),
    defineTool({
      name: 'queue_status',
      title: 'Queue status',
      description:
        "Each agent's queue (agent-queue-<agent>): live consumer lag of the agent's own group from Kafka, Burrow's lag status (OK/WARN/ERR) and worst partition status (STOP, STALL, REWIND), " +
        'consumer members, pending tasks and the oldest pending one. With `agent`, one queue with its partitions.',
      input: { agent: agentArg.optional().describe('One agent (adds per-partition offsets)') },
      run: async (a) => {
        if (a.agent === undefined) {
          const list = await queues.list();
          return { queues: list.map((q) => queueLine(q, false)) };
        }
        const queue = await queues.get(a.agent);
        if (queue === undefined) {
          throw new ToolFailure(
            `no queue for agent "${a.agent}": it is not configured and never received a message; queue_status without arguments lists the known queues`,
          );
        }
        return { queue: queueLine(queue, true) };
      },
    }),
    defineTool({
      name: 'get_task',
      title: 'Get one task',
      description:
        "A task's history: its state under each agent (pending, completed, failed, cancelled, expired), every message answering it (payloads left out), and the errors reported while working on it.",
      input: {
        task_id: idArg('The task id: the message_id of the TASK (from pending_tasks or list_errors)'),
      },
      run: async (a) => {
        const history = await tasks.history(a.task_id);
        if (history === undefined) {
          throw new ToolFailure(
            `no task with id ${a.task_id}: pending_tasks lists the waiting ones, list_errors names task ids`,
          );
        }
        return {
          task_id: history.task_id,
          trace_id: history.trace_id,
          states: history.states,
          messages: history.messages.map(messageLine),
          errors: history.errors.map(errorLine),
        };
      },
    }),
    defineTool({
      name: 'get_trace',
      title: 'Get one trace',
      description:
        'Everything that happened under one trace id, as a timeline (messages and errors merged, with milliseconds since the start) and a status (failed, pending, completed). ' +
        'Use it to follow a cascade: which agent failed first and who waited for it.',
      input: {
        trace_id: idArg('The W3C trace id (32 hex digits), from list_errors, pending_tasks or diagnose'),
        max_events: z
          .number()
          .int()
          .min(1)
          .max(200)
          .default(60)
          .describe('Timeline entries to show (1..200, default 60), errors first kept'),
      },
      run: async (a) => {
        const trace = await traces.get(a.trace_id);
        if (trace === undefined) {
          throw new ToolFailure(
            `no trace ${a.trace_id}: no message or error carries it (list_errors and pending_tasks give trace ids)`,
          );
        }
        const { timeline, errors } = trace;
        const summary = {
          trace_id: trace.trace_id,
          status: trace.status,
          started_at: trace.started_at,
          ended_at: trace.ended_at,
          duration_ms: trace.duration_ms,
          agents: trace.agents,
          message_count: trace.message_count,
          error_count: trace.error_count,
        };
        const shown =
          timeline.length <= a.max_events
            ? timeline
            : [...timeline.filter((t) => t.kind === 'error'), ...timeline.filter((t) => t.kind === 'message')]
                .slice(0, a.max_events)
                .sort((x, y) => x.offset_ms - y.offset_ms);
        return {
          ...summary,
          timeline: shown.map((t) => ({
            at: t.at,
            offset_ms: t.offset_ms,
            kind: t.kind,
            agent_name: t.agent_name,
            summary: t.summary.length > 240 ? `${t.summary.slice(0, 240)}…` : t.summary,
            id: t.message?.message_id ?? t.error?.error_id ?? null,
          })),
          timeline_omitted: timeline.length - shown.length,
          errors: errors.slice(0, 10).map(errorLine),
        };
      },
    }),
    defineTool({
      name: 'agent_status',
      title: 'Agent status',
      description:
        'Each agent: liveness from heartbeats (alive, silent > 60 s, dead > 5 min, unknown), in-flight work, tasks received, results and failures sent, errors reported, ' +
        'throughput, error rate and LLM usage (calls, tokens, cost, rate-limited calls) over the window.',
      input: {
        agent: agentArg.optional().describe('One agent only'),
        window_minutes: z
          .number()
          .int()
          .min(1)
          .max(1_440)
          .default(15)
          .describe('Window of the counts (1..1440, default 15)'),
      },
      run: async (a) => {
        const list = await agents.list(a.window_minutes);
        if (a.agent === undefined) return { window_minutes: a.window_minutes, agents: list };
        const one = list.find((v) => v.agent_name === a.agent);
        if (one === undefined) {
          throw new ToolFailure(
            `no agent "${a.agent}" (known: ${
              list
                .map((v) => v.agent_name)
                .slice(0, 20)
                .join(', ') || 'none'
            })`,
          );
        }
        return { window_minutes: a.window_minutes, agent: one };
      },
    }),
  ];
}
