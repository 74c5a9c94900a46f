import { z } from 'zod';

/**
 * The machinery of a configuration slice. A slice is one component's options, each stated once as
 * a zod schema keyed by its environment variable: validation, default (`.default()`), and a
 * one-line meaning (`.describe()`, or `.meta({ description, unset })` when an unset variable means
 * more than "off"). Its `build` maps the parsed variables to the shape the component reads, and the
 * slice's TypeScript type is `z.output` of the result: nothing restates a field by hand. The
 * loader (`lib/config.ts`) parses every slice at once, and the generated reference
 * (`docs/reference/configuration.md`) is rendered from the same schemas.
 */

/** A slice's variables: environment variable name to its schema. */
export type SliceVariables = z.ZodRawShape;

/** What an option's metadata may carry besides the description. */
interface VariableMeta {
  /** What the variable being unset means, when it has no default (e.g. a value derived from others). */
  unset?: string;
}

export function defineSlice<const Variables extends SliceVariables, Out>(spec: {
  /** Key of the slice in the loader and anchor of its section in the reference. */
  name: string;
  /** Heading of the slice's section in the reference. */
  title: string;
  /** Which component reads the slice, and when; a sentence for the reference. */
  summary: string;
  variables: Variables;
  /** Rules across the slice's variables; each issue names its variable in `path`. */
  check?: (env: z.output<z.ZodObject<Variables>>, ctx: z.RefinementCtx) => void;
  /** The shape the component reads, from the parsed variables. */
  build: (env: z.output<z.ZodObject<Variables>>) => Out;
}) {
  const object = z.object(spec.variables);
  const { check } = spec;
  const checked =
    check === undefined
      ? object
      : object.superRefine((env, ctx) => {
          check(env, ctx);
        });
  return {
    name: spec.name,
    title: spec.title,
    summary: spec.summary,
    variables: spec.variables,
    schema: checked.transform((env) => spec.build(env)),
  };
}

/** Any slice, as the loader and the reference generator see it. */
export interface ConfigSlice {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly variables: SliceVariables;
  readonly schema: z.ZodType;
}

/** One variable as the reference lists it. */
export interface VariableReference {
  name: string;
  /** The default as written in the environment, or undefined when the variable has none. */
  defaultValue: string | undefined;
  /** What an unset variable without a default means, when that is more than "off". */
  unset: string | undefined;
  description: string;
  secret: boolean;
}

/** Variables whose values are credentials: never printed, in errors or logs. */
export function isSecretVariable(name: string): boolean {
  return /(TOKEN|PASSWORD|SECRET|API_KEY)$/.test(name);
}

/** The default a schema applies to an unset variable: found under its transforms and pipes. */
function defaultOf(schema: z.core.$ZodType): unknown {
  const def = schema._zod.def;
  if (def.type === 'default') return (def as z.core.$ZodDefaultDef).defaultValue;
  if (def.type === 'pipe') return defaultOf((def as z.core.$ZodPipeDef).in);
  return undefined;
}

/** A default as it is written in the environment. */
function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** The variables of a slice, in their order, with default, meaning and whether they are secret. */
export function sliceReference(slice: ConfigSlice): VariableReference[] {
  return Object.entries(slice.variables).map(([name, schema]) => {
    const meta = (z.globalRegistry.get(schema) ?? {}) as VariableMeta & { description?: string };
    const value = defaultOf(schema);
    return {
      name,
      defaultValue: shown(value),
      unset: meta.unset,
      description: meta.description ?? '',
      secret: isSecretVariable(name),
    };
  });
}

/** `a, b,,c` → `['a', 'b', 'c']`. */
export const csv = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/** An integer from 1 to `max`, `fallback` when unset. */
export const positiveInt = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

/** A TCP port, 0 included (a free one, or off, as each variable says). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

/** `true` or `false`, read as a boolean by the slice's `build`. */
export const flag = (fallback: 'true' | 'false') => z.enum(['true', 'false']).default(fallback);
