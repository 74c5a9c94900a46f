import fc from 'fast-check';

/**
 * Generators of hostile input for the API's fuzz test (api/fuzz.int.test.ts): strings that break
 * quoting and encodings, numbers past every range, SQL fragments, deep nesting, and the documents,
 * frames and tool arguments built from them. As test support it imports fast-check, a development
 * dependency, and stays out of the build and of the image's runtime dependency check.
 */

/** Values chosen to break escaping, parsing and ranges. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  "'",
  '"',
  '\\',
  "\\'",
  '\0',
  'a\0b',
  '\uD800',
  'x\uDC00y',
  '\uFFFF',
  '😀',
  '%',
  '%00',
  '%FF%FE',
  '../../etc/passwd',
  "' OR '1'='1",
  "x' OR 1=1 --",
  '"; DROP TABLE message_log; --',
  "') UNION ALL SELECT name FROM system.tables --",
  '1; SELECT 1',
  '`',
  '$1',
  '{name:String}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  'null',
  'undefined',
  'true',
  '-1',
  '0',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '9007199254740993',
  '99999999999999999999999999999999',
  '0x7fffffff',
  '1.5',
  '2026-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
  'a'.repeat(300),
  'x'.repeat(5_000),
  '['.repeat(2_000),
  '{"a":'.repeat(500),
];

/** A hostile string: a known one, arbitrary code units (lone surrogates included), or a mix. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 8 }))
      .map(([a, b]) => a + b),
  },
);

/** A hostile number, as JSON may carry it. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 500, 501, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 0.5),
  fc.double(),
);

/** Any JSON-ish value, nested a little, built from the hostile leaves. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/**
 * Percent-encodes a string's code units as UTF-8 bytes, without `encodeURIComponent`'s refusal of
 * lone surrogates (they become U+FFFD); raw `%xx` in the value are kept as they are, so that
 * invalid UTF-8 (`%FF`) reaches the server too.
 */
export function encodeLoosely(value: string): string {
  return value.replace(/[^A-Za-z0-9%._~-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** A GraphQL string literal (JSON's escapes are GraphQL's; a lone surrogate becomes `\uD800`). */
export const graphqlString = (value: string): string => JSON.stringify(value);

/** Query fields with the arguments they take and a selection that is valid for them. */
export const GRAPHQL_FIELDS: readonly { field: string; args: readonly string[]; select: string }[] = [
  { field: 'queues', args: [], select: '{ agent_name total_messages }' },
  {
    field: 'queue',
    args: ['agent', 'message_type', 'source_agent', 'trace_id', 'since', 'until', 'limit', 'cursor'],
    select: '{ queue { agent_name } messages { message_id } }',
  },
  { field: 'pendingTasks', args: ['limit'], select: '{ task_id }' },
  { field: 'task', args: ['id'], select: '{ task_id trace_id }' },
  { field: 'errors', args: ['limit', 'cursor'], select: '{ total items { error_id agent_name } }' },
  { field: 'error', args: ['id'], select: '{ error_id }' },
  { field: 'errorGroups', args: ['agent', 'since', 'limit'], select: '{ fingerprint count }' },
  { field: 'errorSummary', args: ['since'], select: '{ total_errors }' },
  { field: 'trace', args: ['id'], select: '{ trace_id }' },
  { field: 'traces', args: ['since_minutes', 'agent', 'limit'], select: '{ trace_id }' },
  { field: 'agents', args: ['window_minutes'], select: '{ agent_name }' },
];

const argumentValue: fc.Arbitrary<string> = fc.oneof(
  hostileString.map(graphqlString),
  hostileNumber.map((n) => (Number.isFinite(n) ? String(n) : '1e999')),
  fc.constantFrom('true', 'null', '[]', '{}', 'ERROR', '"', '$undefined', '99999999999999999999'),
);

/** A document over the real fields with hostile argument values, inline or as variables. */
export const graphqlArguments: fc.Arbitrary<{ query: string; variables: Record<string, unknown> }> = fc
  .tuple(
    fc.constantFrom(...GRAPHQL_FIELDS),
    fc.array(argumentValue, { minLength: 1, maxLength: 3 }),
    hostileValue,
    fc.boolean(),
  )
  .map(([spec, values, variable, asVariable]) => {
    if (asVariable && spec.args.length > 0) {
      const name = spec.args[0] ?? 'id';
      return {
        query: `query Q($v: String) { ${spec.field}(${name}: $v) ${spec.select} }`,
        variables: { v: variable },
      };
    }
    const args = spec.args.slice(0, values.length).map((name, i) => `${name}: ${values[i] ?? 'null'}`);
    const list = args.length === 0 ? '' : `(${args.join(', ')})`;
    return { query: `{ ${spec.field}${list} ${spec.select} }`, variables: {} };
  });

/** Documents that are not what the schema expects: garbage, deep nesting, floods, cycles. */
export const graphqlDocuments: fc.Arbitrary<{ query: string; variables: Record<string, unknown> }> = fc
  .oneof(
    hostileString,
    fc.integer({ min: 1, max: 3_000 }).map((n) => `{ ${'queues { '.repeat(n)}agent_name${' }'.repeat(n)} }`),
    fc
      .integer({ min: 1, max: 400 })
      .map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: queues { agent_name }`).join(' ')} }`),
    fc.constant('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    fc.constant('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }'),
    fc.constant('subscription { errorAdded { error_id } }'),
    fc.constant('mutation { x }'),
    fc.constant('{ traces(limit: 99999999999999999999) { trace_id } }'),
    fc.constant('{ errors(limit: -1) { total } }'),
    fc.constant(`{ ${'__typename '.repeat(3_000)}}`),
    fc.constant(
      `query Q(${Array.from({ length: 200 }, (_, i) => `$v${i}: Int`).join(' ')}) { queues { agent_name } }`,
    ),
  )
  .map((query) => ({ query, variables: {} }));

/** A WebSocket client frame: mostly JSON, often the right shape with the wrong values. */
export const wsFrames: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 2, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileValue.map((v) => JSON.stringify(v)) },
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          type: fc.oneof(fc.constantFrom('subscribe', 'ping', 'unsubscribe', ''), hostileString),
          trace_ids: fc.oneof(fc.array(hostileString, { maxLength: 5 }), hostileValue),
          agent_names: fc.array(hostileString, { maxLength: 5 }),
          event_types: fc.array(fc.oneof(fc.constantFrom('error', 'agent_queue_message'), hostileString), {
            maxLength: 3,
          }),
        },
        { requiredKeys: ['type'] },
      )
      .map((frame) => JSON.stringify(frame)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 60_000, max: 200_000 })
      .map((n) => JSON.stringify({ type: 'ping', pad: 'x'.repeat(n) })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);
