import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { RateLimiter } from '../http/guards.js';
import type { LiveBudget } from '../http/live-budget.js';
import type { LiveEvent, LiveFeed } from '../live-feed.js';
import type { ApiMetrics } from '../metrics.js';
import { liveError, liveMessage } from '../read-models/shapes.js';
import { ClientFrame, EMPTY_SUBSCRIPTION, matches, type Subscription } from './subscription.js';

const PATH = /^\/ws\/debug\/([A-Za-z0-9][A-Za-z0-9._:-]{0,127})\/?$/;
/** Close codes (4000–4999 are the application's). */
export const CloseCode = { REPLACED: 4000, SLOW_CONSUMER: 4001, SHUTDOWN: 1001, TOO_BIG: 1009 } as const;
const HEARTBEAT_MS = 30_000;

export interface DebugSocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  readonly clients: number;
  close(): Promise<void>;
}

interface Client {
  id: string;
  socket: WebSocket;
  subscription: Subscription;
  alive: boolean;
  /** Frees the client's slot of the live budget (kept by a client that replaces it). */
  release: () => void;
}

/** The push frame of a live record, serialized once and shared by every client it goes to. */
export function pushFrame(event: LiveEvent): string {
  if (event.kind === 'message') {
    const message = liveMessage(event);
    return JSON.stringify({ type: 'agent_queue_message', ...message, queue_topic: event.topic });
  }
  const error = liveError(event);
  return JSON.stringify({ type: 'error', ...error, message: error.error_message });
}

/**
 * `/ws/debug/{client_id}`: the contract's protocol over the live feed. Every client has its own
 * subscription; a record is serialized once and handed to the socket of every client it matches.
 * The socket buffers what the peer has not read yet; above `wsMaxBufferedBytes` the client is
 * disconnected (close 4001), so a slow reader costs bounded memory and never delays the others.
 * A second connection with a client id in use replaces the first (close 4000), as a reconnecting
 * client expects. Bad input gets a `protocol_error` frame and the connection stays usable; frames
 * above the size limit get the same, far larger ones are refused by the WebSocket layer (1009).
 */
export function createDebugSocketServer(options: {
  config: Config;
  logger: Logger;
  feed: LiveFeed;
  metrics: ApiMetrics;
  /** Shared with the event streams and GraphQL subscriptions. */
  budget: LiveBudget;
}): DebugSocketServer {
  const { config, logger, metrics, budget } = options;
  // subscribe frames are requests too: counted per client id against the API's rate limit
  const frameLimiter = new RateLimiter(config.api.rateLimitPerMinute);
  const limit = config.api.wsMaxMessageBytes;
  const wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(limit * 4, 1_048_576) });
  const clients = new Map<string, Client>();

  const send = (client: Client, frame: string): void => {
    if (client.socket.readyState !== client.socket.OPEN) return;
    // the backlog is bounded by the limit plus one frame: a frame larger than the limit still goes to a
    // client that has read everything before it
    if (client.socket.bufferedAmount > config.api.wsMaxBufferedBytes) {
      metrics.wsDisconnects.inc({ reason: 'slow_consumer' });
      logger.warn(
        { client: client.id, buffered: client.socket.bufferedAmount },
        'slow WebSocket client disconnected',
      );
      client.socket.close(CloseCode.SLOW_CONSUMER, 'slow consumer: too much unread data');
      // a peer that reads nothing may never complete the closing handshake either
      setTimeout(() => {
        client.socket.terminate();
      }, 1_000).unref();
      return;
    }
    client.socket.send(frame);
  };

  // the feed is listened to only while a client is connected: the tap reads Kafka only while someone listens
  let unsubscribe: (() => void) | undefined;
  const listen = (): void => {
    if (clients.size > 0) {
      unsubscribe ??= options.feed.subscribe((event) => {
        let frame: string | undefined;
        for (const client of clients.values()) {
          if (!matches(client.subscription, event)) continue;
          frame ??= pushFrame(event);
          send(client, frame);
        }
      });
    } else if (unsubscribe !== undefined) {
      unsubscribe();
      unsubscribe = undefined;
    }
  };

  const protocolError = (client: Client, detail: string): void => {
    send(client, JSON.stringify({ type: 'protocol_error', detail }));
  };

  const onMessage = (client: Client, data: RawData, isBinary: boolean): void => {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (size > limit) {
      protocolError(client, `message of ${size} bytes is over the limit of ${limit} bytes`);
      return;
    }
    if (isBinary) {
      protocolError(client, 'binary frames are not accepted: send JSON text');
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      protocolError(client, 'not JSON: send {"type":"subscribe",…} or {"type":"ping"}');
      return;
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      protocolError(client, `${issue?.path.join('.') || 'type'}: ${issue?.message ?? 'invalid frame'}`);
      return;
    }
    const frame = parsed.data;
    if (frame.type === 'ping') {
      send(client, JSON.stringify({ type: 'pong', timestamp: new Date().toISOString() }));
      return;
    }
    const waitSeconds = frameLimiter.take(client.id);
    if (waitSeconds > 0) {
      protocolError(
        client,
        `rate limit exceeded (API_RATE_LIMIT_PER_MINUTE=${config.api.rateLimitPerMinute}): subscription unchanged, retry in ${waitSeconds} s`,
      );
      return;
    }
    client.subscription = {
      trace_ids: [...new Set(frame.trace_ids ?? [])],
      agent_names: [...new Set(frame.agent_names ?? [])],
      event_types: [...new Set(frame.event_types ?? [])],
    };
    send(client, JSON.stringify({ type: 'subscription_updated', subscription: client.subscription }));
  };

  const heartbeat = setInterval(() => {
    for (const client of clients.values()) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const refuse = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };

  return {
    get clients() {
      return clients.size;
    },
    handleUpgrade(req, socket, head, url) {
      const match = PATH.exec(url.pathname);
      if (match?.[1] === undefined) {
        refuse(socket, url.pathname.startsWith('/ws/debug/') ? '400 Bad Request' : '404 Not Found');
        return;
      }
      const id = match[1];
      // a reconnecting client takes over the slot of the connection it replaces
      const release = clients.has(id) ? () => undefined : budget.acquire();
      if (release === undefined) {
        refuse(socket, '503 Service Unavailable');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const previous = clients.get(id);
        let slot = release;
        if (previous !== undefined) {
          slot = previous.release;
          previous.release = release;
          clients.delete(id);
          metrics.wsDisconnects.inc({ reason: 'replaced' });
          previous.socket.close(CloseCode.REPLACED, 'replaced by a new connection with the same client id');
        }
        const client: Client = {
          id,
          socket: ws,
          subscription: EMPTY_SUBSCRIPTION,
          alive: true,
          release: slot,
        };
        clients.set(id, client);
        metrics.wsClients.set(clients.size);
        listen();
        ws.on('pong', () => {
          client.alive = true;
        });
        ws.on('message', (data, isBinary) => {
          onMessage(client, data, isBinary);
        });
        ws.on('error', (error) => {
          logger.debug({ client: id, err: error }, 'WebSocket error');
          ws.terminate();
        });
        ws.on('close', () => {
          client.release();
          if (clients.get(id) === client) clients.delete(id);
          metrics.wsClients.set(clients.size);
          listen();
        });
        send(client, JSON.stringify({ type: 'connected', client_id: id, subscription: client.subscription }));
      });
    },
    async close() {
      clearInterval(heartbeat);
      unsubscribe?.();
      unsubscribe = undefined;
      for (const client of clients.values()) {
        client.release();
        client.socket.close(CloseCode.SHUTDOWN, 'server shutting down');
      }
      clients.clear();
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}
