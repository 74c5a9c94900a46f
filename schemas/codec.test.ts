import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { CodecError, CodecErrorCode } from './codec-errors.js';
import { defaultRecordSpecs, RecordKind, SchemaCodec } from './codec.js';
import { sampleTask } from './test-support/fixtures.js';

const spec = defaultRecordSpecs().find((s) => s.kind === RecordKind.AGENT_MESSAGE);
const type = avro.Type.forSchema(JSON.parse(spec?.schemaText ?? '{}') as avro.Schema);

/** The Confluent wire format of a task written with schema id `id`. */
function wire(id: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, type.toBuffer(sampleTask({ message_id: 'm-1' }))]);
}

/** A registry client whose getSchema answers as `answer` says, counting the calls. */
function codecWith(answer: (call: number) => Promise<avro.Type>): {
  codec: SchemaCodec;
  calls: () => number;
} {
  let calls = 0;
  const registry = {
    getSchema: () => answer(++calls),
  } as unknown as SchemaRegistry;
  const codec = new SchemaCodec({ registry, registryUrl: 'http://registry.invalid', lookupTimeoutMs: 50 });
  return { codec, calls: () => calls };
}

const notFound = (): Promise<never> =>
  Promise.reject(Object.assign(new Error('Schema not found'), { status: 404 }));

describe('schema lookups by id', () => {
  it('asks again when a registry replica answers 404 before it caught up', async () => {
    const { codec, calls } = codecWith((call) => (call < 3 ? notFound() : Promise.resolve(type)));
    const decoded = await codec.decodeAny(wire(7));
    expect(decoded.kind).toBe(RecordKind.AGENT_MESSAGE);
    expect(calls()).toBe(3);
  });

  it('calls an id unknown after the retries, and remembers it', async () => {
    const { codec, calls } = codecWith(notFound);
    const first = await codec.decodeAny(wire(8)).catch((e: unknown) => e);
    expect((first as CodecError).code).toBe(CodecErrorCode.UNKNOWN_SCHEMA_ID);
    const asked = calls();
    expect(asked).toBe(5);
    const again = await codec.decodeAny(wire(8)).catch((e: unknown) => e);
    expect((again as CodecError).code).toBe(CodecErrorCode.UNKNOWN_SCHEMA_ID);
    expect(calls()).toBe(asked);
  });

  it('gives up waiting on a stalled registry with a retryable error', async () => {
    const { codec } = codecWith(() => new Promise<never>(() => undefined));
    const error = await codec.decodeAny(wire(9)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(CodecErrorCode.REGISTRY_UNAVAILABLE);
    expect((error as CodecError).retryable).toBe(true);
  });
});

describe('which reader record a writer record is read as', () => {
  const ours = JSON.parse(spec?.schemaText ?? '{}') as { fields: object[] };
  /** A codec reading our AgentMessage and, as the other kind, `other`; the registry answers `writers[id]`. */
  function codecReading(other: object, writers: Record<number, object>): SchemaCodec {
    const registry = {
      getSchema: (id: number) => {
        const writer = writers[id];
        return writer === undefined
          ? notFound()
          : Promise.resolve(avro.Type.forSchema(writer as avro.Schema));
      },
    } as unknown as SchemaRegistry;
    return new SchemaCodec({
      registry,
      registryUrl: 'http://registry.invalid',
      records: [
        spec ?? { kind: RecordKind.AGENT_MESSAGE, schemaText: '{}' },
        { kind: RecordKind.DETAILED_ERROR, schemaText: JSON.stringify(other) },
      ],
    });
  }
  const named = (name: string, extra: object = {}) => ({ ...ours, name, ...extra });

  it('takes the full name first, then the one reader of that unqualified name or alias', async () => {
    const codec = codecReading(
      { type: 'record', name: 'Legacy', namespace: 'com.other', aliases: ['old.Message'], fields: [] },
      {
        1: named('dev.agenttelemetry.AgentMessage'),
        2: named('AgentMessage'),
        3: { type: 'record', name: 'Message', fields: [] },
      },
    );
    const framed = (id: number, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.writeInt32BE(id, 1);
      return Buffer.concat([header, body]);
    };
    const task = type.toBuffer(sampleTask({ message_id: 'm-2' }));
    expect((await codec.decodeAny(framed(1, task))).kind).toBe(RecordKind.AGENT_MESSAGE);
    expect((await codec.decodeAny(framed(2, task))).value).toMatchObject({ message_id: 'm-2' });
    expect((await codec.decodeAny(framed(3, Buffer.alloc(0)))).kind).toBe(RecordKind.DETAILED_ERROR);
  });

  it('reads none when two reader records share the unqualified name and neither full name matches', async () => {
    const codec = codecReading(named('com.other.AgentMessage'), { 4: named('org.example.AgentMessage') });
    const header = Buffer.alloc(5);
    header.writeInt32BE(4, 1);
    const error = await codec
      .decodeAny(Buffer.concat([header, type.toBuffer(sampleTask())]))
      .catch((e: unknown) => e);
    expect((error as CodecError).code).toBe(CodecErrorCode.UNEXPECTED_RECORD);
    expect((error as CodecError).message).toContain('org.example.AgentMessage');
  });
});
