import { describe, expect, it } from 'vitest';
import { ToolError } from '../errors/types.js';
import { evaluateJs, extractCode } from './evaluator.js';

describe('sandboxed evaluator', () => {
  it('runs a function body and returns JSON data', () => {
    expect(evaluateJs('const w = ["a", "bb"]; return { n: w.length, longest: w[1] };')).toEqual({
      n: 2,
      longest: 'bb',
    });
  });

  it('has no Node globals', () => {
    expect(evaluateJs('return [typeof process, typeof require, typeof setTimeout];')).toEqual([
      'undefined',
      'undefined',
      'undefined',
    ]);
  });

  it.each([
    ['a syntax error', 'return {', 'TOOL_SYNTAX'],
    ['an exception', 'throw new Error("boom")', 'TOOL_RUNTIME'],
    ['an endless loop', 'for (;;) {}', 'TOOL_TIMEOUT'],
    ['a value that is not JSON', 'const a = {}; a.self = a; return a;', 'TOOL_BAD_OUTPUT'],
  ])('reports %s as a ToolError with its code and call', (_what, code, expected) => {
    const error = ((): unknown => {
      try {
        evaluateJs(code, 50);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({
      code: expected,
      toolName: 'evaluate_js',
      parameters: { code, timeout_ms: 50 },
    });
  });

  it('takes the first fenced block of a model answer', () => {
    expect(extractCode('Here:\n```js\nreturn 1;\n```\nand more')).toBe('return 1;');
    expect(extractCode('return 2;')).toBe('return 2;');
  });
});
