/**
 * What to know to read the tables with SQL, as Markdown list items: stated once for the table
 * reference page (docs/reference/tables.md) and the MCP `tables` resource.
 */
export const TABLE_READING_NOTES: readonly string[] = [
  'Times are epoch milliseconds in `UInt64` columns named `*_ms`; `toDateTime(intDiv(x, 1000))` shows one as a date.',
  "Absent optional values are `''` (strings) and `0` (numbers), not NULL.",
  '`ReplacingMergeTree` tables keep one row per sorting key only after background merges: add `FINAL` for exact counts.',
  '`AggregatingMergeTree` tables hold partial aggregates: read them with the `-Merge` functions and `GROUP BY` their key.',
  'Queries meant to run on every supported server must also run on ClickHouse 18.16: no `DateTime64`, `JSONExtract*`, `Map`/`JSON` types or `{name:Type}` parameters.',
];
