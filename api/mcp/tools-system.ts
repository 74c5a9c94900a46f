import { z } from 'zod';
import { TASK_STATE } from '../../lib/tables/task-lifecycle.js';
import { ISSUE_KINDS } from '../diagnosis/kinds.js';
import type { ApiContext } from '../module.js';
import { runSqlQuery } from './sql-query.js';
import { agentArg, callApi, defineTool } from './tool-kit.js';

interface IssueItemShape {
  id: string;
  rank: number;
  kind: string;
  severity: string;
  title: string;
  description: string;
  affected_components: string[];
  related_trace_ids: string[];
  evidence: Record<string, unknown>;
  explained_by: string | null;
  suggested_actions: { action: string; rationale: string }[];
}

interface ReportShape {
  metadata: Record<string, unknown>;
  issues: { items: IssueItemShape[]; counts: Record<string, number> };
  errors: { recent: unknown[]; error_rate: number; total: number };
  rate_limits: { any_rate_limited: boolean };
  slow_traces: unknown[];
  suggested_actions: { action: string }[];
  debugging_context: { next_steps: string[]; related_trace_ids: string[] };
  system_summary: string;
  health_score: number;
}

/** The diagnosis bundle cut to what a model reads first: status, ranked issues with evidence, actions. */
export function compactDiagnosis(
  report: ReportShape,
  maxIssues: number,
  agents: readonly string[] = [],
): Record<string, unknown> {
  // the diagnosis covers every agent; a caller debugging some of them sees only their issues
  const items =
    agents.length === 0
      ? report.issues.items
      : report.issues.items.filter((i) => i.affected_components.some((c) => agents.includes(c)));
  return {
    system_status: report.metadata.system_status,
    health_score: report.health_score,
    system_summary: report.system_summary,
    window: { start: report.metadata.window_start, end: report.metadata.window_end },
    data_gaps: report.metadata.data_gaps,
    issue_counts: report.issues.counts,
    issues: items.slice(0, maxIssues).map((i) => ({
      id: i.id,
      rank: i.rank,
      kind: i.kind,
      severity: i.severity,
      title: i.title,
      description: i.description,
      affected_components: i.affected_components,
      evidence: i.evidence,
      explained_by: i.explained_by,
      related_trace_ids: i.related_trace_ids.slice(0, 3),
      suggested_actions: i.suggested_actions.slice(0, 2).map((a) => a.action),
    })),
    issues_omitted: Math.max(0, items.length - maxIssues),
    ...(agents.length === 0 ? {} : { issues_of_other_agents: report.issues.items.length - items.length }),
    errors: {
      total: report.errors.total,
      per_minute: report.errors.error_rate,
      recent: report.errors.recent.slice(0, 5),
    },
    any_rate_limited: report.rate_limits.any_rate_limited,
    slow_traces: report.slow_traces.slice(0, 3),
    suggested_actions:
      agents.length === 0
        ? report.suggested_actions.slice(0, 5).map((a) => a.action)
        : [...new Set(items.flatMap((i) => i.suggested_actions.slice(0, 1).map((a) => a.action)))].slice(
            0,
            5,
          ),
    related_trace_ids: report.debugging_context.related_trace_ids.slice(0, 5),
  };
}

export function systemTools(context: ApiContext) {
  return [
    defineTool({
      name: 'diagnose',
      title: 'Diagnose the system',
      description:
        'Start here. Ranked issues of the last time window compared with a baseline: error spikes and new error groups, cascades, retry storms, stuck tasks, dead or silent agents, ' +
        'consumer lag (Burrow rules), timeouts, slow agents, LLM rate limits, DLQ growth, and on the message graph of every agent seen: delegation loops, orphan and duplicate answers, ' +
        'expired tasks and missed deadlines, and regressions of latency, error rate, throughput and LLM cost against each agent’s own baseline; ' +
        'each with evidence, affected agents, related traces and suggested fixes, plus status and a health score. ' +
        'Same answer as GET /api/v1/claude/diagnose.',
      input: {
        time_window_minutes: z
          .number()
          .int()
          .min(1)
          .max(60)
          .default(15)
          .describe('Window to diagnose, in minutes (1..60, default 15)'),
        max_issues: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .describe('Issues to show, highest rank first (1..20, default 5)'),
        agents: z
          .array(agentArg)
          .max(20)
          .optional()
          .describe(
            'Only issues affecting these agents (the status, score and counts stay those of the whole system)',
          ),
        kinds: z
          .array(z.enum(ISSUE_KINDS))
          .max(30)
          .optional()
          .describe(
            'Only issues of these kinds, e.g. ["delegation_loop","orphan_answers"] (status, score and counts stay system-wide)',
          ),
        format: z
          .enum(['compact', 'prompt'])
          .default('compact')
          .describe(
            'compact: structured issues (default); prompt: the text bundle for an LLM, within max_tokens',
          ),
        max_tokens: z
          .number()
          .int()
          .min(100)
          .max(8_000)
          .default(2_000)
          .describe('Size of the prompt format (100..8000)'),
      },
      run: async (a) => {
        const kinds = a.kinds === undefined ? '' : `&kind=${a.kinds.join(',')}`;
        if (a.format === 'prompt') {
          return callApi(
            context,
            `/api/v1/claude/diagnose?time_window_minutes=${a.time_window_minutes}&format=prompt&max_tokens=${a.max_tokens}${kinds}`,
          );
        }
        const report = await callApi(
          context,
          `/api/v1/claude/diagnose?time_window_minutes=${a.time_window_minutes}&format=json${kinds}`,
        );
        return compactDiagnosis(report as unknown as ReportShape, a.max_issues, a.agents ?? []);
      },
    }),
    defineTool({
      name: 'oracle_state',
      title: 'Oracle state',
      description:
        'The system state in the oracle format (agents with their active tasks, workload pods, queues with waiting tasks, LLM model limits and usage), measured, never made up. ' +
        'Same answer as GET /api/v1/oracle/state; its JSON Schema is the resource agent-telemetry://oracle/schema.',
      input: {
        format: z
          .enum(['json', 'summary'])
          .default('summary')
          .describe('summary (default, short) or json (the whole state)'),
        strict: z.boolean().default(true).describe('Strict schema: no unknown keys, formats checked'),
      },
      run: (a) => callApi(context, `/api/v1/oracle/state?format=${a.format}&strict=${String(a.strict)}`),
    }),
    defineTool({
      name: 'validate_state',
      title: 'Validate the oracle state',
      description:
        'Validates the current oracle state against its JSON Schema: {valid, error_count, errors:[{path, message, validator, validator_value}]}. Same answer as GET /api/v1/oracle/validate.',
      input: {},
      run: () => callApi(context, '/api/v1/oracle/validate'),
    }),
    defineTool({
      name: 'sql_query',
      title: 'Read-only SQL',
      description:
        'One read-only ClickHouse query (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) as the read-only user, with a row cap and a time limit; writes, DDL, SETTINGS and FORMAT are refused. ' +
        'Times are epoch milliseconds in *_ms columns; add FINAL to ReplacingMergeTree tables and read aggregate tables with -Merge functions. ' +
        'The resource agent-telemetry://tables describes every table and column. ClickHouse may be 18.16: no DateTime64, JSONExtract or query parameters.',
      input: {
        sql: z
          .string()
          .min(1)
          .max(20_000)
          .describe(`The query, e.g. SELECT agent, state, count() FROM ${TASK_STATE} GROUP BY agent, state`),
        max_rows: z
          .number()
          .int()
          .min(1)
          .max(1_000)
          .default(100)
          .describe('Rows to return (1..1000, default 100)'),
        timeout_seconds: z
          .number()
          .int()
          .min(1)
          .max(30)
          .default(10)
          .describe('Time limit (1..30 s, default 10)'),
      },
      run: async (a) => ({
        ...(await runSqlQuery(context.config, a.sql, {
          maxRows: a.max_rows,
          timeoutSeconds: a.timeout_seconds,
        })),
      }),
    }),
  ];
}
