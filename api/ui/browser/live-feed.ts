/// <reference lib="dom" />
import { debugSocketUrl } from './api-client.js';
import { badge, formatTime, h, replace } from './dom.js';

/** Entries kept on screen: a storm of errors must not grow the page without bound. */
export const FEED_LIMIT = 200;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

interface FeedEntry {
  kind: 'message' | 'error';
  at: string;
  agents: string[];
  element: HTMLLIElement;
  heartbeat: boolean;
}

type Frame = Record<string, unknown> & { type?: unknown };

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const SEVERITY_TONE: Readonly<Record<string, string>> = { critical: 'bad', error: 'bad', warning: 'warn' };

function isoOf(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString();
  return text(value) === '' ? new Date().toISOString() : text(value);
}

function entryOf(frame: Frame): FeedEntry | undefined {
  if (frame.type === 'error') {
    const agent = text(frame.agent_name);
    const severity = text(frame.severity);
    const element = h(
      'li',
      { class: 'feed-error', 'data-error-id': text(frame.error_id), 'data-agent': agent },
      h('time', {}, formatTime(isoOf(frame.timestamp))),
      ' ',
      badge(severity, SEVERITY_TONE[severity] ?? 'muted'),
      ' ',
      h('strong', {}, agent),
      ` ${text(frame.error_type)}: ${text(frame.message)}`,
    );
    return { kind: 'error', at: isoOf(frame.timestamp), agents: [agent], element, heartbeat: false };
  }
  if (frame.type === 'agent_queue_message') {
    const type = text(frame.message_type);
    const source = text(frame.source_agent);
    const target = text(frame.target_agent);
    const reason = text(frame.reason);
    const element = h(
      'li',
      { class: `feed-message feed-${type}`, 'data-message-id': text(frame.message_id), 'data-agent': target },
      h('time', {}, formatTime(isoOf(frame.timestamp))),
      ' ',
      badge(type, type === 'error' ? 'bad' : 'muted'),
      ` ${source} → ${target}`,
      reason === '' ? null : h('small', {}, ` ${reason}`),
    );
    return {
      kind: 'message',
      at: isoOf(frame.timestamp),
      agents: [source, target],
      element,
      heartbeat: type === 'heartbeat',
    };
  }
  return undefined;
}

function clientId(): string {
  // crypto.randomUUID needs a secure context; a cluster's plain-http address is not one
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The live feed over `/ws/debug/{client_id}`: every queue message and error as the API's Kafka tap
 * sees them, newest first, at most FEED_LIMIT kept; reconnects with backoff when the socket drops.
 */
export class LiveFeed {
  readonly element: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #status: HTMLSpanElement;
  readonly #filter: HTMLInputElement;
  readonly #errorsOnly: HTMLInputElement;
  readonly #heartbeats: HTMLInputElement;
  readonly #pause: HTMLButtonElement;
  readonly #entries: FeedEntry[] = [];
  #socket: WebSocket | undefined;
  #paused = false;
  #backoff = RECONNECT_MIN_MS;
  #timer: number | undefined;
  #stopped = true;

  constructor() {
    this.#status = h('span', { class: 'feed-status', 'data-state': 'idle' }, 'not connected');
    this.#filter = h('input', {
      type: 'search',
      placeholder: 'agent filter',
      'aria-label': 'filter the feed by agent',
    });
    this.#errorsOnly = h('input', { type: 'checkbox', id: 'feed-errors-only' });
    this.#heartbeats = h('input', { type: 'checkbox', id: 'feed-heartbeats' });
    this.#pause = h('button', { type: 'button' }, 'pause');
    this.#list = h('ol', { class: 'feed', id: 'live-feed' });
    for (const control of [this.#filter, this.#errorsOnly, this.#heartbeats]) {
      control.addEventListener('input', () => {
        this.#applyFilter();
      });
    }
    this.#pause.addEventListener('click', () => {
      this.#paused = !this.#paused;
      this.#pause.textContent = this.#paused ? 'resume' : 'pause';
    });
    this.element = h(
      'div',
      {},
      h(
        'div',
        { class: 'controls' },
        this.#status,
        this.#filter,
        h('label', {}, this.#errorsOnly, ' errors only'),
        h('label', {}, this.#heartbeats, ' heartbeats'),
        this.#pause,
      ),
      this.#list,
    );
  }

  /** (Re)connects, e.g. after the user gave a token. */
  /** Whether the feed is on (connected or reconnecting). */
  get started(): boolean {
    return !this.#stopped;
  }

  start(): void {
    this.stop();
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) window.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket?.close(1000, 'page closed the feed');
    this.#socket = undefined;
    this.#setStatus('idle', 'not connected');
  }

  #setStatus(state: string, label: string): void {
    this.#status.dataset.state = state;
    this.#status.textContent = label;
  }

  #connect(): void {
    this.#setStatus('connecting', 'connecting…');
    const socket = new WebSocket(debugSocketUrl(clientId()));
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#backoff = RECONNECT_MIN_MS;
      this.#setStatus('live', 'live');
      // empty lists mean everything; filtering happens on the page, so it can change without a round trip
      socket.send(JSON.stringify({ type: 'subscribe', trace_ids: [], agent_names: [], event_types: [] }));
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      let frame: Frame;
      try {
        frame = JSON.parse(event.data) as Frame;
      } catch {
        return;
      }
      this.#onFrame(frame);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket || this.#stopped) return;
      const wait = this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, RECONNECT_MAX_MS);
      this.#setStatus('down', `disconnected, retrying in ${Math.ceil(wait / 1000)} s`);
      this.#timer = window.setTimeout(() => {
        this.#connect();
      }, wait);
    });
  }

  #onFrame(frame: Frame): void {
    if (frame.type === 'protocol_error') {
      this.#setStatus('down', `protocol error: ${text(frame.detail)}`);
      return;
    }
    if (this.#paused) return;
    const entry = entryOf(frame);
    if (entry === undefined) return;
    this.#entries.unshift(entry);
    this.#list.prepend(entry.element);
    entry.element.hidden = !this.#visible(entry);
    while (this.#entries.length > FEED_LIMIT) this.#entries.pop()?.element.remove();
  }

  #visible(entry: FeedEntry): boolean {
    const filter = this.#filter.value.trim().toLowerCase();
    if (this.#errorsOnly.checked && entry.kind !== 'error') return false;
    if (entry.heartbeat && !this.#heartbeats.checked) return false;
    return filter === '' || entry.agents.some((a) => a.toLowerCase().includes(filter));
  }

  #applyFilter(): void {
    for (const entry of this.#entries) entry.element.hidden = !this.#visible(entry);
  }

  clear(): void {
    this.#entries.length = 0;
    replace(this.#list);
  }
}
