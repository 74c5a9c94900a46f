/**
 * One bound on the live streams the API holds open at once: WebSocket clients, Server-Sent Event
 * streams and GraphQL subscriptions each take a slot (`API_WS_MAX_CLIENTS` in all), so no kind of
 * stream can be opened past the limit through another door.
 */
export class LiveBudget {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  get max(): number {
    return this.#max;
  }

  /** A slot and its idempotent release, or `undefined` when every slot is taken. */
  acquire(): (() => void) | undefined {
    if (this.#used >= this.#max) return undefined;
    this.#used += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= 1;
    };
  }
}
