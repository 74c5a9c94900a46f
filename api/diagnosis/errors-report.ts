import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteString } from '../../lib/sql.js';
import { ERROR_FACTS } from '../../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../../lib/tables/error-groups.js';
import type { ReadModels } from '../read-models/index.js';
import type { ApiError } from '../read-models/shapes.js';
import { num } from './facts-errors.js';
import { suggestionsForErrors } from './suggestions.js';

/**
 * `/api/v1/claude/errors`: the error groups an assistant should look at, busiest first, with their
 * real first and last occurrence (from the error_groups aggregate, not the time of the request) and
 * suggestions matching their stored category and HTTP status, plus what the agent itself suggested.
 */
export interface ClaudeErrorGroup {
  fingerprint: string;
  error_type: string;
  error_category: string;
  severity: string;
  count: number;
  first_seen: string;
  last_seen: string;
  affected_agents: string[];
  sample_message: string;
  sample_trace_id: string | null;
  sample_error_id: string;
  http_status: number | null;
  trend: string;
  suggestions?: string[];
}

export interface ClaudeErrorsReport {
  total_error_types: number;
  errors: ClaudeErrorGroup[];
  error_store_summary: {
    total_errors: number;
    by_severity: Record<string, number>;
    by_category: Record<string, number>;
    by_agent: Record<string, number>;
  };
  source: 'clickhouse';
  raw_errors?: ApiError[];
}

export interface ClaudeErrorsRequest {
  limit: number;
  includeSuggestions: boolean;
  includeRawErrors: boolean;
  /** Only groups seen in the last minutes (all groups when absent). */
  windowMinutes?: number | undefined;
  nowMs: number;
}

/** Bound on suggestions per group. */
const MAX_SUGGESTIONS = 6;

export async function claudeErrors(
  reader: ClickHouseReader,
  models: ReadModels,
  request: ClaudeErrorsRequest,
): Promise<ClaudeErrorsReport> {
  const sinceMs =
    request.windowMinutes === undefined ? undefined : request.nowMs - request.windowMinutes * 60_000;
  const [groups, summary, totalTypes, raw] = await Promise.all([
    models.errors.groups({ limit: request.limit, sinceMs }),
    models.errors.summary({ sinceMs }),
    reader.query<{ n: number | string }>(
      sinceMs === undefined
        ? `SELECT uniqExact(fingerprint) AS n FROM ${ERROR_GROUPS}`
        : `SELECT uniqExact(fingerprint) AS n FROM ${ERROR_FACTS} WHERE timestamp_ms >= ${String(Math.floor(sinceMs))}`,
    ),
    request.includeRawErrors ? models.errors.list({ sinceMs }, request.limit) : Promise.resolve(undefined),
  ]);
  // the latest HTTP status and the agent's own suggested fixes of each group
  const latest =
    groups.length === 0
      ? []
      : await reader.query<{ fingerprint: string; http_status: number; fixes: string[] }>(`
          SELECT fingerprint, argMax(http_status, timestamp_ms) AS http_status, argMax(suggested_fixes, timestamp_ms) AS fixes
          FROM ${ERROR_FACTS} WHERE fingerprint IN (${groups.map((g) => quoteString(g.fingerprint)).join(', ')})
          GROUP BY fingerprint`);
  const errors = groups.map((g): ClaudeErrorGroup => {
    const extra = latest.find((l) => l.fingerprint === g.fingerprint);
    const status = extra === undefined || extra.http_status === 0 ? null : extra.http_status;
    const item: ClaudeErrorGroup = {
      fingerprint: g.fingerprint,
      error_type: g.error_type,
      error_category: g.category,
      severity: g.severity,
      count: g.count,
      first_seen: g.first_seen,
      last_seen: g.last_seen,
      affected_agents: g.agents,
      sample_message: g.sample_message,
      sample_trace_id: g.sample_trace_id,
      sample_error_id: g.sample_error_id,
      http_status: status,
      trend: g.trend.direction,
    };
    if (request.includeSuggestions) {
      const advice = suggestionsForErrors(g.category, status ?? 0).map((s) => s.action);
      item.suggestions = [...new Set([...advice, ...(extra?.fixes ?? [])])].slice(0, MAX_SUGGESTIONS);
    }
    return item;
  });
  return {
    total_error_types: num(totalTypes[0]?.n),
    errors,
    error_store_summary: summary,
    source: 'clickhouse',
    ...(raw === undefined ? {} : { raw_errors: raw.items }),
  };
}
