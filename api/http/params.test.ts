import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  enumParam,
  idParam,
  intParam,
  optionalIdParam,
  parseParams,
  textParam,
  timeParam,
} from './params.js';

describe('parameter schemas', () => {
  it('are built once per helper and arguments, and serve every caller', () => {
    expect(idParam()).toBe(idParam());
    expect(optionalIdParam()).toBe(optionalIdParam());
    expect(intParam(50, 1, 500)).toBe(intParam(50, 1, 500));
    expect(intParam(50, 1, 500)).not.toBe(intParam(100, 1, 500));
    expect(enumParam(['a', 'b'])).toBe(enumParam(['a', 'b']));
    expect(enumParam(['a', 'b'])).not.toBe(enumParam(['a', 'c']));
    expect(textParam(400)).not.toBe(textParam(256));
    expect(timeParam()).toBe(timeParam());
  });

  it('keep their own description when a caller describes its copy', () => {
    const described = enumParam(['x', 'y']).describe('only x or y');
    expect(z.globalRegistry.get(described)?.description).toBe('only x or y');
    expect(z.globalRegistry.get(enumParam(['x', 'y']))?.description).toBeUndefined();
  });

  it('name each parameter at fault, whichever caller shares them', () => {
    const shape = { limit: intParam(50, 1, 500), id: optionalIdParam() };
    expect(parseParams(shape, (name) => ({ limit: '7', id: undefined })[name])).toEqual({
      limit: 7,
      id: undefined,
    });
    expect(() => parseParams(shape, (name) => ({ limit: '0', id: 'a b' })[name])).toThrow(
      expect.objectContaining({
        problems: [
          { parameter: 'limit', message: 'must be an integer between 1 and 500' },
          { parameter: 'id', message: 'malformed id (1-128 letters, digits, ".", "_", ":" or "-")' },
        ],
      }),
    );
  });
});
