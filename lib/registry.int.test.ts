import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaRegistry } from './registry.js';
import { testConfig, uniqueToken } from './test-support/helpers.js';
import { CodecError } from '../schemas/codec-errors.js';
import { RecordKind, SchemaCodec, defaultRecordSpecs, type RecordSpec } from '../schemas/codec.js';
import { sampleError, sampleResult, sampleTask } from '../schemas/test-support/fixtures.js';
import { loadSchemaText } from '../schemas/schema-files.js';

const config = testConfig();
const registry = createSchemaRegistry(config);
const token = uniqueToken();

/** The project's specs under subjects unique to this run, so runs never collide. */
function specs(
  transform: (schema: Record<string, unknown>) => Record<string, unknown> = (s) => s,
): RecordSpec[] {
  return defaultRecordSpecs().map((spec) => ({
    ...spec,
    schemaText: JSON.stringify(transform(JSON.parse(spec.schemaText) as Record<string, unknown>)),
    subject: `it-${token}-${spec.kind}`,
  }));
}

/**
 * The CodecError `attempt` ends with. A registry that is briefly unavailable (a retryable error) is
 * waited out for up to a minute, as the processors wait it out, so that a hiccup of the shared
 * registry is not taken for the answer under test; the last error's message is in the failure.
 */
async function expectCodecError(
  attempt: () => Promise<unknown>,
  code: CodecError['code'],
): Promise<CodecError> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CodecError);
    const failure = error as CodecError;
    if (failure.code !== code && failure.retryable && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    expect(failure.code, failure.message).toBe(code);
    return failure;
  }
}

async function deleteSubject(subject: string): Promise<void> {
  const base = `${config.registry.url}/subjects/${encodeURIComponent(subject)}`;
  await fetch(base, { method: 'DELETE' });
  await fetch(`${base}?permanent=true`, { method: 'DELETE' });
}

describe('SchemaCodec against the real schema registry', () => {
  const codec = new SchemaCodec({ registry, registryUrl: config.registry.url, records: specs() });

  beforeAll(async () => {
    await codec.registerAll();
  });

  afterAll(async () => {
    for (const subject of Object.values(codec.subjects())) await deleteSubject(subject);
    await deleteSubject(`it-${token}-evolution`);
  });

  it('registers each record under its subject with BACKWARD compatibility', async () => {
    for (const subject of Object.values(codec.subjects())) {
      const response = await fetch(`${config.registry.url}/config/${encodeURIComponent(subject)}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { compatibilityLevel?: string; compatibility?: string };
      expect(body.compatibilityLevel ?? body.compatibility).toBe('BACKWARD');
    }
  });

  it('registers idempotently: the same schema keeps its id', async () => {
    const first = await codec.registerAll();
    const again = new SchemaCodec({
      registry: createSchemaRegistry(config),
      registryUrl: config.registry.url,
      records: specs(),
    });
    expect(await again.registerAll()).toEqual(first);
  });

  it('round-trips an AgentMessage and a DetailedError in the Confluent wire format', async () => {
    const ids = await codec.registerAll();
    for (const message of [sampleTask(), sampleResult()]) {
      const bytes = await codec.encode(RecordKind.AGENT_MESSAGE, message);
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(ids.AgentMessage);
      const decoded = await codec.decode(RecordKind.AGENT_MESSAGE, bytes);
      expect(decoded.schemaId).toBe(ids.AgentMessage);
      expect(JSON.parse(JSON.stringify(decoded.value))).toEqual(message);
    }
    const errorBytes = await codec.encode(RecordKind.DETAILED_ERROR, sampleError());
    const decodedError = await codec.decodeAny(errorBytes);
    expect(decodedError.kind).toBe('DetailedError');
    expect(JSON.parse(JSON.stringify(decodedError.value))).toEqual(sampleError());
  });

  it('decodes bytes written by another process, fetching the writer schema by id once', async () => {
    const bytes = await codec.encode(RecordKind.AGENT_MESSAGE, sampleTask());
    const reader = new SchemaCodec({
      registry: createSchemaRegistry(config),
      registryUrl: config.registry.url,
      records: specs(),
    });
    expect(reader.tryDecodeCached(bytes)).toBeUndefined();
    expect((await reader.decodeAny(bytes)).value).toMatchObject({ message_id: sampleTask().message_id });
    expect(reader.tryDecodeCached(bytes)?.value).toMatchObject({ message_id: sampleTask().message_id });
  });

  it('rejects values that do not match the schema, naming the field', async () => {
    const error = await expectCodecError(
      () => codec.encode(RecordKind.AGENT_MESSAGE, { ...sampleTask(), message_type: 'bogus' as never }),
      'INVALID_VALUE',
    );
    expect(error.message).toContain('message_type');
  });

  it('reports bytes without the magic byte', async () => {
    await expectCodecError(() => codec.decodeAny(Buffer.from('{"message_id":"x"}')), 'NO_MAGIC_BYTE');
    await expectCodecError(() => codec.decodeAny(Buffer.from([0, 0, 0])), 'NO_MAGIC_BYTE');
  });

  it('reports an unknown schema id', async () => {
    const bytes = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from([2, 0x61])]);
    bytes.writeInt32BE(2_000_000_001, 1);
    const error = await expectCodecError(() => codec.decodeAny(bytes), 'UNKNOWN_SCHEMA_ID');
    expect(error.retryable).toBe(false);
    expect(error.schemaId).toBe(2_000_000_001);
  });

  it('reports a truncated body and trailing garbage', async () => {
    const bytes = await codec.encode(RecordKind.AGENT_MESSAGE, sampleResult());
    await expectCodecError(() => codec.decodeAny(bytes.subarray(0, bytes.length - 7)), 'TRUNCATED');
    await expectCodecError(
      () => codec.decodeAny(Buffer.concat([bytes, Buffer.from([1, 2, 3])])),
      'INVALID_AVRO',
    );
  });

  it('reports a valid record of an unexpected type', async () => {
    const bytes = await codec.encode(RecordKind.DETAILED_ERROR, sampleError());
    await expectCodecError(() => codec.decode(RecordKind.AGENT_MESSAGE, bytes), 'UNEXPECTED_RECORD');
  });

  describe("writer schemas of producers the project did not write (another language's copy)", () => {
    /** A codec that writes `schema` as its AgentMessage, under a subject of its own. */
    function foreignWriter(name: string, schema: object): SchemaCodec {
      return new SchemaCodec({
        registry: createSchemaRegistry(config),
        registryUrl: config.registry.url,
        records: [
          {
            kind: RecordKind.AGENT_MESSAGE,
            schemaText: JSON.stringify(schema),
            subject: `it-${token}-foreign-${name}`,
          },
        ],
      });
    }
    const messageType = (namespace?: string) => ({
      type: 'enum',
      name: 'MessageType',
      ...(namespace === undefined ? {} : { namespace }),
      // another order than ours: enums resolve by symbol
      symbols: ['result', 'task', 'error', 'cancel', 'heartbeat'],
    });
    const task = sampleTask();

    it('reads a record without a namespace, with fewer fields in another order, by the Avro rules', async () => {
      // what a Python or Go producer that wrote its own schema sends: no namespace, the fields it
      // knows, `timestamp` as a plain long and `parent_message_id` as a plain string
      const writer = foreignWriter('bare', {
        type: 'record',
        name: 'AgentMessage',
        fields: [
          { name: 'timestamp', type: 'long' },
          { name: 'message_type', type: messageType() },
          { name: 'message_id', type: 'string' },
          { name: 'target_agent', type: 'string' },
          { name: 'source_agent', type: 'string' },
          { name: 'parent_message_id', type: 'string' },
          { name: 'payload', type: 'string' },
          { name: 'trace_id', type: 'string' },
          { name: 'span_id', type: 'string' },
        ],
      });
      const bytes = await writer.encode(RecordKind.AGENT_MESSAGE, {
        timestamp: task.timestamp,
        message_type: 'result',
        message_id: 'py-result-1',
        target_agent: 'orchestrator',
        source_agent: 'researcher',
        parent_message_id: task.message_id,
        payload: '{"ok":true}',
        trace_id: task.trace_id,
        span_id: task.span_id,
      } as never);
      const decoded = await codec.decode(RecordKind.AGENT_MESSAGE, bytes);
      expect(JSON.parse(JSON.stringify(decoded.value))).toEqual({
        message_id: 'py-result-1',
        source_agent: 'researcher',
        target_agent: 'orchestrator',
        message_type: 'result',
        // the reader's defaults for what the writer does not have
        priority: 'normal',
        payload: '{"ok":true}',
        trace_id: task.trace_id,
        span_id: task.span_id,
        parent_message_id: task.message_id,
        reason: null,
        timestamp: task.timestamp,
        ttl_seconds: null,
        attempt: 1,
        max_retries: 0,
        deadline: null,
        job_id: null,
        llm_usage: [],
        heartbeat: null,
        started_at: null,
      });
    });

    it('reads a record and its enums under another namespace, skipping fields it does not know', async () => {
      const ours = JSON.parse(loadSchemaText('agent-message.avsc')) as { fields: { name: string }[] };
      const writer = foreignWriter('namespaced', {
        type: 'record',
        name: 'AgentMessage',
        namespace: 'com.example.agents',
        fields: [
          ...ours.fields.filter((f) => !['message_type', 'llm_usage', 'heartbeat'].includes(f.name)),
          { name: 'message_type', type: messageType('com.example.protocol') },
          { name: 'tenant', type: 'string', default: '' },
        ],
      });
      const { llm_usage: _usage, heartbeat: _heartbeat, ...sent } = task;
      const bytes = await writer.encode(RecordKind.AGENT_MESSAGE, { ...sent, tenant: 'acme' } as never);
      const decoded = await codec.decode(RecordKind.AGENT_MESSAGE, bytes);
      expect(decoded.value).toEqual(task);
      expect(decoded.value).not.toHaveProperty('tenant');
    });

    it('dead-letters a record of another name, naming it', async () => {
      const writer = foreignWriter('renamed', {
        type: 'record',
        name: 'TaskMessage',
        namespace: 'com.example.agents',
        fields: [{ name: 'message_id', type: 'string' }],
      });
      const bytes = await writer.encode(RecordKind.AGENT_MESSAGE, { message_id: 'x' } as never);
      const error = await expectCodecError(() => codec.decodeAny(bytes), 'UNEXPECTED_RECORD');
      expect(error.message).toContain('com.example.agents.TaskMessage');
    });
  });

  describe('schema evolution (v2 adds a defaulted field)', () => {
    const subject = `it-${token}-evolution`;
    const v1Text = loadSchemaText('agent-message.avsc');
    const v2Schema = JSON.parse(v1Text) as { fields: object[] };
    v2Schema.fields.push({ name: 'queue_depth_hint', type: 'int', default: -1 });
    const v2Text = JSON.stringify(v2Schema);
    const v1 = new SchemaCodec({
      registry: createSchemaRegistry(config),
      registryUrl: config.registry.url,
      records: [{ kind: RecordKind.AGENT_MESSAGE, schemaText: v1Text, subject }],
    });
    const v2 = new SchemaCodec({
      registry: createSchemaRegistry(config),
      registryUrl: config.registry.url,
      records: [{ kind: RecordKind.AGENT_MESSAGE, schemaText: v2Text, subject }],
    });

    it('gives v1 and v2 different ids under one subject', async () => {
      const idV1 = (await v1.registerAll()).AgentMessage;
      const idV2 = (await v2.registerAll()).AgentMessage;
      expect(idV1).toBeDefined();
      expect(idV2).not.toBe(idV1);
    });

    it('lets an old reader read new data (the new field is ignored)', async () => {
      const bytes = await v2.encode(RecordKind.AGENT_MESSAGE, {
        ...sampleTask(),
        queue_depth_hint: 7,
      } as never);
      const decoded = await v1.decode(RecordKind.AGENT_MESSAGE, bytes);
      expect(decoded.value.message_id).toBe(sampleTask().message_id);
      expect(decoded.value).not.toHaveProperty('queue_depth_hint');
    });

    it('lets a new reader read old data (the new field takes its default)', async () => {
      const bytes = await v1.encode(RecordKind.AGENT_MESSAGE, sampleTask());
      const decoded = await v2.decode(RecordKind.AGENT_MESSAGE, bytes);
      expect(decoded.value).toMatchObject({ message_id: sampleTask().message_id, queue_depth_hint: -1 });
    });

    it('refuses a v3 that breaks BACKWARD compatibility', async () => {
      const v3Schema = JSON.parse(v1Text) as { fields: object[] };
      v3Schema.fields.push({ name: 'required_without_default', type: 'string' });
      const v3 = new SchemaCodec({
        registry: createSchemaRegistry(config),
        registryUrl: config.registry.url,
        records: [{ kind: RecordKind.AGENT_MESSAGE, schemaText: JSON.stringify(v3Schema), subject }],
      });
      await expectCodecError(() => v3.registerAll(), 'REGISTRY_REQUEST_FAILED');
    });
  });
});
