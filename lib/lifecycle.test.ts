import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Lifecycle, closeOnce } from './lifecycle.js';
import { createLogger } from './logger.js';

const silent = createLogger({
  level: 'silent',
  component: 'test',
  destination: new Writable({
    write: (_c, _e, done) => {
      done();
    },
  }),
});

describe('Lifecycle', () => {
  it('closes parts in reverse order, once, and resolves 0 when clean', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle({ logger: silent, deadlineMs: 1_000 });
    lifecycle.add('kafka', () => {
      order.push('kafka');
      return Promise.resolve();
    });
    lifecycle.add('clickhouse', () => {
      order.push('clickhouse');
      return Promise.resolve();
    });
    const [first, second] = await Promise.all([lifecycle.shutdown(), lifecycle.shutdown()]);
    expect([first, second]).toEqual([0, 0]);
    expect(order).toEqual(['clickhouse', 'kafka']);
  });

  it('keeps closing after a failure and reports exit code 1', async () => {
    const closed: string[] = [];
    const lifecycle = new Lifecycle({ logger: silent, deadlineMs: 1_000 });
    lifecycle.add('a', () => {
      closed.push('a');
      return Promise.resolve();
    });
    lifecycle.add('b', () => Promise.reject(new Error('b failed')));
    expect(await lifecycle.shutdown()).toBe(1);
    expect(closed).toEqual(['a']);
  });

  it('gives up at the deadline with exit code 1', async () => {
    const lifecycle = new Lifecycle({ logger: silent, deadlineMs: 50 });
    lifecycle.add('stuck', () => new Promise(() => undefined));
    expect(await lifecycle.shutdown()).toBe(1);
  });

  it('exits with the shutdown code on a signal', async () => {
    const listeners = new Map<string, () => void>();
    const exits: number[] = [];
    const fake = {
      once: (signal: string, handler: () => void) => {
        listeners.set(signal, handler);
        return fake;
      },
      removeListener: (signal: string) => {
        listeners.delete(signal);
        return fake;
      },
      exit: (code?: number) => {
        exits.push(code ?? 0);
      },
    };
    const lifecycle = new Lifecycle({ logger: silent, deadlineMs: 1_000, processLike: fake as never });
    lifecycle.installSignalHandlers();
    listeners.get('SIGTERM')?.();
    await lifecycle.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([0]);
  });
});

describe('closeOnce', () => {
  it('runs the close function once', async () => {
    let calls = 0;
    const close = closeOnce(() => {
      calls++;
      return Promise.resolve();
    });
    await Promise.all([close(), close(), close()]);
    expect(calls).toBe(1);
  });
});
