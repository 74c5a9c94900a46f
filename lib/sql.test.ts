import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteNumber, quoteString } from './sql.js';

describe('SQL quoting', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString("x'; DROP TABLE t; --")).toBe("'x\\'; DROP TABLE t; --'");
    expect(quoteString('line\nnext\ttab\0')).toBe("'line\\nnext\\ttab\\0'");
    expect(quoteString('unicode ✓')).toBe("'unicode ✓'");
  });

  it('quotes identifiers with back quotes', () => {
    expect(quoteIdentifier('agent_telemetry')).toBe('`agent_telemetry`');
    expect(quoteIdentifier('we`ird')).toBe('`we\\`ird`');
  });

  it('refuses non-finite numbers', () => {
    expect(quoteNumber(42)).toBe('42');
    expect(quoteNumber(18446744073709551615n)).toBe('18446744073709551615');
    expect(() => quoteNumber(Number.NaN)).toThrow(RangeError);
    expect(() => quoteNumber(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
