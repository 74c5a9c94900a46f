/**
 * A JSON Schema (draft-07 or OpenAPI 3.0, as zod and the MCP SDK write them) told as a short type
 * for a reference table: `string`, `integer (1..500)`, `"a" | "b"`, `array of string`.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemas(value: unknown): JsonSchema[] {
  return Array.isArray(value) ? value.filter(isSchema) : [];
}

/** Bounds that say something (zod writes ±MAX_SAFE_INTEGER for any integer). */
function bound(value: unknown): number | undefined {
  return typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined;
}

function range(low: number | undefined, high: number | undefined, unit = ''): string {
  if (low === undefined && high === undefined) return '';
  if (high === undefined) return ` (≥ ${low}${unit})`;
  if (low === undefined) return ` (≤ ${high}${unit})`;
  return ` (${low}..${high}${unit})`;
}

export function schemaType(schema: JsonSchema): string {
  const nullable = schema.nullable === true ? ' or null' : '';
  if (Array.isArray(schema.enum)) {
    return schema.enum.map((value) => JSON.stringify(value)).join(' | ') + nullable;
  }
  if ('const' in schema) return JSON.stringify(schema.const) + nullable;
  const union = [...schemas(schema.anyOf), ...schemas(schema.oneOf)];
  if (union.length > 0) return union.map(schemaType).join(' | ') + nullable;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  switch (type) {
    case 'string': {
      const format = typeof schema.format === 'string' ? ` (${schema.format})` : '';
      const length = range(bound(schema.minLength), bound(schema.maxLength), ' chars');
      const pattern = typeof schema.pattern === 'string' ? ` matching ${schema.pattern}` : '';
      return `string${format}${length}${pattern}${nullable}`;
    }
    case 'integer':
    case 'number': {
      const low = bound(schema.minimum) ?? bound(schema.exclusiveMinimum);
      const high = bound(schema.maximum) ?? bound(schema.exclusiveMaximum);
      return `${type}${range(low, high)}${nullable}`;
    }
    case 'array':
      return `array of ${isSchema(schema.items) ? schemaType(schema.items) : 'any'}${nullable}`;
    case 'object':
      return `object${nullable}`;
    case undefined:
      return `any${nullable}`;
    default:
      return `${String(type)}${nullable}`;
  }
}

/** The `description` of a schema, if it has one. */
export function schemaDescription(schema: JsonSchema): string | undefined {
  return typeof schema.description === 'string' ? schema.description : undefined;
}

/** The properties of an object schema, in their order, with whether each is required. */
export function schemaProperties(
  schema: JsonSchema,
): { name: string; schema: JsonSchema; required: boolean }[] {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties)
    .filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
    .map(([name, property]) => ({ name, schema: property, required: required.includes(name) }));
}
