import avro from 'avsc';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { sampleError, sampleResult, sampleTask } from './test-support/fixtures.js';
import {
  AGENT_MESSAGE_FIELDS,
  type AgentMessage,
  DETAILED_ERROR_FIELDS,
  type DetailedError,
  ErrorCategory,
  MessageType,
  Priority,
  Severity,
} from './records.js';
import { loadSchemaText } from './schema-files.js';

interface FieldJson {
  name: string;
  type: unknown;
  default?: unknown;
}
interface RecordJson {
  name: string;
  fields: FieldJson[];
}

const messageSchema = JSON.parse(loadSchemaText('agent-message.avsc')) as RecordJson;
const errorSchema = JSON.parse(loadSchemaText('detailed-error.avsc')) as RecordJson;
const messageType = avro.Type.forSchema(messageSchema as avro.Schema);
const errorType = avro.Type.forSchema(errorSchema as avro.Schema);

function enumSymbols(schema: RecordJson, field: string): string[] {
  const found = schema.fields.find((f) => f.name === field);
  const type = found?.type as { type: string; symbols: string[] } | undefined;
  if (type?.type !== 'enum') throw new Error(`${field} is not an enum`);
  return type.symbols;
}

describe('Avro schemas and TypeScript types', () => {
  it('list the same fields in the same order', () => {
    // compile-time: the field lists name every key of the TypeScript types and nothing else
    expectTypeOf<(typeof AGENT_MESSAGE_FIELDS)[number]>().toEqualTypeOf<keyof AgentMessage>();
    expectTypeOf<(typeof DETAILED_ERROR_FIELDS)[number]>().toEqualTypeOf<keyof DetailedError>();
    expect(messageSchema.fields.map((f) => f.name)).toEqual([...AGENT_MESSAGE_FIELDS]);
    expect(errorSchema.fields.map((f) => f.name)).toEqual([...DETAILED_ERROR_FIELDS]);
  });

  it('keep all 29 DetailedError fields of the old service', () => {
    const contract =
      'error_id severity category error_type error_message error_code stack_trace trace_id span_id agent_name agent_id operation input_data partial_output model_name prompt_preview token_count tool_name tool_parameters timestamp duration_before_error_ms is_retryable retry_count max_retries suggested_fixes related_docs environment service_name host'.split(
        ' ',
      );
    expect(contract).toHaveLength(29);
    expect(DETAILED_ERROR_FIELDS).toEqual(expect.arrayContaining(contract));
  });

  it('keep every AgentMessage field of the old service', () => {
    const contract =
      'message_id source_agent target_agent message_type priority payload trace_id span_id parent_message_id reason timestamp ttl_seconds'.split(
        ' ',
      );
    expect(AGENT_MESSAGE_FIELDS).toEqual(expect.arrayContaining(contract));
  });

  it('use the same enum symbols as the TypeScript enumerations', () => {
    expect(enumSymbols(messageSchema, 'message_type')).toEqual(Object.values(MessageType));
    expect(enumSymbols(messageSchema, 'priority')).toEqual(Object.values(Priority));
    expect(enumSymbols(errorSchema, 'severity')).toEqual(Object.values(Severity));
    expect(enumSymbols(errorSchema, 'category')).toEqual(Object.values(ErrorCategory));
  });

  it('give every field added after the old contract a default (BACKWARD compatibility)', () => {
    const added = [...messageSchema.fields.slice(12), ...errorSchema.fields.slice(29)];
    expect(added.length).toBeGreaterThan(0);
    for (const field of added) expect(field, field.name).toHaveProperty('default');
  });

  it('declare timestamps as timestamp-millis', () => {
    for (const schema of [messageSchema, errorSchema]) {
      const ts = schema.fields.find((f) => f.name === 'timestamp');
      expect(ts?.type).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
    }
  });

  it('accept typed fixtures, with optional fields set and unset', () => {
    expect(messageType.isValid(sampleTask())).toBe(true);
    expect(messageType.isValid(sampleResult())).toBe(true);
    expect(errorType.isValid(sampleError())).toBe(true);
    const bare = sampleTask({
      parent_message_id: null,
      reason: null,
      ttl_seconds: null,
      deadline: null,
      job_id: null,
      heartbeat: { state: 'idle', in_flight: 0, max_concurrency: 4, host: 'h', pid: 1, version: '0.1.0' },
    });
    expect(messageType.isValid(bare)).toBe(true);
    const nulls = Object.fromEntries(
      errorSchema.fields
        .filter((f) => Array.isArray(f.type) && (f.type as unknown[])[0] === 'null')
        .map((f) => [f.name, null]),
    );
    expect(errorType.isValid({ ...sampleError(), ...nulls })).toBe(true);
  });

  it('round-trip fixtures through Avro binary unchanged', () => {
    for (const [type, value] of [
      [messageType, sampleResult()],
      [errorType, sampleError()],
    ] as const) {
      const decoded = type.fromBuffer(type.toBuffer(value)) as object;
      expect(JSON.parse(JSON.stringify(decoded))).toEqual(value);
    }
  });
});
