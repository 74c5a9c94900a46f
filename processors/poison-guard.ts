/**
 * Watches the share of poison messages over the last `window` messages. Above `maxRatio` (once at
 * least `minMessages` were seen) the processor stops with a clear error instead of dead-lettering
 * everything: a wrong schema registry or a producer writing another format is an incident, not noise.
 */
export class PoisonGuard {
  readonly #window: Uint8Array;
  #next = 0;
  #seen = 0;
  #poison = 0;

  constructor(private readonly options: { window: number; maxRatio: number; minMessages: number }) {
    this.#window = new Uint8Array(Math.max(1, options.window));
  }

  /** Records one message; returns true when the ratio is exceeded. */
  record(isPoison: boolean): boolean {
    const slot = this.#next;
    if (this.#seen >= this.#window.length) this.#poison -= this.#window[slot] ?? 0;
    else this.#seen += 1;
    this.#window[slot] = isPoison ? 1 : 0;
    this.#poison += isPoison ? 1 : 0;
    this.#next = (slot + 1) % this.#window.length;
    return this.#seen >= this.options.minMessages && this.ratio() > this.options.maxRatio;
  }

  ratio(): number {
    return this.#seen === 0 ? 0 : this.#poison / this.#seen;
  }

  get seen(): number {
    return this.#seen;
  }
}
