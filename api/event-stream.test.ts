import { describe, expect, it } from 'vitest';
import { testLogger } from '../lib/test-support/helpers.js';
import { sampleError, sampleTask } from '../schemas/test-support/fixtures.js';
import { createEventStreams, streamSubscription } from './event-stream.js';
import { HttpError } from './http/http-error.js';
import { LiveHub, type LiveEvent } from './live-feed.js';
import { LiveBudget } from './http/live-budget.js';

const message = (id: string, source: string, target: string): LiveEvent => ({
  kind: 'message',
  topic: `agent-queue-${target}`,
  partition: 0,
  offset: '1',
  timeMs: 1_796_000_000_000,
  value: sampleTask({ message_id: id, source_agent: source, target_agent: target }),
});
const error = (id: string, agent: string): LiveEvent => ({
  kind: 'error',
  topic: 'agent-telemetry-errors',
  partition: 0,
  offset: '1',
  timeMs: 1_796_000_000_000,
  value: sampleError({ error_id: id, agent_name: agent }),
});

async function readEvents(body: ReadableStream<Uint8Array> | null, count: number): Promise<string[]> {
  if (body === null) throw new Error('no body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const events: string[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const parts = text.split('\n\n');
    text = parts.pop() ?? '';
    events.push(...parts.filter((part) => !part.startsWith(':')));
  }
  reader.releaseLock();
  return events;
}

describe('event stream (SSE)', () => {
  it('takes its filters from the query and names a bad parameter', () => {
    const url = new URL(
      'http://x/api/v1/events/stream?agent_name=coder,writer&agent_name=coder&event_type=error',
    );
    expect(streamSubscription(url)).toEqual({
      trace_ids: [],
      agent_names: ['coder', 'writer'],
      event_types: ['error'],
    });
    try {
      streamSubscription(new URL('http://x/?event_type=errors'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).parameter).toBe('event_type');
      expect((e as HttpError).status).toBe(400);
    }
  });

  it('sends the matching records as events, and stops when the client goes away', async () => {
    const hub = new LiveHub();
    const streams = createEventStreams({
      feed: hub,
      maxBufferedBytes: 1_000_000,
      budget: new LiveBudget(10),
      logger: testLogger(),
    });
    const abort = new AbortController();
    const response = streams.open(new URL('http://x/?agent_name=writer'), abort.signal);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    hub.publish(message('m-1', 'orchestrator', 'coder'));
    hub.publish(message('m-2', 'orchestrator', 'writer'));
    hub.publish(error('e-1', 'coder'));
    hub.publish(error('e-2', 'writer'));
    const events = await readEvents(response.body, 3);
    expect(events[0]).toMatch(/^event: connected\n/);
    expect(events.slice(1).map((e) => e.split('\n')[0])).toEqual([
      'event: agent_queue_message',
      'event: error',
    ]);
    const data = events
      .slice(1)
      .map((e) => JSON.parse((e.split('\n')[1] ?? '').slice('data: '.length)) as Record<string, unknown>);
    expect(data.map((d) => d.message_id ?? d.error_id)).toEqual(['m-2', 'e-2']);
    expect(streams.clients).toBe(1);
    expect(hub.listeners).toBe(1);
    abort.abort();
    expect(streams.clients).toBe(0);
    expect(hub.listeners).toBe(0);
  });

  it('cuts off a client that does not read, without holding back the others', async () => {
    const hub = new LiveHub();
    const streams = createEventStreams({
      feed: hub,
      maxBufferedBytes: 4_000,
      budget: new LiveBudget(10),
      logger: testLogger(),
    });
    const slow = streams.open(new URL('http://x/'), new AbortController().signal);
    const fast = streams.open(new URL('http://x/'), new AbortController().signal);
    const reading = readEvents(fast.body, 41);
    for (let i = 0; i < 40; i++) {
      hub.publish(message(`m-${i}`, 'orchestrator', 'coder'));
      // the reading client gets its turn between records, as between Kafka batches
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await reading).length).toBe(41);
    expect(streams.clients).toBe(1);
    // what was queued before the cut-off is still delivered, then the stream ends
    const rest = await readEvents(slow.body, 1_000);
    expect(rest.length).toBeGreaterThan(1);
    expect(rest.length).toBeLessThan(41);
  });

  it('refuses streams beyond the client limit with a 503', () => {
    const streams = createEventStreams({
      feed: new LiveHub(),
      maxBufferedBytes: 1_000,
      budget: new LiveBudget(1),
      logger: testLogger(),
    });
    streams.open(new URL('http://x/'), new AbortController().signal);
    const refused = streams.open(new URL('http://x/'), new AbortController().signal);
    expect(refused.status).toBe(503);
    streams.close();
    expect(streams.clients).toBe(0);
  });
});
