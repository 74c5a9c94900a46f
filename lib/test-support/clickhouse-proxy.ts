import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a ClickHouse server for fault tests and the soak: it forwards every
 * request as it is, and while `holdInserts` is set it keeps each INSERT for that long before
 * forwarding it (a server under merge pressure, a slow disk), so a store outlasts a revoke's
 * timeout. Reads are never held.
 */
export interface ClickHouseProxy {
  url: string;
  /** Holds every INSERT that arrives from now on for `ms` (0: stop holding). */
  holdInserts(ms: number): void;
  /** INSERTs being held right now. */
  readonly held: number;
  close(): Promise<void>;
}

function isInsert(req: IncomingMessage, body: Buffer): boolean {
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('query') ?? '';
  const text = query !== '' ? query : body.subarray(0, 64).toString('utf8');
  return /^\s*INSERT\b/i.test(text);
}

export async function startClickHouseProxy(target: string): Promise<ClickHouseProxy> {
  const upstream = new URL(target);
  let holdMs = 0;
  let held = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = (): void => {
        const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        const out = request(
          { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => {
          res.destroy();
        });
        out.end(body);
      };
      const hold = holdMs;
      if (hold > 0 && isInsert(req, body)) {
        held += 1;
        setTimeout(() => {
          held -= 1;
          forward();
        }, hold);
      } else {
        forward();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holdInserts(ms) {
      holdMs = ms;
    },
    get held() {
      return held;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
