/**
 * ClickHouse `RowBinary` encoding of plain row objects, compiled from the column types the server
 * reports (`system.columns`), so the encoder always matches the table it writes to.
 *
 * Why not JSONEachRow: the processors' rows carry JSON text payloads and stack traces, which
 * `JSON.stringify` must escape character by character, and which the server must then unescape.
 * RowBinary writes strings as length + UTF-8 bytes (a native copy) and numbers as fixed-width
 * little-endian values, which costs less CPU on both sides of the insert.
 *
 * Value conventions match the tables' "absent is '' or 0" rule: `undefined`/`null` encode as the
 * type's zero value; booleans encode as 0/1; numbers are truncated to integers for integer columns,
 * and negative values written to unsigned columns encode as 0.
 */

/** One column as `system.columns` describes it. */
export interface ColumnDescription {
  name: string;
  type: string;
}

/** Raised when a table has a column type this encoder does not know; callers fall back to JSON. */
export class UnsupportedColumnTypeError extends Error {
  override readonly name = 'UnsupportedColumnTypeError';
}

/** A growable output buffer; one per insert. */
export class RowBinaryBuffer {
  #buffer: Buffer;
  #offset = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#offset;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#offset);
  }

  #ensure(extra: number): void {
    const needed = this.#offset + extra;
    if (needed <= this.#buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(next, 0, 0, this.#offset);
    this.#buffer = next;
  }

  varUInt(value: number): void {
    this.#ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#offset++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#buffer[this.#offset++] = rest;
  }

  string(value: string): void {
    // a UTF-16 code unit never takes more than 3 UTF-8 bytes: reserve the worst case, then write
    this.#ensure(10 + value.length * 3);
    const length = value.length;
    if (length < 128) {
      // short strings: copy ASCII in JS (a native call costs more than the copy); bail out on non-ASCII
      const buffer = this.#buffer;
      const start = this.#offset + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buffer[start + i] = code;
      }
      if (i === length) {
        buffer[this.#offset] = length;
        this.#offset = start + length;
        return;
      }
    }
    this.varUInt(Buffer.byteLength(value, 'utf8'));
    this.#offset += this.#buffer.write(value, this.#offset, 'utf8');
  }

  uint(value: number, bytes: 1 | 2 | 4 | 8): void {
    this.#ensure(8);
    const v = value > 0 ? Math.trunc(value) : 0;
    if (bytes === 1) this.#buffer[this.#offset] = v & 0xff;
    else if (bytes === 2) this.#buffer.writeUInt16LE(v & 0xffff, this.#offset);
    else if (bytes === 4) this.#buffer.writeUInt32LE(v >>> 0, this.#offset);
    else {
      this.#buffer.writeUInt32LE(v % 0x1_0000_0000, this.#offset);
      this.#buffer.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.#offset + 4);
    }
    this.#offset += bytes;
  }

  int(value: number, bytes: 1 | 2 | 4 | 8): void {
    this.#ensure(8);
    const v = Math.trunc(value);
    if (bytes === 1) this.#buffer.writeInt8(v, this.#offset);
    else if (bytes === 2) this.#buffer.writeInt16LE(v, this.#offset);
    else if (bytes === 4) this.#buffer.writeInt32LE(v, this.#offset);
    else this.#buffer.writeBigInt64LE(BigInt(v), this.#offset);
    this.#offset += bytes;
  }

  float(value: number, bytes: 4 | 8): void {
    this.#ensure(8);
    if (bytes === 4) this.#buffer.writeFloatLE(value, this.#offset);
    else this.#buffer.writeDoubleLE(value, this.#offset);
    this.#offset += bytes;
  }
}

type ValueEncoder = (out: RowBinaryBuffer, value: unknown) => void;

function toNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value);
}

const INTEGER_TYPES: Record<string, { signed: boolean; bytes: 1 | 2 | 4 | 8 }> = {
  UInt8: { signed: false, bytes: 1 },
  UInt16: { signed: false, bytes: 2 },
  UInt32: { signed: false, bytes: 4 },
  UInt64: { signed: false, bytes: 8 },
  Int8: { signed: true, bytes: 1 },
  Int16: { signed: true, bytes: 2 },
  Int32: { signed: true, bytes: 4 },
  Int64: { signed: true, bytes: 8 },
};

/** `'name' = 1` pairs of an Enum8/Enum16 type, with ClickHouse's quoting of `'` and `\`. */
function enumValues(body: string): Map<string, number> {
  const values = new Map<string, number>();
  const pair = /'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)/g;
  for (const match of body.matchAll(pair)) {
    const name = (match[1] ?? '').replace(/\\(.)/g, '$1');
    values.set(name, Number(match[2]));
  }
  return values;
}

/** Compiles the encoder of one column type; throws UnsupportedColumnTypeError for unknown types. */
export function valueEncoder(type: string, column = type): ValueEncoder {
  const integer = INTEGER_TYPES[type];
  if (integer !== undefined) {
    const { signed, bytes } = integer;
    return signed
      ? (out, value) => {
          out.int(toNumber(value), bytes);
        }
      : (out, value) => {
          out.uint(toNumber(value), bytes);
        };
  }
  if (type === 'String')
    return (out, value) => {
      out.string(toText(value));
    };
  if (type === 'Float64' || type === 'Float32') {
    const bytes = type === 'Float64' ? 8 : 4;
    return (out, value) => {
      out.float(toNumber(value), bytes);
    };
  }
  const enumMatch = /^Enum(8|16)\((.*)\)$/s.exec(type);
  if (enumMatch !== null) {
    const bytes = enumMatch[1] === '8' ? 1 : 2;
    const values = enumValues(enumMatch[2] ?? '');
    return (out, value) => {
      const code = values.get(toText(value));
      if (code === undefined) {
        throw new RangeError(`column ${column}: "${toText(value)}" is not a value of ${type}`);
      }
      out.int(code, bytes);
    };
  }
  const arrayMatch = /^Array\((.*)\)$/s.exec(type);
  if (arrayMatch !== null) {
    const element = valueEncoder(arrayMatch[1] ?? '', column);
    return (out, value) => {
      const items: readonly unknown[] = Array.isArray(value) ? value : [];
      out.varUInt(items.length);
      for (const item of items) element(out, item);
    };
  }
  const nullableMatch = /^Nullable\((.*)\)$/s.exec(type);
  if (nullableMatch !== null) {
    const inner = valueEncoder(nullableMatch[1] ?? '', column);
    return (out, value) => {
      if (value === null || value === undefined) {
        out.uint(1, 1);
        return;
      }
      out.uint(0, 1);
      inner(out, value);
    };
  }
  const lowCardinality = /^LowCardinality\((.*)\)$/s.exec(type);
  if (lowCardinality !== null) return valueEncoder(lowCardinality[1] ?? '', column);
  throw new UnsupportedColumnTypeError(`column ${column}: type ${type} has no RowBinary encoder here`);
}

/** Encodes rows of one table: the column list for `INSERT … (columns) FORMAT RowBinary`, and the body. */
export interface RowBinaryEncoder {
  readonly columns: readonly string[];
  encode(rows: readonly object[]): Buffer;
  /**
   * The same body in pieces of about `chunkBytes` (a row is never split), each encoded when the
   * reader asks for it: an insert streams its body without holding all of it, however large its
   * rows. A value the column refuses throws from the generator, before its piece is handed out.
   */
  chunks(rows: readonly object[], chunkBytes?: number): Generator<Buffer, void, undefined>;
}

/** Pieces of an insert body: large enough that per-piece costs vanish, small beside the batch. */
export const INSERT_CHUNK_BYTES = 1024 * 1024;

export function compileRowEncoder(columns: readonly ColumnDescription[]): RowBinaryEncoder {
  const names = columns.map((column) => column.name);
  const encoders = columns.map((column) => valueEncoder(column.type, column.name));
  const write = (out: RowBinaryBuffer, row: object): void => {
    const record = row as Record<string, unknown>;
    for (let i = 0; i < names.length; i++) {
      (encoders[i] as ValueEncoder)(out, record[names[i] as string]);
    }
  };
  return {
    columns: names,
    encode(rows) {
      const out = new RowBinaryBuffer(Math.max(64 * 1024, rows.length * 256));
      for (const row of rows) write(out, row);
      return out.bytes();
    },
    *chunks(rows, chunkBytes = INSERT_CHUNK_BYTES) {
      let out = new RowBinaryBuffer(chunkBytes);
      for (const row of rows) {
        write(out, row);
        if (out.length >= chunkBytes) {
          yield out.bytes();
          out = new RowBinaryBuffer(chunkBytes);
        }
      }
      if (out.length > 0) yield out.bytes();
    },
  };
}
