import type { Logger } from './logger.js';

/** Wraps a close function so every call after the first returns the first call's promise. */
export function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

export interface LifecycleOptions {
  logger: Logger;
  /** Whole shutdown must finish within this many milliseconds, else the process exits 1. */
  deadlineMs: number;
  /** Defaults to SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Injected for tests; defaults to `process`. */
  processLike?: Pick<NodeJS.Process, 'once' | 'removeListener' | 'exit'>;
}

interface Part {
  name: string;
  close: () => Promise<void>;
}

/**
 * The one owner of process signals in a process. Parts are registered as they are built and closed in
 * reverse order on the first signal (or on `shutdown()`), under one deadline. A second signal while
 * shutting down exits at once with code 130.
 */
export class Lifecycle {
  readonly #logger: Logger;
  readonly #deadlineMs: number;
  readonly #signals: readonly NodeJS.Signals[];
  readonly #process: Pick<NodeJS.Process, 'once' | 'removeListener' | 'exit'>;
  readonly #parts: Part[] = [];
  readonly #handlers = new Map<NodeJS.Signals, () => void>();
  #shutdown: Promise<number> | undefined;

  constructor(options: LifecycleOptions) {
    this.#logger = options.logger;
    this.#deadlineMs = options.deadlineMs;
    this.#signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    this.#process = options.processLike ?? process;
  }

  /** Registers a part to close on shutdown; parts close last-added first. */
  add(name: string, close: () => Promise<void>): void {
    this.#parts.push({ name, close: closeOnce(close) });
  }

  get shuttingDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Installs the signal handlers; on a signal, shuts down and exits with the resulting code. */
  installSignalHandlers(): void {
    for (const signal of this.#signals) {
      const handler = (): void => {
        if (this.#shutdown !== undefined) {
          this.#logger.warn({ signal }, 'second signal during shutdown: exiting now');
          this.#process.exit(130);
          return;
        }
        this.#logger.info({ signal }, 'signal received: shutting down');
        void this.shutdown(signal).then((code) => this.#process.exit(code));
        // keep listening so a second signal can force the exit
        this.#process.once(signal, handler);
      };
      this.#handlers.set(signal, handler);
      this.#process.once(signal, handler);
    }
  }

  /** Closes every part in reverse order. Idempotent. Resolves to the exit code (0 clean, 1 otherwise). */
  shutdown(reason = 'shutdown'): Promise<number> {
    this.#shutdown ??= this.#run(reason);
    return this.#shutdown;
  }

  async #run(reason: string): Promise<number> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => {
        resolve('deadline');
      }, this.#deadlineMs);
      timer.unref();
    });
    const closeAll = async (): Promise<boolean> => {
      let clean = true;
      for (const part of [...this.#parts].reverse()) {
        try {
          await part.close();
          this.#logger.debug({ part: part.name }, 'closed');
        } catch (error) {
          clean = false;
          this.#logger.error({ part: part.name, err: error }, 'close failed');
        }
      }
      return clean;
    };
    const outcome = await Promise.race([closeAll(), deadline]);
    clearTimeout(timer);
    for (const [signal, handler] of this.#handlers) this.#process.removeListener(signal, handler);
    if (outcome === 'deadline') {
      this.#logger.error({ reason, deadlineMs: this.#deadlineMs }, 'shutdown deadline exceeded');
      return 1;
    }
    this.#logger.info({ reason, ms: Date.now() - started, clean: outcome }, 'shutdown complete');
    return outcome ? 0 : 1;
  }
}
