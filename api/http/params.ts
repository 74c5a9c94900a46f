import { z } from 'zod';
import { badParameters, type ParameterProblem } from './http-error.js';

/**
 * Query and path parameters are validated with zod, one schema per parameter, so that a 400 names
 * exactly the parameters at fault. Every helper accepts the raw string (or its absence) and yields a
 * typed value; their JSON Schema (input side) feeds the OpenAPI description, and a helper whose
 * schema cannot say its format or default (a number or a boolean arrives as text) says it in the
 * schema's description, which becomes the parameter's.
 */
export type ParamSchema = z.ZodType<unknown, string | undefined>;
export type ParamShape = Record<string, ParamSchema>;
export type ParamValues<S extends ParamShape> = { [K in keyof S]: z.output<S[K]> };

const built = new Map<string, unknown>();

/**
 * The schema of one helper for these arguments, built once: building a zod schema costs more than
 * parsing with it, and GraphQL resolvers ask for theirs on every call (0.2 ms of CPU per request).
 * Schemas are immutable, so one instance serves every caller.
 */
function once<T>(key: string, build: () => T): T {
  let schema = built.get(key) as T | undefined;
  if (schema === undefined) {
    schema = build();
    built.set(key, schema);
  }
  return schema;
}

/** Ids: what agents and the processors produce (UUIDs, hex trace ids, names). */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function idParam(): z.ZodString {
  return once('id', () =>
    z.string().regex(ID_PATTERN, 'malformed id (1-128 letters, digits, ".", "_", ":" or "-")'),
  );
}

export function optionalIdParam(): z.ZodOptional<z.ZodString> {
  return once('id?', () => idParam().optional());
}

/** An integer in [min, max], `fallback` when absent. */
export function intParam(fallback: number, min: number, max: number): z.ZodType<number, string | undefined> {
  return once(`int:${fallback}:${min}:${max}`, () => int(fallback, min, max));
}

function int(fallback: number, min: number, max: number): z.ZodType<number, string | undefined> {
  return z
    .string()
    .regex(/^-?\d+$/, `must be an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be an integer between ${min} and ${max}`)
        .max(max, `must be an integer between ${min} and ${max}`),
    )
    .optional()
    .transform((value) => value ?? fallback)
    .meta({ description: `an integer from ${min} to ${max}; default ${fallback}` });
}

/** One of `values`; absent is `undefined` unless a fallback is given. */
export function enumParam<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodOptional<z.ZodEnum<{ [K in T[number]]: K }>> {
  return once(`enum:${values.join('\u0000')}`, () =>
    z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional(),
  );
}

export function enumParamWithDefault<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
): z.ZodType<T[number], string | undefined> {
  return once(`enum:${values.join('\u0000')}:${fallback}`, () =>
    z
      .enum(values, { error: `must be one of ${values.join(', ')}` })
      .optional()
      .transform((value) => value ?? fallback)
      .meta({ description: `default ${fallback}` }),
  );
}

export function boolParam(fallback: boolean): z.ZodType<boolean, string | undefined> {
  return once(`bool:${fallback}`, () =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .optional()
      .transform((value) => (value === undefined ? fallback : value === 'true' || value === '1'))
      .meta({ description: `true or false (1 or 0); default ${fallback}` }),
  );
}

/** An instant as ISO-8601 text or epoch milliseconds; yields epoch milliseconds. */
export function timeParam(): z.ZodType<number | undefined, string | undefined> {
  return once('time', time);
}

function time(): z.ZodType<number | undefined, string | undefined> {
  return z
    .string()
    .transform((value, ctx) => {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time or epoch milliseconds' });
        return z.NEVER;
      }
      return ms;
    })
    .optional()
    .meta({ description: 'an ISO-8601 time or epoch milliseconds' });
}

/** A free-text filter with a bounded length. */
export function textParam(maxLength = 256): z.ZodOptional<z.ZodString> {
  return once(`text:${maxLength}`, () =>
    z.string().min(1).max(maxLength, `at most ${maxLength} characters`).optional(),
  );
}

/** Validates `raw` against one schema per parameter; throws a 400 naming every parameter at fault. */
export function parseParams<S extends ParamShape>(
  shape: S,
  raw: (name: string) => string | undefined,
): ParamValues<S> {
  const values: Record<string, unknown> = {};
  const problems: ParameterProblem[] = [];
  for (const [name, schema] of Object.entries(shape)) {
    const result = schema.safeParse(raw(name));
    if (result.success) values[name] = result.data;
    else problems.push({ parameter: name, message: result.error.issues[0]?.message ?? 'invalid value' });
  }
  if (problems.length > 0) throw badParameters(problems);
  return values as ParamValues<S>;
}

/** Query parameters: a parameter given twice is ambiguous and refused. */
export function parseQuery<S extends ParamShape>(shape: S, search: URLSearchParams): ParamValues<S> {
  const repeated = Object.keys(shape).filter((name) => search.getAll(name).length > 1);
  if (repeated.length > 0) {
    throw badParameters(repeated.map((parameter) => ({ parameter, message: 'given more than once' })));
  }
  return parseParams(shape, (name) => search.get(name) ?? undefined);
}
