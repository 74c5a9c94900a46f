import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createKafka, type Admin } from '../../lib/kafka.js';
import { createCodec } from '../../lib/registry.js';
import {
  createTestProducer,
  eventually,
  testConfig,
  testLogger,
  uniqueToken,
  type TestProducer,
} from '../../lib/test-support/helpers.js';
import { ensureTopics } from '../../lib/topics.js';
import { sampleError, sampleTask } from '../../schemas/test-support/fixtures.js';
import { ERRORS_TOPIC, queueTopic } from '../../schemas/topics.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';
import { createKafkaTap, type KafkaTap } from './kafka-tap.js';

/**
 * The live feed end to end: Avro records produced to real topics reach WebSocket clients through the
 * API's own Kafka tap (a group of its own, from the latest offsets), with the subscriptions' filters
 * applied to queue messages and errors alike.
 */
const token = `ws${uniqueToken()}`;
const coder = `${token}-coder`;
const writer = `${token}-writer`;
const config = testConfig({ API_PORT: '0', API_HOST: '127.0.0.1' });
let admin: Admin;
let producer: TestProducer;
let tap: KafkaTap;
let api: Api;
let port: number;
const hub = new LiveHub();
let metrics: ReturnType<typeof createApiMetrics>;

beforeAll(async () => {
  const logger = testLogger();
  const kafka = createKafka(config, logger, 'it-ws');
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [coder, writer].map((agent) => ({ topic: queueTopic(agent), numPartitions: 2, replicationFactor: 1 })),
  );
  await ensureTopics(admin, [{ topic: ERRORS_TOPIC, numPartitions: 3, replicationFactor: 1 }]);
  producer = await createTestProducer(config);
  metrics = createApiMetrics({ processMetrics: false });
  // paused half a second after the last listener leaves, so that the tests below resume it
  tap = createKafkaTap({
    config,
    kafka,
    codec: createCodec(config),
    hub,
    logger,
    metrics,
    unwatchedGraceMs: 500,
  });
  await tap.start();
  await tap.assigned();
  // the tap starts at the latest offsets: wait until a probe produced now comes through
  let probes = 0;
  const seen = new Set<string>();
  const stop = hub.subscribe((event) => {
    if (event.kind === 'message') seen.add(event.value.message_id);
  });
  const ok = await eventually(async () => {
    const id = `${token}-probe-${probes++}`;
    await producer.send(queueTopic(coder), 'AgentMessage', [
      sampleTask({ message_id: id, source_agent: 'probe', target_agent: coder }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return seen.has(id);
  }, 60_000);
  stop();
  expect(ok).toBe(true);
  api = buildApi(config, {
    logger,
    reader: { query: () => Promise.resolve([]) },
    kafka: { groupLag: () => Promise.resolve(undefined), check: () => Promise.resolve() },
    feed: hub,
    checks: [],
    metrics,
  });
  port = await api.start();
});

afterAll(async () => {
  await api.stop();
  await tap.stop();
  await producer.close();
  await admin.deleteTopics({ topics: [queueTopic(coder), queueTopic(writer)] }).catch(() => undefined);
  await admin.deleteGroups([tap.groupId]).catch(() => undefined);
  await admin.disconnect();
});

async function client(
  id: string,
  subscription: Record<string, unknown>,
): Promise<{ frames: Record<string, unknown>[]; at: Map<string, number>; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/${id}`);
  const frames: Record<string, unknown>[] = [];
  const at = new Map<string, number>();
  let confirmed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => {
    confirmed = resolve;
  });
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    frames.push(frame);
    if (frame.type === 'subscription_updated') confirmed();
    const key = frame.message_id ?? frame.error_id;
    if (typeof key === 'string') at.set(key, Date.now());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      resolve();
    });
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'subscribe', ...subscription }));
  await subscribed;
  return { frames, at, socket };
}

describe('live feed over Kafka', () => {
  it('pushes every queue message and error to the clients whose filters match, within a second', async () => {
    const coderClient = await client(`${token}-1`, { agent_names: [coder] });
    const writerErrors = await client(`${token}-2`, { agent_names: [writer], event_types: ['error'] });
    const traceClient = await client(`${token}-3`, { trace_ids: [`${token}-trace-b`] });
    const everything = await client(`${token}-4`, {});

    const sentAt = new Map<string, number>();
    const send = async (
      topic: string,
      kind: 'AgentMessage' | 'DetailedError',
      value: ReturnType<typeof sampleTask> | ReturnType<typeof sampleError>,
      id: string,
    ) => {
      if (kind === 'AgentMessage') await producer.send(topic, kind, [value as ReturnType<typeof sampleTask>]);
      else await producer.send(topic, kind, [value as ReturnType<typeof sampleError>]);
      sentAt.set(id, Date.now());
    };
    const id = (name: string) => `${token}-${name}`;
    await send(
      queueTopic(coder),
      'AgentMessage',
      sampleTask({
        message_id: id('m1'),
        source_agent: 'orchestrator',
        target_agent: coder,
        trace_id: id('trace-a'),
      }),
      id('m1'),
    );
    await send(
      queueTopic(writer),
      'AgentMessage',
      sampleTask({
        message_id: id('m2'),
        source_agent: coder,
        target_agent: writer,
        trace_id: id('trace-b'),
      }),
      id('m2'),
    );
    await send(
      queueTopic(writer),
      'AgentMessage',
      sampleTask({
        message_id: id('m3'),
        source_agent: 'orchestrator',
        target_agent: writer,
        trace_id: id('trace-a'),
      }),
      id('m3'),
    );
    await send(
      ERRORS_TOPIC,
      'DetailedError',
      sampleError({ error_id: id('e1'), agent_name: writer, trace_id: id('trace-b') }),
      id('e1'),
    );
    await send(
      ERRORS_TOPIC,
      'DetailedError',
      sampleError({ error_id: id('e2'), agent_name: coder, trace_id: id('trace-a') }),
      id('e2'),
    );

    const ours = (frames: Record<string, unknown>[]) =>
      frames
        .map((f) => f.message_id ?? f.error_id)
        .filter((key): key is string => typeof key === 'string')
        .filter((key) => key.startsWith(token) && !key.includes('probe'))
        .sort();
    expect(
      await eventually(
        () =>
          Promise.resolve(
            ours(coderClient.frames).length >= 3 &&
              ours(writerErrors.frames).length >= 1 &&
              ours(traceClient.frames).length >= 2,
          ),
        15_000,
        50,
      ),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ours(coderClient.frames)).toEqual([id('e2'), id('m1'), id('m2')]);
    expect(ours(writerErrors.frames)).toEqual([id('e1')]);
    expect(ours(traceClient.frames)).toEqual([id('e1'), id('m2')]);
    const pushed = coderClient.frames.find((f) => f.message_id === id('m1'));
    expect(pushed).toMatchObject({
      type: 'agent_queue_message',
      queue_topic: queueTopic(coder),
      message_type: 'task',
      source_agent: 'orchestrator',
      target_agent: coder,
    });
    expect(writerErrors.frames.find((f) => f.error_id === id('e1'))).toMatchObject({
      type: 'error',
      severity: 'error',
      category: 'llm_error',
      agent_name: writer,
    });

    // from the producer's acknowledgement to the client; the one-second target is shown here, not
    // asserted to the millisecond on a shared 2-core machine
    const delays = [...sentAt].map(([key, sent]) => (everything.at.get(key) ?? Infinity) - sent);
    expect(ours(everything.frames)).toEqual([id('e1'), id('e2'), id('m1'), id('m2'), id('m3')]);
    expect(Math.max(...delays)).toBeLessThan(5_000);
    process.stdout.write(`live feed delays after the producer's ack (ms): ${delays.join(', ')}\n`);
    for (const c of [coderClient, writerErrors, traceClient, everything]) c.socket.close();
  });

  it('streams the same records as Server-Sent Events on /api/v1/events/stream, filtered by the query', async () => {
    const bad = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream?event_type=nope`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { parameter?: string }).parameter).toBe('event_type');

    const abort = new AbortController();
    const response = await fetch(
      `http://127.0.0.1:${port}/api/v1/events/stream?agent_name=${writer}&event_type=error`,
      { signal: abort.signal },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    if (response.body === null) throw new Error('no body');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('event: connected');
    await producer.send(queueTopic(writer), 'AgentMessage', [
      sampleTask({ message_id: `${token}-sse-m`, source_agent: 'orchestrator', target_agent: writer }),
    ]);
    await producer.send(ERRORS_TOPIC, 'DetailedError', [
      sampleError({ error_id: `${token}-sse-other`, agent_name: coder }),
    ]);
    await producer.send(ERRORS_TOPIC, 'DetailedError', [
      sampleError({ error_id: `${token}-sse-e`, agent_name: writer }),
    ]);
    await readUntil(`${token}-sse-e`);
    abort.abort();
    const events = text.split('\n\n').filter((e) => e.startsWith('event: '));
    expect(events.map((e) => e.split('\n')[0])).toEqual(['event: connected', 'event: error']);
    expect(text).not.toContain(`${token}-sse-m`);
    expect(text).not.toContain(`${token}-sse-other`);
  });

  it('pauses its partitions while no one listens, and a listener gets what was produced from when it came', async () => {
    const paused = async () => (await metrics.livePaused.get()).values[0]?.value;
    expect(await eventually(async () => (await paused()) === 1, 15_000, 100)).toBe(true);
    expect(hub.listeners).toBe(0);
    // produced while paused and well before anyone listens: not delivered when reading resumes
    await producer.send(queueTopic(coder), 'AgentMessage', [
      sampleTask({ message_id: `${token}-unwatched`, source_agent: 'orchestrator', target_agent: coder }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const listening = Date.now();
    const watcher = await client(`${token}-5`, { agent_names: [coder, writer] });
    // produced at once, before the tap has looked up where to resume: delivered, both to a topic
    // written to during the pause (moved to the records from when the listener came) and to one
    // that was not (resumed where it stopped)
    await producer.send(queueTopic(coder), 'AgentMessage', [
      sampleTask({ message_id: `${token}-watched`, source_agent: 'orchestrator', target_agent: coder }),
    ]);
    await producer.send(queueTopic(writer), 'AgentMessage', [
      sampleTask({ message_id: `${token}-watched-w`, source_agent: 'orchestrator', target_agent: writer }),
    ]);
    expect(
      await eventually(
        () => Promise.resolve(watcher.at.has(`${token}-watched`) && watcher.at.has(`${token}-watched-w`)),
        15_000,
        50,
      ),
    ).toBe(true);
    expect(await paused()).toBe(0);
    process.stdout.write(
      `live feed resumed for a listener: its first record came ${(watcher.at.get(`${token}-watched`) ?? 0) - listening} ms after it connected\n`,
    );
    expect(watcher.at.has(`${token}-unwatched`)).toBe(false);
    watcher.socket.close();
  });
});
