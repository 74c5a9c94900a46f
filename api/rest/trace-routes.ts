import { z } from 'zod';
import { notFound } from '../http/http-error.js';
import { idParam, intParam, optionalIdParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiContext, RestRoute } from '../module.js';
import {
  AgentSchema,
  ApiErrorSchema,
  ErrorGroupSchema,
  TaskViewSchema,
  TimelineEntrySchema,
  TraceSchema,
  TraceSummarySchema,
} from './schemas.js';

const windowMinutes = (fallback: number) => intParam(fallback, 1, 10_080);

/** Traces (tree, timeline, graph, errors), slow traces, the debugging context of a trace, agents, LLM rate limits. */
export function traceRoutes(context: ApiContext): RestRoute[] {
  const { traces, errors, tasks, agents } = context.readModels;

  const trace = async (traceId: string) => {
    const view = await traces.get(traceId);
    if (view === undefined) throw notFound(`trace ${traceId}`);
    return view;
  };

  return [
    defineRoute({
      path: '/api/v1/traces',
      summary: 'Recent traces, latest activity first: duration, agents, messages, errors, status',
      query: {
        since_minutes: windowMinutes(60),
        agent_name: optionalIdParam().describe('only traces with a message sent by or to this agent'),
        limit: intParam(50, 1, 500),
      },
      response: z.object({ traces: z.array(TraceSummarySchema), total: z.number().int() }),
      handler: async ({ query }) => {
        const list = await traces.list({
          sinceMs: context.now() - query.since_minutes * 60_000,
          limit: query.limit,
          agent: query.agent_name,
        });
        return { traces: list, total: list.length };
      },
    }),
    defineRoute({
      path: '/api/v1/traces/{trace_id}',
      summary: 'One trace: the message tree across agents, the timeline, its errors',
      pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
      response: TraceSchema,
      handler: ({ path }) => trace(path.trace_id),
    }),
    defineRoute({
      path: '/api/v1/traces/{trace_id}/timeline',
      summary: "A trace's messages and errors in time order, with offsets from its start",
      pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
      response: z.object({
        trace_id: z.string(),
        duration_ms: z.number(),
        timeline: z.array(TimelineEntrySchema),
      }),
      handler: async ({ path }) => {
        const view = await trace(path.trace_id);
        return { trace_id: view.trace_id, duration_ms: view.duration_ms, timeline: view.timeline };
      },
    }),
    defineRoute({
      path: '/api/v1/traces/{trace_id}/graph',
      summary: 'Who sent what to whom in a trace: agents as nodes, message counts by type as edges',
      pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
      response: z.object({
        trace_id: z.string(),
        nodes: z.array(z.object({ agent_name: z.string(), errors: z.number().int() })),
        edges: z.array(
          z.object({
            source_agent: z.string(),
            target_agent: z.string(),
            message_type: z.string(),
            count: z.number().int(),
          }),
        ),
      }),
      handler: async ({ path }) => {
        const view = await trace(path.trace_id);
        const edges = await traces.graph(path.trace_id);
        return {
          trace_id: view.trace_id,
          nodes: view.agents.map((agent) => ({
            agent_name: agent,
            errors: view.errors.filter((e) => e.agent_name === agent).length,
          })),
          edges,
        };
      },
    }),
    defineRoute({
      path: '/api/v1/traces/{trace_id}/errors',
      summary: "A trace's errors, oldest first",
      pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
      response: z.object({ trace_id: z.string(), total: z.number().int(), errors: z.array(ApiErrorSchema) }),
      handler: async ({ path }) => {
        const view = await trace(path.trace_id);
        return { trace_id: view.trace_id, total: view.errors.length, errors: view.errors };
      },
    }),
    defineRoute({
      path: '/api/v1/claude/slow-traces',
      summary: 'The longest traces of the window, longest first',
      query: {
        time_window_minutes: windowMinutes(60),
        min_duration_ms: intParam(0, 0, 86_400_000),
        limit: intParam(10, 1, 100),
      },
      response: z.object({ time_window_minutes: z.number().int(), slow_traces: z.array(TraceSummarySchema) }),
      handler: async ({ query }) => ({
        time_window_minutes: query.time_window_minutes,
        slow_traces: await traces.list({
          sinceMs: context.now() - query.time_window_minutes * 60_000,
          limit: query.limit,
          order: 'duration',
          minDurationMs: query.min_duration_ms,
        }),
      }),
    }),
    defineRoute({
      path: '/api/v1/claude/context/{trace_id}',
      summary:
        'What to know to debug one trace: summary, timeline, its errors and their groups, its pending tasks',
      pathParams: { trace_id: idParam().describe("the trace's W3C trace id") },
      response: z.object({
        trace: TraceSummarySchema,
        timeline: z.array(TimelineEntrySchema),
        errors: z.array(ApiErrorSchema),
        error_groups: z.array(ErrorGroupSchema),
        pending_tasks: z.array(TaskViewSchema),
      }),
      handler: async ({ path }) => {
        const view = await trace(path.trace_id);
        const fingerprints = [
          ...new Set(view.errors.map((e) => e.fingerprint).filter((f): f is string => f !== null)),
        ];
        const [groups, pending] = await Promise.all([
          Promise.all(
            fingerprints.slice(0, 20).map((fingerprint) => errors.groups({ limit: 1, fingerprint })),
          ),
          tasks.pending({ traceId: path.trace_id, limit: 100 }),
        ]);
        const summary = {
          trace_id: view.trace_id,
          started_at: view.started_at,
          ended_at: view.ended_at,
          duration_ms: view.duration_ms,
          agents: view.agents,
          message_count: view.message_count,
          error_count: view.error_count,
          status: view.status,
        };
        return {
          trace: summary,
          timeline: view.timeline,
          errors: view.errors,
          error_groups: groups.flat(),
          pending_tasks: pending,
        };
      },
    }),
    defineRoute({
      path: '/api/v1/claude/rate-limits',
      summary:
        'Observed LLM usage per agent over the window: requests and tokens per minute, rate-limited calls',
      query: { time_window_minutes: windowMinutes(15) },
      response: z.object({
        time_window_minutes: z.number().int(),
        any_rate_limited: z.boolean(),
        agents: z.array(z.object({ agent_name: z.string(), llm: AgentSchema.shape.llm })),
      }),
      handler: async ({ query }) => {
        const list = await agents.list(query.time_window_minutes);
        const used = list.filter((a) => a.llm.calls > 0);
        return {
          time_window_minutes: query.time_window_minutes,
          any_rate_limited: used.some((a) => a.llm.rate_limited > 0),
          agents: used.map((a) => ({ agent_name: a.agent_name, llm: a.llm })),
        };
      },
    }),
    defineRoute({
      path: '/api/v1/agents',
      summary: 'Every agent: liveness from heartbeats, throughput, error rate, LLM usage over the window',
      query: { window_minutes: windowMinutes(15) },
      response: z.object({ window_minutes: z.number().int(), agents: z.array(AgentSchema) }),
      handler: async ({ query }) => ({
        window_minutes: query.window_minutes,
        agents: await agents.list(query.window_minutes),
      }),
    }),
  ];
}
