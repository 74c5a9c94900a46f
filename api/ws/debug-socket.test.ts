import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sampleError, sampleTask } from '../../schemas/test-support/fixtures.js';
import { testConfig, testLogger } from '../../lib/test-support/helpers.js';
import { LiveHub, type LiveEvent } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi, type Api } from '../server.js';

/** The /ws/debug protocol against a real server on a free port, fed by a hub the test publishes to. */
let api: Api | undefined;
const hub = new LiveHub();

afterEach(async () => {
  await api?.stop();
  api = undefined;
});

async function start(env: Record<string, string> = {}): Promise<number> {
  api = buildApi(testConfig({ API_PORT: '0', API_HOST: '127.0.0.1', ...env }), {
    logger: testLogger(),
    reader: { query: () => Promise.resolve([]) },
    kafka: { groupLag: () => Promise.resolve(undefined), check: () => Promise.resolve() },
    feed: hub,
    checks: [],
    metrics: createApiMetrics({ processMetrics: false }),
  });
  return api.start();
}

interface Client {
  socket: WebSocket;
  frames: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  next(type: string): Promise<Record<string, unknown>>;
}

async function connect(port: number, id: string, headers: Record<string, string> = {}): Promise<Client> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/debug/${id}`, { headers });
  const frames: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      resolve();
    });
    socket.once('error', reject);
  });
  let seen = 0;
  const next = async (type: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const index = frames.findIndex((f, i) => i >= seen && f.type === type);
      if (index >= 0) {
        seen = index + 1;
        return frames[index] as Record<string, unknown>;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await next('connected');
  return { socket, frames, closed, next };
}

const message = (source: string, target: string, id: string, trace = 'trace-1'): LiveEvent => ({
  kind: 'message',
  topic: `agent-queue-${target}`,
  partition: 0,
  offset: '1',
  timeMs: 1_796_000_000_000,
  value: sampleTask({ message_id: id, source_agent: source, target_agent: target, trace_id: trace }),
});
const error = (agent: string, id: string, trace = 'trace-1'): LiveEvent => ({
  kind: 'error',
  topic: 'agent-telemetry-errors',
  partition: 0,
  offset: '1',
  timeMs: 1_796_000_000_000,
  value: sampleError({ error_id: id, agent_name: agent, trace_id: trace }),
});

describe('/ws/debug/{client_id}', () => {
  it('answers ping, confirms subscriptions and pushes what matches them, to both kinds', async () => {
    const port = await start();
    const coder = await connect(port, 'c1');
    const errorsOfWriter = await connect(port, 'c2');
    const everything = await connect(port, 'c3');
    coder.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await coder.next('pong')).toMatchObject({ type: 'pong' });
    coder.socket.send(JSON.stringify({ type: 'subscribe', agent_names: ['coder'] }));
    expect(await coder.next('subscription_updated')).toEqual({
      type: 'subscription_updated',
      subscription: { trace_ids: [], agent_names: ['coder'], event_types: [] },
    });
    errorsOfWriter.socket.send(
      JSON.stringify({ type: 'subscribe', agent_names: ['writer'], event_types: ['error'] }),
    );
    await errorsOfWriter.next('subscription_updated');

    hub.publish(message('orchestrator', 'coder', 'm1'));
    hub.publish(message('coder', 'orchestrator', 'm2'));
    hub.publish(message('orchestrator', 'writer', 'm3'));
    hub.publish(error('writer', 'e1'));
    hub.publish(error('coder', 'e2'));
    hub.publish(message('orchestrator', 'coder', 'm4', 'trace-2'));

    const pushed = async (client: Client, count: number) => {
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const frame = client.frames.filter((f) => f.type === 'agent_queue_message' || f.type === 'error')[i];
        if (frame === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          i--;
          continue;
        }
        out.push(String(frame.message_id ?? frame.error_id));
      }
      return out;
    };
    expect(await pushed(coder, 4)).toEqual(['m1', 'm2', 'e2', 'm4']);
    expect(await pushed(errorsOfWriter, 1)).toEqual(['e1']);
    expect(await pushed(everything, 6)).toEqual(['m1', 'm2', 'm3', 'e1', 'e2', 'm4']);
    const first = everything.frames.find((f) => f.message_id === 'm1');
    expect(first).toMatchObject({
      type: 'agent_queue_message',
      queue_topic: 'agent-queue-coder',
      message_type: 'task',
      source_agent: 'orchestrator',
      target_agent: 'coder',
      payload: { goal: 'summarize the incident', step: 1 },
    });
    const anError = everything.frames.find((f) => f.error_id === 'e1');
    expect(anError).toMatchObject({
      type: 'error',
      severity: 'error',
      category: 'llm_error',
      message: 'rate limit exceeded for model llama3.1:8b',
      agent_name: 'writer',
    });

    coder.socket.send(JSON.stringify({ type: 'subscribe', trace_ids: ['trace-2'] }));
    await coder.next('subscription_updated');
    hub.publish(message('orchestrator', 'coder', 'm5', 'trace-1'));
    hub.publish(error('writer', 'e3', 'trace-2'));
    expect((await pushed(coder, 5))[4]).toBe('e3');
    // the errors-of-writer client has seen e1 and e3, and nothing of coder
    expect(await pushed(errorsOfWriter, 2)).toEqual(['e1', 'e3']);
  });

  it('answers bad input with a protocol_error frame and keeps the connection usable', async () => {
    const port = await start({ API_WS_MAX_MESSAGE_BYTES: '1024' });
    const client = await connect(port, 'bad-input');
    client.socket.send('not json {');
    expect(String((await client.next('protocol_error')).detail)).toContain('not JSON');
    client.socket.send(JSON.stringify({ type: 'subscribe', event_types: ['everything'] }));
    expect(String((await client.next('protocol_error')).detail)).toContain('event_types');
    client.socket.send(JSON.stringify({ type: 'dance' }));
    expect(await client.next('protocol_error')).toMatchObject({ type: 'protocol_error' });
    client.socket.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(5_000) }));
    expect(String((await client.next('protocol_error')).detail)).toContain('over the limit');
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(String((await client.next('protocol_error')).detail)).toContain('binary');
    client.socket.send(JSON.stringify({ type: 'ping' }));
    expect((await client.next('pong')).type).toBe('pong');
  });

  it('listens to the live feed only while a client is connected, so that the tap can pause', async () => {
    const watched: boolean[] = [];
    const stop = hub.onWatched((value) => watched.push(value));
    try {
      const port = await start();
      expect(hub.watched).toBe(false);
      const first = await connect(port, 'first');
      const second = await connect(port, 'second');
      expect(hub.listeners).toBe(1);
      first.socket.close();
      await first.closed;
      expect(hub.watched).toBe(true);
      second.socket.close();
      await second.closed;
      await expect.poll(() => hub.watched).toBe(false);
      expect(watched).toEqual([true, false]);
    } finally {
      stop();
    }
  });

  it('replaces the connection of a reused client id, and keeps the new one', async () => {
    const port = await start();
    const old = await connect(port, 'same');
    const fresh = await connect(port, 'same');
    expect(await old.closed).toEqual({
      code: 4000,
      reason: 'replaced by a new connection with the same client id',
    });
    hub.publish(message('a', 'b', 'after-replace'));
    expect((await fresh.next('agent_queue_message')).message_id).toBe('after-replace');
  });

  it('disconnects a client that does not read, without holding back the others', async () => {
    const port = await start({ API_WS_MAX_BUFFERED_BYTES: '65536' });
    const slow = await connect(port, 'slow');
    const fast = await connect(port, 'fast');
    const disconnected = async () =>
      ((await api?.metrics.wsDisconnects.get())?.values.find((v) => v.labels.reason === 'slow_consumer')
        ?.value ?? 0) > 0;
    // stop reading: once the kernel's socket buffers are full, the server's own buffer grows past the bound
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'y'.repeat(16_384);
    let published = 0;
    while (!(await disconnected()) && published < 4_000) {
      for (let i = 0; i < 20; i++, published++) {
        const event = message('orchestrator', 'coder', `bulk-${published}`);
        if (event.kind === 'message') event.value.payload = JSON.stringify({ big });
        hub.publish(event);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const received = () => fast.frames.filter((f) => f.type === 'agent_queue_message').length;
    while (received() < published) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fast.frames.filter((f) => f.type === 'agent_queue_message').at(-1)?.message_id).toBe(
      `bulk-${published - 1}`,
    );
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(4001);
    const disconnects = await api?.metrics.wsDisconnects.get();
    expect(disconnects?.values.find((v) => v.labels.reason === 'slow_consumer')?.value).toBe(1);
  }, 60_000);

  it('refuses a malformed client id and, with auth on, a missing token', async () => {
    const port = await start({ API_AUTH_TOKEN: 'a-very-secret-token-123' });
    const refused = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(url, { headers });
        socket.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
        });
        socket.on('open', () => {
          resolve(101);
          socket.close();
        });
        socket.on('error', () => undefined);
      });
    expect(await refused(`ws://127.0.0.1:${port}/ws/debug/ok-id`)).toBe(401);
    expect(
      await refused(`ws://127.0.0.1:${port}/ws/debug/ok-id`, {
        authorization: 'Bearer a-very-secret-token-123',
      }),
    ).toBe(101);
    expect(await refused(`ws://127.0.0.1:${port}/ws/debug/ok-id?access_token=a-very-secret-token-123`)).toBe(
      101,
    );
    expect(await refused(`ws://127.0.0.1:${port}/ws/debug/-bad?access_token=a-very-secret-token-123`)).toBe(
      400,
    );
  });
});
