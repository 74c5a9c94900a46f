/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. The clock is injected so tests
 * can move time.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#updatedAt = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed / 1000) * this.#rate);
    this.#updatedAt = now;
  }

  /** Whether a token is available, without taking it. */
  canTake(): boolean {
    this.#refill();
    return this.#tokens >= 1;
  }

  /** Takes a token if one is available. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Takes a token even when none is left (kept errors count against the budget too). */
  forceTake(): void {
    this.#refill();
    this.#tokens = Math.max(this.#tokens - 1, -this.#burst);
  }

  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }
}
