import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { MIGRATIONS_TABLE } from '../../lib/migrations.js';
import { quoteString } from '../../lib/sql.js';
import { TABLE_MEANINGS } from '../../lib/tables/meanings.js';
import { TABLE_READING_NOTES } from '../../lib/tables/reading.js';
import type { ApiContext } from '../module.js';
import { callApi } from './tool-kit.js';

export const ORACLE_SCHEMA_URI = 'agent-telemetry://oracle/schema';
export const TABLES_URI = 'agent-telemetry://tables';

/**
 * The table reference as Markdown: per table (live from the server, with its engine) what a row is
 * and each column's type and meaning. The notes and meanings come from the table modules
 * (`lib/tables/meanings.ts`, generated with docs/reference/tables.md), so the two cannot drift.
 */
export async function tableReference(reader: ClickHouseReader): Promise<string> {
  const [tables, columns] = await Promise.all([
    reader.query<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '.inner%' AND name != ${quoteString(MIGRATIONS_TABLE)} ORDER BY name`,
    ),
    reader.query<{ table: string; name: string; type: string }>(
      // in definition order (18.16 has no `position` column to sort by)
      'SELECT table, name, type FROM system.columns WHERE database = currentDatabase()',
    ),
  ]);
  const lines = [
    '# agent-telemetry ClickHouse tables',
    '',
    ...TABLE_READING_NOTES.map((note) => `- ${note}`),
    '',
  ];
  for (const table of tables) {
    lines.push(`## ${table.name} (${table.engine})`);
    const meaning = Object.hasOwn(TABLE_MEANINGS, table.name) ? TABLE_MEANINGS[table.name] : undefined;
    if (meaning !== undefined && meaning.note !== '') lines.push(meaning.note);
    lines.push('');
    for (const c of columns.filter((column) => column.table === table.name)) {
      const about =
        meaning !== undefined && Object.hasOwn(meaning.columns, c.name) ? meaning.columns[c.name] : undefined;
      lines.push(`- ${c.name} ${c.type}${about === undefined ? '' : `: ${about}`}`);
    }
    lines.push('');
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
        'Every table and view sql_query can read: what a row is, how to read it exactly, and its columns with types and meanings',
      mimeType: 'text/markdown',
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: await tableReference(context.reader) }],
    }),
  );
}
