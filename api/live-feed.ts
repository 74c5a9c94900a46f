import type { AgentMessage, DetailedError } from '../schemas/records.js';

/**
 * One record observed on Kafka by the API's own tap, with where it came from and `timeMs`, the time
 * it is stored under (its sender's timestamp unless that cannot be right, `schemas/times.ts`).
 */
export type LiveEvent =
  | { kind: 'message'; topic: string; partition: number; offset: string; timeMs: number; value: AgentMessage }
  | { kind: 'error'; topic: string; partition: number; offset: string; timeMs: number; value: DetailedError };

export type LiveListener = (event: LiveEvent) => void;

/** Live records fan out to listeners; each listener must return quickly and never throw. */
export interface LiveFeed {
  subscribe(listener: LiveListener): () => void;
}

/**
 * The in-process fan-out between the Kafka tap and WebSocket clients or GraphQL subscriptions. It
 * tells whoever asks ({@link LiveHub.onWatched}) when it gains its first listener and loses its last,
 * so that the tap reads Kafka only while someone listens.
 */
export class LiveHub implements LiveFeed {
  readonly #listeners = new Set<LiveListener>();
  readonly #watchers = new Set<(watched: boolean) => void>();

  subscribe(listener: LiveListener): () => void {
    const wrapped: LiveListener = (event) => {
      listener(event);
    };
    this.#listeners.add(wrapped);
    if (this.#listeners.size === 1) this.#notify(true);
    return () => {
      if (this.#listeners.delete(wrapped) && this.#listeners.size === 0) this.#notify(false);
    };
  }

  publish(event: LiveEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Whether anyone listens. */
  get watched(): boolean {
    return this.#listeners.size > 0;
  }

  /** `callback(true)` when the first listener comes, `callback(false)` when the last one goes. */
  onWatched(callback: (watched: boolean) => void): () => void {
    this.#watchers.add(callback);
    return () => {
      this.#watchers.delete(callback);
    };
  }

  #notify(watched: boolean): void {
    for (const callback of this.#watchers) callback(watched);
  }
}
