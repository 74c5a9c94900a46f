import type { ClickHouseAccess, ClickHouseReader } from '../lib/clickhouse.js';
import { quoteIdentifier, quoteString } from '../lib/sql.js';
import { ERROR_FACTS } from '../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../lib/tables/error-groups.js';
import { AGENT_LIVENESS } from '../lib/tables/heartbeats.js';
import { LLM_CALLS } from '../lib/tables/llm-calls.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import { TASK_STATE } from '../lib/tables/task-lifecycle.js';
import type { BenchIds } from './api-routes.js';
import { seedStatements, type SeedSpec } from './api-seed-sql.js';
import { int, say, seconds } from './report.js';

/** Runs the seeding statements one after another and prints each one's time and the row counts. */
export async function seedDatabase(writer: ClickHouseAccess, spec: SeedSpec): Promise<void> {
  const started = Date.now();
  for (const { table, sql } of seedStatements(spec)) {
    const t0 = Date.now();
    await writer.command(sql);
    say(`  seeded ${table} in ${seconds(Date.now() - t0)}`);
  }
  await settleMerges(writer);
  const totalMs = Date.now() - started;
  const counts = await writer.query<Record<string, string | number>>(
    `SELECT
      (SELECT count() FROM ${MESSAGE_LOG}) AS messages,
      (SELECT count() FROM ${ERROR_FACTS}) AS errors,
      (SELECT count() FROM ${LLM_CALLS}) AS llm_calls,
      (SELECT count() FROM (SELECT fingerprint FROM ${ERROR_GROUPS} GROUP BY fingerprint)) AS error_groups,
      (SELECT count() FROM ${TASK_STATE}) AS tasks,
      (SELECT count() FROM ${TASK_STATE} WHERE state = 'pending') AS pending_tasks,
      (SELECT count() FROM (SELECT agent FROM ${AGENT_LIVENESS} GROUP BY agent)) AS agents_with_heartbeats`,
  );
  const row = counts[0] ?? {};
  const shown = Object.entries(row)
    .map(([name, value]) => `${name} ${int(Number(value))}`)
    .join(', ');
  say(`seeded in ${seconds(totalMs)}: ${shown}`);
}

/**
 * Merges every table of the seed into one part per partition. A store that filled over days has
 * long been merged; a seed written in seconds would otherwise be measured during the merge storm
 * that follows it, which is not the state the benchmark is about.
 */
async function settleMerges(writer: ClickHouseAccess): Promise<void> {
  const t0 = Date.now();
  const tables = await writer.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name`,
  );
  for (const { name } of tables) await writer.command(`OPTIMIZE TABLE ${quoteIdentifier(name)} FINAL`);
  say(`  merged ${tables.length} tables in ${seconds(Date.now() - t0)}`);
}

/** Ids that exist in the seed, spread over its time range, for the routes to rotate over. */
export async function sampleIds(
  reader: ClickHouseReader,
  agents: readonly string[],
  idPrefix: string,
): Promise<BenchIds> {
  // LIKE, since 18.16 has no startsWith; the prefix holds letters, digits and '-' only
  const prefix = quoteString(`${idPrefix}%`);
  const column = async (sql: string): Promise<string[]> =>
    (await reader.query<{ id: string }>(sql)).map((row) => row.id);
  const [taskIds, traceIds, errorIds] = await Promise.all([
    column(
      `SELECT message_id AS id FROM ${MESSAGE_LOG} WHERE message_type = 'task' AND message_id LIKE ${prefix}
       ORDER BY cityHash64(message_id) LIMIT 1000`,
    ),
    column(
      `SELECT DISTINCT trace_id AS id FROM ${MESSAGE_LOG} WHERE trace_id != '' AND trace_id LIKE ${prefix}
       ORDER BY cityHash64(trace_id) LIMIT 1000`,
    ),
    column(
      `SELECT error_id AS id FROM ${ERROR_FACTS} WHERE error_id LIKE ${prefix}
       ORDER BY cityHash64(error_id) LIMIT 1000`,
    ),
  ]);
  if (taskIds.length === 0 || traceIds.length === 0 || errorIds.length === 0) {
    throw new Error('the seeded database holds no tasks, traces or errors to request');
  }
  return { agents, taskIds, traceIds, errorIds };
}
