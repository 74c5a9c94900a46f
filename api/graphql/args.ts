import { parseParams, type ParamShape, type ParamValues } from '../http/params.js';

/**
 * GraphQL arguments go through the same per-parameter schemas as REST query parameters, so both
 * refuse the same values with the same message (a 400 there, BAD_USER_INPUT naming the argument
 * here). GraphQL has already checked the types; numbers and booleans are turned into the text form
 * the shared schemas read.
 */
export function parseArgs<S extends ParamShape>(
  shape: S,
  args: Readonly<Record<string, unknown>>,
): ParamValues<S> {
  return parseParams(shape, (name) => {
    const value = args[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  });
}
