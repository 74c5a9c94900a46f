import { parseArgs } from '../graphql/args.js';
import { loadSdl } from '../graphql/compose.js';
import { notFound } from '../http/http-error.js';
import { idParam, intParam, optionalIdParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiModuleFactory } from '../module.js';
import { TaskTimeReadModel } from './read-model.js';
import { AgentTimesResponseSchema, TaskTimeSchema, TraceTimeSchema } from './schemas.js';

const windowParam = intParam(15, 1, 1_440);

/**
 * Where tasks' time went (queued, working, LLM, other) per task, per agent over a window and per
 * trace: `GET /api/v1/tasks/{task_id}/time`, `/api/v1/agents/time`, `/api/v1/traces/{trace_id}/time`
 * and GraphQL `taskTime`, `agentTime`, `traceTime`, through one read model.
 */
export const timingModule: ApiModuleFactory = (context) => {
  const model = new TaskTimeReadModel(context.reader);
  const agentTimes = async (minutes: number, agent: string | undefined) => {
    const toMs = context.now();
    const fromMs = toMs - minutes * 60_000;
    const read = await model.agents(fromMs, toMs, agent);
    return {
      time_window_minutes: minutes,
      window_start: new Date(fromMs).toISOString(),
      window_end: new Date(toMs).toISOString(),
      ...read,
    };
  };
  return {
    name: 'timing',
    rest: [
      defineRoute({
        path: '/api/v1/tasks/{task_id}/time',
        summary: "Where one task's time went: queued, working, and within working the LLM calls and the rest",
        description:
          "queued = sent → started, working = started → answered (started from the answer's started_at). When the answer does not report started_at " +
          '(older or other producers), split is "unknown" and queued, working and other are null rather than guessed.',
        pathParams: { task_id: idParam().describe("the task's id: the message id of its TASK message") },
        response: TaskTimeSchema,
        handler: async ({ path }) => {
          const time = await model.task(path.task_id);
          if (time === undefined) throw notFound(`task ${path.task_id}`);
          return time;
        },
      }),
      defineRoute({
        path: '/api/v1/agents/time',
        summary:
          'Per worker agent: p50/p95 of queued, working, LLM and other time over tasks answered in the window',
        description:
          'time_window_minutes (1-1440, default 15); agent_name keeps one agent. split_unknown counts tasks whose answers do not report started_at: ' +
          'their queued/working/other are left out of the percentiles.',
        query: {
          time_window_minutes: windowParam,
          agent_name: optionalIdParam().describe('only this worker agent'),
        },
        response: AgentTimesResponseSchema,
        handler: ({ query }) => agentTimes(query.time_window_minutes, query.agent_name),
      }),
      defineRoute({
        path: '/api/v1/traces/{trace_id}/time',
        summary: 'The time breakdown of every task of a trace, with per-agent summaries and totals',
        pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
        response: TraceTimeSchema,
        handler: async ({ path }) => {
          const time = await model.trace(path.trace_id);
          if (time === undefined) throw notFound(`trace ${path.trace_id}`);
          return time;
        },
      }),
    ],
    typeDefs: loadSdl(new URL('./timing.graphql', import.meta.url)),
    resolvers: {
      Query: {
        taskTime: async (_parent, args) => {
          const { task_id } = parseArgs({ task_id: idParam() }, args);
          return (await model.task(task_id)) ?? null;
        },
        agentTime: async (_parent, args) => {
          const { window_minutes, agent } = parseArgs(
            { window_minutes: windowParam, agent: optionalIdParam() },
            args,
          );
          return agentTimes(window_minutes, agent);
        },
        traceTime: async (_parent, args) => {
          const { trace_id } = parseArgs({ trace_id: idParam() }, args);
          return (await model.trace(trace_id)) ?? null;
        },
      },
    },
  };
};
