/**
 * SQL literal quoting for ClickHouse. ClickHouse 18.16 has no server-side query parameters, so
 * every value that reaches SQL text goes through these functions (and only these).
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

/** A single-quoted ClickHouse string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\'\n\r\t\0\b\f]/g, (ch) => ESCAPES[ch] ?? ch)}'`;
}

/** A back-quoted identifier (table, column or database name). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** A numeric literal; rejects NaN and infinities instead of writing them into SQL. */
export function quoteNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(value);
}
