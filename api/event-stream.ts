import type { Logger } from '../lib/logger.js';
import { badParameter } from './http/http-error.js';
import type { LiveBudget } from './http/live-budget.js';
import type { LiveFeed } from './live-feed.js';
import type { ApiMetrics } from './metrics.js';
import { pushFrame } from './ws/debug-socket.js';
import { EventType, matches, type Subscription } from './ws/subscription.js';

/**
 * `GET /api/v1/events/stream`: the WebSocket feed's records as Server-Sent Events, for clients
 * that only speak HTTP (curl, EventSource). The filters are query parameters, each a
 * comma-separated list or repeated: `trace_id`, `agent_name`, `event_type`
 * (`agent_queue_message`, `error`). Every event is `event: <type>` with the same JSON as the
 * WebSocket push frame as its data; a comment line every `heartbeatMs` keeps proxies from
 * closing an idle stream. A client that does not read is cut off once `maxBufferedBytes` wait for
 * it, as on the WebSocket, and never slows the others.
 */
export interface EventStreams {
  /** The streaming response for a request, or a 400 naming a bad parameter (thrown as HttpError). */
  open(url: URL, signal: AbortSignal): Response;
  /** Ends every open stream (on shutdown). */
  close(): void;
  readonly clients: number;
}

export const EVENT_STREAM_PATH = '/api/v1/events/stream';

const EVENT_TYPES = Object.values(EventType) as string[];
const MAX_FILTER_ITEMS = 1_000;

function list(url: URL, name: string): string[] {
  const values = url.searchParams
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.length > MAX_FILTER_ITEMS) throw badParameter(name, `at most ${MAX_FILTER_ITEMS} values`);
  const long = values.find((value) => value.length > 256);
  if (long !== undefined) throw badParameter(name, 'a value is longer than 256 characters');
  return [...new Set(values)];
}

/** The subscription the query parameters ask for; a bad one is a 400 naming the parameter. */
export function streamSubscription(url: URL): Subscription {
  const eventTypes = list(url, 'event_type');
  const unknown = eventTypes.find((type) => !EVENT_TYPES.includes(type));
  if (unknown !== undefined) {
    throw badParameter('event_type', `"${unknown}" is not one of ${EVENT_TYPES.join(', ')}`);
  }
  return {
    trace_ids: list(url, 'trace_id'),
    agent_names: list(url, 'agent_name'),
    event_types: eventTypes as EventType[],
  };
}

export function createEventStreams(options: {
  feed: LiveFeed;
  maxBufferedBytes: number;
  /** Shared with the WebSocket clients and GraphQL subscriptions. */
  budget: LiveBudget;
  logger: Logger;
  metrics?: ApiMetrics;
  heartbeatMs?: number;
}): EventStreams {
  const { feed, maxBufferedBytes, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const encoder = new TextEncoder();
  const open = new Set<() => void>();

  return {
    get clients() {
      return open.size;
    },
    close() {
      for (const end of [...open]) end();
    },
    open(url, signal) {
      const subscription = streamSubscription(url);
      const release = options.budget.acquire();
      if (release === undefined) {
        return new Response(
          JSON.stringify({
            detail: `too many live streams (API_WS_MAX_CLIENTS=${options.budget.max}), retry later`,
          }),
          {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': '5' },
          },
        );
      }
      let end: () => void = () => undefined;
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            let ended = false;
            const push = (text: string): void => {
              if (ended) return;
              // desiredSize falls below zero by what waits unread beyond the high-water mark
              if ((controller.desiredSize ?? 0) <= 0) {
                logger.warn({ buffered: maxBufferedBytes }, 'event stream client too slow: disconnected');
                options.metrics?.wsDisconnects.inc({ reason: 'sse_slow_client' });
                end();
                return;
              }
              controller.enqueue(encoder.encode(text));
            };
            const unsubscribe = feed.subscribe((event) => {
              if (!matches(subscription, event)) return;
              const type = event.kind === 'message' ? EventType.AGENT_QUEUE_MESSAGE : EventType.ERROR;
              push(`event: ${type}\ndata: ${pushFrame(event)}\n\n`);
            });
            const heartbeat = setInterval(() => {
              push(`: keep-alive ${new Date().toISOString()}\n\n`);
            }, heartbeatMs);
            heartbeat.unref();
            end = () => {
              if (ended) return;
              ended = true;
              release();
              open.delete(end);
              unsubscribe();
              clearInterval(heartbeat);
              try {
                controller.close();
              } catch {
                // already closed by the client going away
              }
            };
            open.add(end);
            signal.addEventListener('abort', end, { once: true });
            push(`event: connected\ndata: ${JSON.stringify({ type: 'connected', subscription })}\n\n`);
          },
          cancel() {
            end();
          },
        },
        new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }),
      );
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        },
      });
    },
  };
}
