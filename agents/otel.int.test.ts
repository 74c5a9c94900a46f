import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../lib/kafka.js';
import { eventually, testConfig, testLogger, uniqueToken } from '../lib/test-support/helpers.js';
import { queueTopic } from '../schemas/topics.js';
import { JobClient } from './client.js';
import { startAgentSystem, type AgentSystem } from './system.js';

interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
    arrayValue?: unknown;
  };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  if (value === undefined) return undefined;
  return (
    value.stringValue ??
    (value.intValue === undefined ? undefined : Number(value.intValue)) ??
    value.doubleValue ??
    value.boolValue
  );
}

/** Receives OTLP/HTTP trace exports (JSON, the exporter's default encoding) as a collector would. */
async function otlpReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  resources: OtlpAttribute[][];
  close: () => Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const resources: OtlpAttribute[][] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url !== '/v1/traces' || request.headers['content-type'] !== 'application/json') {
        response.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const rs of body.resourceSpans) {
        resources.push(rs.resource.attributes);
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    resources,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

describe('OpenTelemetry export', () => {
  const token = uniqueToken();
  const names = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'].map(
    (role) => `${role}-${token}`,
  );
  const logger = testLogger();
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let system: AgentSystem;
  let client: JobClient;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    const config = testConfig({
      AGENT_NAMES: names.join(','),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: `agents-${token}`,
    });
    system = await startAgentSystem({
      config,
      logger,
      agents: names,
      crash: () => {
        throw new Error('no crash expected here');
      },
      heartbeatMs: 60_000,
      drainMs: 2_000,
    });
    client = new JobClient({
      config,
      kafka: system.kafka,
      transport: system.transport,
      tracing: system.tracing,
      logger,
      name: `cli-${token}`,
      orchestrator: names[0] ?? '',
    });
    await client.start();
  });

  afterAll(async () => {
    await client.close();
    await system.stop();
    await receiver.close();
    const config = testConfig();
    const admin = createKafka(config, logger, 'it-cleanup').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [...names, `cli-${token}`].map(queueTopic) }).catch(() => undefined);
    await admin.deleteGroups(names.map((n) => `agent-${n}`)).catch(() => undefined);
    await admin.disconnect();
  });

  it('exports agent, LLM, tool and Kafka spans of one trace with hex ids and GenAI attributes', async () => {
    const job = await client.submit('Describe how W3C trace context crosses a message queue', {
      timeoutMs: 60_000,
    });
    expect((await job.answer).message_type).toBe('result');
    // the last hop's spans end just after the answer is in hand (on a busy machine, after it was
    // read): flush until every Kafka consumer span of the trace has come in
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === job.task.trace_id);
    await eventually(async () => {
      await system.tracing.forceFlush();
      return ofTrace().filter((s) => s.kind === 5).length >= 5;
    }, 10_000);
    const trace = ofTrace();

    for (const span of trace) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      if (span.parentSpanId !== undefined && span.parentSpanId !== '')
        expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(
      receiver.resources.some((r) =>
        r.some((a) => a.key === 'service.name' && a.value.stringValue === `agents-${token}`),
      ),
    ).toBe(true);

    const invocations = trace.filter((s) => attr(s, 'gen_ai.operation.name') === 'invoke_agent');
    expect(new Set(invocations.map((s) => attr(s, 'gen_ai.agent.name')))).toEqual(new Set(names));

    const chats = trace.filter((s) => attr(s, 'gen_ai.operation.name') === 'chat');
    expect(chats.length).toBeGreaterThanOrEqual(6);
    for (const chat of chats) {
      expect(chat.name).toBe('chat offline-deterministic');
      expect(chat.kind).toBe(3); // CLIENT
      expect(attr(chat, 'gen_ai.request.model')).toBe('offline-deterministic');
      expect(attr(chat, 'gen_ai.response.model')).toBe('offline-deterministic');
      expect(attr(chat, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
      expect(attr(chat, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
      expect(attr(chat, 'gen_ai.provider.name')).toBe('offline');
    }
    const tool = trace.find((s) => attr(s, 'gen_ai.operation.name') === 'execute_tool');
    expect(attr(tool ?? ({ attributes: [] } as unknown as OtlpSpan), 'gen_ai.tool.name')).toBe('evaluate_js');

    // Kafka hops: each consumer span's parent is the producer span of the message it processed
    const producers = new Map(trace.filter((s) => s.kind === 4).map((s) => [s.spanId, s]));
    const consumers = trace.filter((s) => s.kind === 5);
    expect(consumers.length).toBeGreaterThanOrEqual(5);
    for (const consumer of consumers) {
      const producer = producers.get(consumer.parentSpanId ?? '');
      expect(producer, `consumer span ${consumer.name} has no producer parent`).toBeDefined();
      expect(attr(consumer, 'messaging.system')).toBe('kafka');
      expect(attr(consumer, 'messaging.destination.name')).toBe(
        attr(producer ?? consumer, 'messaging.destination.name'),
      );
      expect(typeof attr(consumer, 'messaging.kafka.offset')).toBe('number');
      expect(attr(consumer, 'messaging.consumer.group.name')).toMatch(/^agent-/);
    }
    // the message ids and the span ids agree: the job's TASK is the producer span the orchestrator consumed
    expect(producers.get(job.task.span_id)).toBeDefined();
  });
});
