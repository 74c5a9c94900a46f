import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { ERROR_ROLLUP_1M, MESSAGE_ROLLUP_1M } from '../../lib/tables/rollups.js';

const MINUTE_MS = 60_000;

/** One agent's traffic per minute, oldest minute first, aligned with `AgentActivity.minutes`. */
export interface AgentSeries {
  agent_name: string;
  /** Distinct messages to its queue. */
  received: number[];
  /** Distinct messages it sent to other agents' queues. */
  sent: number[];
  /** Distinct errors it reported on the errors topic. */
  errors: number[];
}

export interface AgentActivity {
  window_minutes: number;
  /** Start of each minute bucket, ISO-8601, oldest first; the last one is the current minute. */
  minutes: string[];
  agents: AgentSeries[];
}

type CountRow = { minute_s: string | number; agent: string; n: string | number };

/**
 * Messages and errors per minute per agent over the last `windowMinutes` (the current minute
 * included), from the per-minute rollups, so the cost does not grow with traffic. Minutes without
 * traffic are zeros rather than gaps, so a chart shows silence as silence.
 */
export async function agentActivity(
  reader: ClickHouseReader,
  windowMinutes: number,
  nowMs: number,
): Promise<AgentActivity> {
  const lastMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const firstMinute = lastMinute - (windowMinutes - 1) * MINUTE_MS;
  const since = `minute >= toDateTime(${quoteNumber(firstMinute / 1000)})`;
  const [received, sent, errors] = await Promise.all([
    reader.query<CountRow>(`
      SELECT toUInt32(minute) AS minute_s, target_agent AS agent, uniqExactMerge(messages) AS n
      FROM ${MESSAGE_ROLLUP_1M} WHERE ${since} AND target_agent != '' GROUP BY minute_s, target_agent`),
    reader.query<CountRow>(`
      SELECT toUInt32(minute) AS minute_s, source_agent AS agent, uniqExactMerge(messages) AS n
      FROM ${MESSAGE_ROLLUP_1M} WHERE ${since} AND source_agent != '' GROUP BY minute_s, source_agent`),
    reader.query<CountRow>(`
      SELECT toUInt32(minute) AS minute_s, agent_name AS agent, uniqExactMerge(errors) AS n
      FROM ${ERROR_ROLLUP_1M} WHERE ${since} AND agent_name != '' GROUP BY minute_s, agent_name`),
  ]);
  const series = new Map<string, AgentSeries>();
  const seriesOf = (agent: string): AgentSeries => {
    let entry = series.get(agent);
    if (entry === undefined) {
      const zeros = () => new Array<number>(windowMinutes).fill(0);
      entry = { agent_name: agent, received: zeros(), sent: zeros(), errors: zeros() };
      series.set(agent, entry);
    }
    return entry;
  };
  const fill = (rows: readonly CountRow[], key: 'received' | 'sent' | 'errors'): void => {
    for (const row of rows) {
      const index = (Number(row.minute_s) * 1000 - firstMinute) / MINUTE_MS;
      // rows of a minute after `now` (a sender's clock ahead of ours) are outside the window
      if (!Number.isInteger(index) || index < 0 || index >= windowMinutes) continue;
      const values = seriesOf(row.agent)[key];
      values[index] = (values[index] ?? 0) + Number(row.n);
    }
  };
  fill(received, 'received');
  fill(sent, 'sent');
  fill(errors, 'errors');
  return {
    window_minutes: windowMinutes,
    minutes: Array.from({ length: windowMinutes }, (_, i) =>
      new Date(firstMinute + i * MINUTE_MS).toISOString(),
    ),
    agents: [...series.values()].sort((a, b) => a.agent_name.localeCompare(b.agent_name)),
  };
}
