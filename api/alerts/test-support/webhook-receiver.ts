import { createServer, type Server } from 'node:http';

/** One request a receiver got. */
export interface Received {
  path: string;
  body: Record<string, unknown>;
}

/**
 * A real HTTP webhook receiver for tests: it records every POST and answers each path with the
 * statuses queued for it (then 200), as a Slack or generic endpoint that fails and recovers would.
 */
export interface WebhookReceiver {
  url(path: string): string;
  received: Received[];
  /** The next answers to `path`, in order (200 once used up). */
  failNext(path: string, ...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const queued = new Map<string, number[]>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const status = queued.get(path)?.shift() ?? 200;
      received.push({
        path,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    failNext(path, ...statuses) {
      queued.set(path, [...(queued.get(path) ?? []), ...statuses]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
