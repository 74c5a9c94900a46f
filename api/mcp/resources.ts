import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { MIGRATIONS_TABLE } from '../../lib/migrations.js';
import { quoteString } from '../../lib/sql.js';
import { DEAD_LETTERS } from '../../lib/tables/dead-letters.js';
import { ERROR_FACTS, ERROR_REFS, ERRORS_BY_TRACE } from '../../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../../lib/tables/error-groups.js';
import { AGENT_LIVENESS } from '../../lib/tables/heartbeats.js';
import { LAG_SAMPLES } from '../../lib/tables/lag-samples.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { MESSAGE_LOG, MESSAGE_REFS, MESSAGES_BY_TRACE } from '../../lib/tables/message-log.js';
import { ERROR_ROLLUP_1M, MESSAGE_ROLLUP_1M } from '../../lib/tables/rollups.js';
import { TASK_LIFECYCLE, TASK_STATE } from '../../lib/tables/task-lifecycle.js';
import type { ApiContext } from '../module.js';
import { callApi } from './tool-kit.js';

export const ORACLE_SCHEMA_URI = 'agent-telemetry://oracle/schema';
export const TABLES_URI = 'agent-telemetry://tables';

/** What each table holds (docs/sql.md's "Tables" section); the columns come live from the server. */
const TABLE_NOTES: Readonly<Record<string, string>> = {
  [MESSAGE_LOG]:
    'one row per observed AgentMessage (topic, partition, offset, schema id, sent and observed times); ReplacingMergeTree, use FINAL for exact counts',
  [TASK_LIFECYCLE]:
    'one row-set per task under each agent (AggregatingMergeTree fed from task_events); read through the view task_state',
  [TASK_STATE]:
    'view: one row per task and agent with state pending, completed, failed, cancelled or expired, requester, priority, attempt, submitted/resolved times, latency',
  [ERROR_FACTS]:
    'one row per DetailedError with every field, the fingerprint and Kafka coordinates; ReplacingMergeTree (FINAL)',
  [ERROR_GROUPS]:
    'one row-set per fingerprint: first and last seen, distinct errors, agents, latest sample; read with minMerge, maxMerge, uniqExactMerge, groupUniqArrayMerge, argMaxMerge',
  [ERROR_ROLLUP_1M]: 'minute × agent × category × severity, uniqExactMerge(errors)',
  [MESSAGE_ROLLUP_1M]: 'minute × queue agent × sender × message type, uniqExactMerge(messages)',
  [LLM_CALLS]:
    'one row per LLM call carried in a RESULT or ERROR: model, tokens, latency, cost, status; ReplacingMergeTree (FINAL)',
  [AGENT_LIVENESS]:
    'one row-set per agent: first and last heartbeat and what it last reported (maxMerge, argMaxMerge)',
  [LAG_SAMPLES]:
    'sample × consumer group × topic × partition: end and committed offsets, lag, members, group state; sampled every LAG_SAMPLE_INTERVAL_MS',
  [DEAD_LETTERS]: 'one row per message sent to agent-telemetry-dlq, by origin topic, partition and offset',
  [MESSAGES_BY_TRACE]:
    'copy of message_log sorted by (trace_id, sent_at_ms, message_id): WHERE trace_id = ... reads only that trace; ReplacingMergeTree (FINAL)',
  [ERRORS_BY_TRACE]:
    'copy of error_facts sorted by (trace_id, timestamp_ms, error_id): WHERE trace_id = ... reads only that trace; ReplacingMergeTree (FINAL)',
  [MESSAGE_REFS]:
    "message id (ref_kind 'message') or parent message id ('parent') -> (trace_id, sent_at_ms, message_id) of the message in messages_by_trace",
  [ERROR_REFS]:
    "error id (ref_kind 'error') or task id ('task') -> (trace_id, timestamp_ms, error_id) of the error in errors_by_trace",
};

/** The table reference as Markdown: notes per table, then the live columns and engines. */
export async function tableReference(context: ApiContext): Promise<string> {
  const [tables, columns] = await Promise.all([
    context.reader.query<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '.inner%' AND name != ${quoteString(MIGRATIONS_TABLE)} ORDER BY name`,
    ),
    context.reader.query<{ table: string; name: string; type: string }>(
      // in definition order (18.16 has no `position` column to sort by)
      'SELECT table, name, type FROM system.columns WHERE database = currentDatabase()',
    ),
  ]);
  const lines = [
    '# agent-telemetry ClickHouse tables',
    '',
    'Times are epoch milliseconds in UInt64 columns named *_ms (toDateTime(intDiv(x, 1000)) to display). ' +
      'Add FINAL to ReplacingMergeTree tables and read AggregatingMergeTree tables with the -Merge functions for exact answers. ' +
      'Queries must run on ClickHouse 18.16: no DateTime64, JSONExtract, Map/JSON types or {name:Type} parameters.',
    '',
  ];
  for (const table of tables) {
    lines.push(`## ${table.name} (${table.engine})`);
    const note = TABLE_NOTES[table.name];
    if (note !== undefined) lines.push(note);
    const cols = columns.filter((c) => c.table === table.name).map((c) => `${c.name} ${c.type}`);
    lines.push('', `columns: ${cols.join(', ')}`, '');
  }
  return lines.join('\n');
}

export function registerResources(server: McpServer, context: ApiContext): void {
  server.registerResource(
    'oracle-schema',
    ORACLE_SCHEMA_URI,
    {
      title: 'Oracle state JSON Schema',
      description:
        'The draft-07 JSON Schema of the oracle state (oracle_state, validate_state); same as GET /api/v1/oracle/schema',
      mimeType: 'application/schema+json',
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/schema+json',
          text: JSON.stringify(await callApi(context, '/api/v1/oracle/schema')),
        },
      ],
    }),
  );
  server.registerResource(
    'tables',
    TABLES_URI,
    {
      title: 'ClickHouse table reference',
      description:
        'Every table and view sql_query can read: what a row is, how to read it exactly, and its columns with types',
      mimeType: 'text/markdown',
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: await tableReference(context) }],
    }),
  );
}
