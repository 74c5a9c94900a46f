import { describe, expect, it } from 'vitest';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { TABLE_MEANINGS } from '../../lib/tables/meanings.js';
import { tableReference } from './resources.js';

/** Answers the two system-table queries of `tableReference` with fixed rows. */
function reader(
  tables: { name: string; engine: string }[],
  columns: { table: string; name: string; type: string }[],
): ClickHouseReader {
  return {
    query<T>(sql: string): Promise<T[]> {
      return Promise.resolve((sql.includes('system.tables') ? tables : columns) as T[]);
    },
  };
}

describe('the MCP table reference', () => {
  it("gives each table's note and each column's meaning from the table modules", async () => {
    const text = await tableReference(
      reader(
        [
          { name: 'lag_samples', engine: 'ReplacingMergeTree' },
          { name: 'some_new_table', engine: 'MergeTree' },
        ],
        [
          { table: 'lag_samples', name: 'lag', type: 'UInt64' },
          { table: 'lag_samples', name: 'event_date', type: 'Date' },
          { table: 'some_new_table', name: 'x', type: 'String' },
        ],
      ),
    );
    const lag = TABLE_MEANINGS.lag_samples;
    expect(lag?.note).toMatch(/consumer lag/i);
    expect(text).toContain(`## lag_samples (ReplacingMergeTree)\n${lag?.note ?? ''}\n`);
    expect(text).toContain(`- lag UInt64: ${lag?.columns.lag ?? ''}\n`);
    // a table or column the modules do not describe is still listed, with its type only
    expect(text).toContain('## some_new_table (MergeTree)\n\n- x String\n');
  });

  it('has a meaning for every column of the tables agents query most', () => {
    for (const table of ['message_log', 'task_lifecycle', 'error_facts', 'llm_calls', 'lag_samples']) {
      const meaning = TABLE_MEANINGS[table];
      expect(meaning?.note, table).not.toBe('');
      expect(Object.keys(meaning?.columns ?? {}).length, table).toBeGreaterThan(5);
    }
  });
});
