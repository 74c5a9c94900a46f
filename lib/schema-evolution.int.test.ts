import { afterAll, describe, expect, it } from 'vitest';
import { createSchemaRegistry } from './registry.js';
import { testConfig, uniqueToken } from './test-support/helpers.js';
import { RecordKind, SchemaCodec } from '../schemas/codec.js';
import { sampleResult } from '../schemas/test-support/fixtures.js';
import type { AgentMessage } from '../schemas/records.js';
import { loadSchemaText } from '../schemas/schema-files.js';

/**
 * AgentMessage gained `started_at` (nullable timestamp-millis, default null). The previous version of
 * the schema is the current one without that field: producers and consumers built before it, and
 * producers in other languages that never send it, must keep working against the real registry.
 */

const config = testConfig();
const token = uniqueToken();
const subject = `it-${token}-agent-message-started-at`;

const currentText = loadSchemaText('agent-message.avsc');
const previousSchema = JSON.parse(currentText) as { fields: { name: string }[] };
previousSchema.fields = previousSchema.fields.filter((f) => f.name !== 'started_at');
const previousText = JSON.stringify(previousSchema);

function codecFor(schemaText: string): SchemaCodec {
  return new SchemaCodec({
    registry: createSchemaRegistry(config),
    registryUrl: config.registry.url,
    records: [{ kind: RecordKind.AGENT_MESSAGE, schemaText, subject }],
  });
}

const base = `${config.registry.url}/subjects/${encodeURIComponent(subject)}`;

describe('AgentMessage.started_at: a BACKWARD-compatible evolution, against the real registry', () => {
  const previous = codecFor(previousText);
  const current = codecFor(currentText);
  const startedAt = 1_764_000_000_400;

  afterAll(async () => {
    await fetch(base, { method: 'DELETE' });
    await fetch(`${base}?permanent=true`, { method: 'DELETE' });
  });

  it('differs from the previous version only by the defaulted field', () => {
    const field = (JSON.parse(currentText) as { fields: Record<string, unknown>[] }).fields.find(
      (f) => f.name === 'started_at',
    );
    expect(field).toMatchObject({
      type: ['null', { type: 'long', logicalType: 'timestamp-millis' }],
      default: null,
    });
    expect(previousSchema.fields.length).toBe(
      (JSON.parse(currentText) as { fields: unknown[] }).fields.length - 1,
    );
  });

  it('is accepted by the registry under BACKWARD after the previous version', async () => {
    const previousId = (await previous.registerAll()).AgentMessage;
    const configResponse = await fetch(`${config.registry.url}/config/${encodeURIComponent(subject)}`);
    const level = (await configResponse.json()) as { compatibilityLevel?: string; compatibility?: string };
    expect(level.compatibilityLevel ?? level.compatibility).toBe('BACKWARD');

    const check = await fetch(
      `${config.registry.url}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: currentText }),
      },
    );
    expect(check.status).toBe(200);
    expect(((await check.json()) as { is_compatible: boolean }).is_compatible).toBe(true);

    const currentId = (await current.registerAll()).AgentMessage;
    expect(currentId).not.toBe(previousId);
    const versions = (await (await fetch(`${base}/versions`)).json()) as number[];
    expect(versions).toHaveLength(2);
    process.stdout.write(
      `registry ${config.registry.url}: subject ${subject} versions ${JSON.stringify(versions)}, ` +
        `previous schema id ${previousId}, with started_at ${currentId}, BACKWARD compatible\n`,
    );
  });

  it("reads an old writer's bytes with the new reader: started_at takes its default, null", async () => {
    const old: Partial<AgentMessage> = sampleResult();
    delete old.started_at;
    const bytes = await previous.encode(RecordKind.AGENT_MESSAGE, old as AgentMessage);
    const decoded = await current.decode(RecordKind.AGENT_MESSAGE, bytes);
    expect(decoded.schemaId).toBe((await previous.registerAll()).AgentMessage);
    expect(decoded.value.started_at).toBeNull();
    expect(decoded.value.message_id).toBe(old.message_id);
    expect(decoded.value.llm_usage).toEqual(old.llm_usage);
  });

  it("reads a new writer's bytes with the old reader: the field is skipped, the rest intact", async () => {
    const message = sampleResult({ started_at: startedAt });
    const bytes = await current.encode(RecordKind.AGENT_MESSAGE, message);
    const decoded = await previous.decode(RecordKind.AGENT_MESSAGE, bytes);
    expect(decoded.value).not.toHaveProperty('started_at');
    const rest: Partial<AgentMessage> = { ...message };
    delete rest.started_at;
    expect(JSON.parse(JSON.stringify(decoded.value))).toEqual(rest);
  });

  it('round-trips started_at between new writers and readers', async () => {
    const bytes = await current.encode(RecordKind.AGENT_MESSAGE, sampleResult({ started_at: startedAt }));
    expect((await current.decode(RecordKind.AGENT_MESSAGE, bytes)).value.started_at).toBe(startedAt);
  });
});
