import { badParameter } from '../http/http-error.js';

/**
 * Keyset cursors: the (time, id) of the last item of a page, opaque to clients (base64url). The
 * next page continues strictly after it, so inserts between calls never shift or repeat items.
 */
export interface Cursor {
  ms: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.ms}:${cursor.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor given by a client; a malformed one is a 400 naming `parameter`. */
export function decodeCursor(text: string | undefined, parameter = 'cursor'): Cursor | undefined {
  if (text === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) throw badParameter(parameter, 'malformed cursor');
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9][A-Za-z0-9._:-]{0,127})$/.exec(decoded);
  if (match?.[1] === undefined || match[2] === undefined) throw badParameter(parameter, 'malformed cursor');
  return { ms: Number(match[1]), id: match[2] };
}

/** SQL condition "strictly older than the cursor" for a newest-first order on (timeColumn, idColumn). */
export function olderThan(
  cursor: Cursor | undefined,
  timeColumn: string,
  idColumn: string,
  quote: (s: string) => string,
): string {
  if (cursor === undefined) return '1';
  return `(${timeColumn} < ${cursor.ms} OR (${timeColumn} = ${cursor.ms} AND ${idColumn} < ${quote(cursor.id)}))`;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Cuts a `limit + 1` result to `limit` and derives the next cursor from the last kept item. */
export function toPage<T>(rows: T[], limit: number, key: (item: T) => Cursor): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}
