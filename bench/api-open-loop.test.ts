import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { idleRun, openLoop } from './api-open-loop.js';
import type { BenchRoute } from './api-routes.js';

/** The open loop against a local HTTP server: requests leave on schedule, slow answers do not slow the rate. */
let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(delayMs: (path: string) => number): Promise<string> {
  server = createServer((req, res) => {
    setTimeout(
      () => {
        if (req.url === '/fail') res.writeHead(500).end('{}');
        else if (req.url === '/busy') {
          res
            .writeHead(503)
            .end('{"detail":"a dependency is unavailable, retry later","code":"CLICKHOUSE_UNAVAILABLE"}');
        } else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      delayMs(req.url ?? ''),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

const route = (name: string, path: string): BenchRoute => ({
  name,
  kind: 'rest',
  request: () => ({ method: 'GET', path }),
  check: () => undefined,
});

describe('the open loop', () => {
  it('sends at the offered rate whatever the answers take, and times each request from when it was due', async () => {
    const base = await serve((path) => (path === '/slow' ? 300 : 0));
    const fast = route('fast', '/fast');
    const slow = route('slow', '/slow');
    const failing = route('failing', '/fail');
    const started = performance.now();
    const run = await openLoop(base, [fast, slow, failing], 60, 500, new AbortController().signal);
    const elapsed = performance.now() - started;
    expect(run.byRoute.get(fast)?.latenciesMs).toHaveLength(10);
    expect(run.byRoute.get(slow)?.latenciesMs).toHaveLength(10);
    // 30 requests in 0.5 s although each slow one takes 0.3 s: they overlap, nothing waits for them
    expect(elapsed).toBeLessThan(1_500);
    // the server's timer runs on the event loop's millisecond clock, so it may fire a fraction early
    expect(Math.min(...(run.byRoute.get(slow)?.latenciesMs ?? []))).toBeGreaterThanOrEqual(295);
    expect(run.byRoute.get(failing)?.errors).toBe(10);
    expect(run.byRoute.get(fast)?.errors).toBe(0);
  });

  it('counts the failed requests by what failed them', async () => {
    const base = await serve(() => 0);
    const routes = [route('busy', '/busy'), route('failing', '/fail'), route('fast', '/fast')];
    const run = await openLoop(base, routes, 60, 500, new AbortController().signal);
    expect([...run.errorKinds]).toEqual([
      ['HTTP 503 CLICKHOUSE_UNAVAILABLE', 10],
      ['HTTP 500', 10],
    ]);
  });

  it('asks one route at a time when idle, after unrecorded warm-up requests', async () => {
    let seen = 0;
    const base = await serve(() => {
      seen += 1;
      return 0;
    });
    const run = await idleRun(base, route('fast', '/fast'), 7, 3, new AbortController().signal);
    expect(run.latenciesMs).toHaveLength(7);
    expect(seen).toBe(10);
  });
});
