import { describe, expect, it } from 'vitest';
import {
  compileRowEncoder,
  UnsupportedColumnTypeError,
  valueEncoder,
  RowBinaryBuffer,
} from './row-binary.js';

function encode(type: string, value: unknown): string {
  const out = new RowBinaryBuffer(4);
  valueEncoder(type)(out, value);
  return out.bytes().toString('hex');
}

describe('RowBinary encoding', () => {
  it('writes strings as a varint length and UTF-8 bytes', () => {
    expect(encode('String', 'ab')).toBe('026162');
    expect(encode('String', 'é')).toBe('02c3a9');
    expect(encode('String', undefined)).toBe('00');
    const long = 'x'.repeat(300);
    expect(encode('String', long).slice(0, 4)).toBe('ac02'); // 300 = 0b10_0101100
    expect(encode('String', long).length).toBe((2 + 300) * 2);
  });

  it('writes integers little-endian, unsigned values clamped at 0', () => {
    expect(encode('UInt8', true)).toBe('01');
    expect(encode('UInt16', 258)).toBe('0201');
    expect(encode('UInt32', -5)).toBe('00000000');
    expect(encode('UInt64', 2 ** 40 + 7)).toBe('0700000000010000');
    expect(encode('Int32', -2)).toBe('feffffff');
    expect(encode('Int64', -1)).toBe('ffffffffffffffff');
    expect(encode('Float64', 1.5)).toBe('000000000000f83f');
  });

  it('writes enums by their numeric value and rejects names the type does not have', () => {
    const type = "Enum8('task' = 1, 'it\\'s' = 2, 'cancel' = -3)";
    expect(encode(type, 'task')).toBe('01');
    expect(encode(type, "it's")).toBe('02');
    expect(encode(type, 'cancel')).toBe('fd');
    expect(() => encode(type, 'other')).toThrow(/"other" is not a value of Enum8/);
  });

  it('writes arrays, nullables and low-cardinality strings', () => {
    expect(encode('Array(String)', ['a', 'bc'])).toBe('0201610262' + '63');
    expect(encode('Array(String)', undefined)).toBe('00');
    expect(encode('Nullable(UInt8)', null)).toBe('01');
    expect(encode('Nullable(UInt8)', 3)).toBe('0003');
    expect(encode('LowCardinality(String)', 'a')).toBe('0161');
  });

  it('refuses types it does not know, so the caller can fall back to JSON', () => {
    expect(() => valueEncoder('Decimal(9, 2)')).toThrow(UnsupportedColumnTypeError);
    expect(() => compileRowEncoder([{ name: 'd', type: 'Map(String, String)' }])).toThrow(
      UnsupportedColumnTypeError,
    );
  });

  it('encodes rows column after column and grows its buffer as needed', () => {
    const encoder = compileRowEncoder([
      { name: 'id', type: 'String' },
      { name: 'n', type: 'UInt16' },
    ]);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: `row-${i}`, n: i, ignored: 'x' }));
    const bytes = encoder.encode(rows);
    expect(encoder.columns).toEqual(['id', 'n']);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('05726f772d300000');
    expect(bytes.length).toBe(rows.reduce((sum, row) => sum + 1 + row.id.length + 2, 0));
  });

  it('hands out the same body in pieces of about the asked size, never splitting a row', () => {
    const encoder = compileRowEncoder([
      { name: 'id', type: 'String' },
      { name: 'body', type: 'String' },
    ]);
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: `row-${i}`, body: 'y'.repeat(i * 40) }));
    const pieces = [...encoder.chunks(rows, 64 * 1024)];
    expect(Buffer.concat(pieces).equals(encoder.encode(rows))).toBe(true);
    expect(pieces.length).toBeGreaterThan(20);
    // each piece but the last passed the size with its last row and holds whole rows only
    const largestRow = 1 + 9 + 2 + 299 * 40;
    for (const piece of pieces.slice(0, -1)) {
      expect(piece.length).toBeGreaterThanOrEqual(64 * 1024);
      expect(piece.length).toBeLessThan(64 * 1024 + largestRow);
    }
    expect([...encoder.chunks([])]).toEqual([]);
  });

  it('throws a refused value from the piece that holds it, after handing out the earlier ones', () => {
    const encoder = compileRowEncoder([{ name: 'kind', type: "Enum8('task' = 1)" }]);
    const pieces = encoder.chunks([{ kind: 'task' }, { kind: 'task' }, { kind: 'other' }], 1);
    expect(pieces.next().value).toEqual(Buffer.from([1]));
    expect(pieces.next().value).toEqual(Buffer.from([1]));
    expect(() => pieces.next()).toThrow(/"other" is not a value of Enum8/);
  });
});
