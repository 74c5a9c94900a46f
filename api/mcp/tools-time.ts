import { z } from 'zod';
import type { ApiContext } from '../module.js';
import { agentArg, callApi, defineTool, idArg, ToolFailure } from './tool-kit.js';

/**
 * `task_time`: where tasks' time went, through the API's own routes (`/api/v1/tasks/{id}/time`,
 * `/api/v1/traces/{id}/time`, `/api/v1/agents/time`), so the answer is the one REST gives.
 */
export function timeTools(context: ApiContext) {
  return [
    defineTool({
      name: 'task_time',
      title: "Where tasks' time went",
      description:
        'Splits task time into queued (sent → the worker started it), working (started → answered), and within working the LLM calls and the rest (tools, code, waiting on other agents). ' +
        'With task_id: one task; with trace_id: every task of a trace with totals; otherwise per worker agent, p50/p95 of each part over the last window_minutes. ' +
        'Long queued time with short work means too few consumers; a high llm_share means the model dominates. split "unknown" means the answer did not report started_at (older or other producers): the split is not guessed.',
      input: {
        task_id: idArg('One task (its message_id)').optional(),
        trace_id: idArg('Every task of this trace').optional(),
        agent: agentArg.optional().describe('Per-agent view: only this worker agent'),
        window_minutes: z
          .number()
          .int()
          .min(1)
          .max(1_440)
          .default(15)
          .describe('Window of the per-agent view (1..1440, default 15)'),
      },
      run: async (a) => {
        if (a.task_id !== undefined && a.trace_id !== undefined)
          throw new ToolFailure('give task_id or trace_id, not both');
        if (a.task_id !== undefined)
          return callApi(context, `/api/v1/tasks/${encodeURIComponent(a.task_id)}/time`);
        if (a.trace_id !== undefined)
          return callApi(context, `/api/v1/traces/${encodeURIComponent(a.trace_id)}/time`);
        const agent = a.agent === undefined ? '' : `&agent_name=${encodeURIComponent(a.agent)}`;
        return callApi(context, `/api/v1/agents/time?time_window_minutes=${a.window_minutes}${agent}`);
      },
    }),
  ];
}
