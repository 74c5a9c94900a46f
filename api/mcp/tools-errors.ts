import { z } from 'zod';
import type { ApiContext } from '../module.js';
import { CATEGORIES, SEVERITIES } from '../read-models/errors.js';
import type { ApiError } from '../read-models/shapes.js';
import { agentArg, defineTool, idArg, sinceMs, ToolFailure } from './tool-kit.js';

/** The fields of an error that a listing needs; `get_error` gives the rest. */
export function errorLine(e: ApiError): Record<string, unknown> {
  return {
    error_id: e.error_id,
    timestamp: e.timestamp,
    severity: e.severity,
    category: e.category,
    error_type: e.error_type,
    error_message: e.error_message.length > 300 ? `${e.error_message.slice(0, 300)}…` : e.error_message,
    agent_name: e.agent_name,
    operation: e.operation,
    http_status: e.http_status,
    is_retryable: e.is_retryable,
    retry_count: e.retry_count,
    trace_id: e.trace_id,
    task_id: e.task_id,
    fingerprint: e.fingerprint,
  };
}

const sinceArg = z
  .number()
  .int()
  .min(1)
  .max(10_080)
  .optional()
  .describe('Only the last N minutes (1..10080); omit for all time');

export function errorTools(context: ApiContext) {
  const { errors } = context.readModels;
  return [
    defineTool({
      name: 'list_errors',
      title: 'List errors',
      description:
        'Errors reported by the agents (the DetailedError records on agent-telemetry-errors), newest first, with filters. ' +
        'Each line has the ids to follow up with get_error, get_trace and get_task. `total` counts every match; pass `next_cursor` back as `cursor` for the next page.',
      input: {
        agent: agentArg.optional(),
        severity: z.enum(SEVERITIES).optional().describe('critical, error, warning or info'),
        category: z
          .enum(CATEGORIES)
          .optional()
          .describe('Error category, e.g. timeout_error, rate_limit_error'),
        trace_id: idArg('Only errors of this trace').optional(),
        task_id: idArg('Only errors of this task (message id of the TASK)').optional(),
        fingerprint: idArg('Only errors of this group (see error_groups)').optional(),
        since_minutes: sinceArg,
        limit: z.number().int().min(1).max(50).default(10).describe('Errors per page (1..50, default 10)'),
        cursor: z.string().max(500).optional().describe('next_cursor of the previous page'),
      },
      run: async (a) => {
        const page = await errors.list(
          {
            agent: a.agent,
            severity: a.severity,
            category: a.category,
            traceId: a.trace_id,
            taskId: a.task_id,
            fingerprint: a.fingerprint,
            sinceMs: sinceMs(context, a.since_minutes),
          },
          a.limit,
          a.cursor,
        );
        return { total: page.total, next_cursor: page.next_cursor, errors: page.items.map(errorLine) };
      },
    }),
    defineTool({
      name: 'get_error',
      title: 'Get one error',
      description:
        'One error with every field: stack trace, input data, partial output, model and prompt preview, tool and parameters, suggested fixes.',
      input: { error_id: idArg('The error_id, from list_errors or error_groups (sample_error_id)') },
      run: async (a) => {
        const error = await errors.get(a.error_id);
        if (error === undefined) {
          throw new ToolFailure(
            `no error with error_id ${a.error_id}: list_errors gives the ids of stored errors`,
          );
        }
        return { error };
      },
    }),
    defineTool({
      name: 'error_groups',
      title: 'Error groups',
      description:
        'Errors grouped by fingerprint (type, category, agent, operation, normalized message or top stack frames), busiest first, ' +
        'with first and last seen, count, agents, a sample and the trend over the last hour (new, rising, falling, steady, quiet).',
      input: {
        agent: agentArg.optional(),
        since_minutes: sinceArg.describe('Only groups seen in the last N minutes; omit for all time'),
        limit: z.number().int().min(1).max(50).default(10).describe('Groups (1..50, default 10)'),
      },
      run: async (a) => {
        const groups = await errors.groups({
          limit: a.limit,
          agent: a.agent,
          sinceMs: sinceMs(context, a.since_minutes),
        });
        return {
          groups: groups.map((g) => ({
            ...g,
            sample_message:
              g.sample_message.length > 300 ? `${g.sample_message.slice(0, 300)}…` : g.sample_message,
            trend: { direction: g.trend.direction, per_5_min: g.trend.buckets },
          })),
        };
      },
    }),
  ];
}
