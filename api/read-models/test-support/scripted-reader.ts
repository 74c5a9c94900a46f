import type { ClickHouseReader } from '../../../lib/clickhouse.js';

/** A reader that answers each query with the next canned result and keeps the SQL (whitespace folded). */
export function scriptedReader(results: unknown[][]): { reader: ClickHouseReader; sql: string[] } {
  const sql: string[] = [];
  return {
    sql,
    reader: {
      query: <T>(text: string): Promise<T[]> => {
        sql.push(text.replace(/\s+/g, ' '));
        return Promise.resolve((results.shift() ?? []) as T[]);
      },
    },
  };
}
