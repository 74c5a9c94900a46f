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

/** The in-process fan-out between the Kafka tap and WebSocket clients or GraphQL subscriptions. */
export class LiveHub implements LiveFeed {
  readonly #listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  publish(event: LiveEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}
