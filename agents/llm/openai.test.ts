import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { LlmCall } from '../../schemas/records.js';
import { OpenAiCompatibleProvider, parseRetryAfter } from './openai.js';
import { createPriceTable } from './pricing.js';
import { LlmError } from './provider.js';

type Handler = (
  n: number,
  body: { model: string; messages: unknown[] },
  request: IncomingMessage,
  response: ServerResponse,
) => void;

/** An in-test HTTP server answering like the OpenAI chat-completions API, scripted per request number. */
async function openAiServer(handler: Handler): Promise<{
  url: string;
  requests: { at: number; auth: string | undefined }[];
  close: () => Promise<void>;
}> {
  const requests: { at: number; auth: string | undefined }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ at: Date.now(), auth: request.headers.authorization });
      handler(
        requests.length,
        JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: unknown[] },
        request,
        response,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function completion(response: ServerResponse, model: string, content: string): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    }),
  );
}

function apiError(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ error: { message: 'nope', type: 'server_error' } }));
}

const REQUEST = { purpose: 'generic' as const, messages: [{ role: 'user' as const, content: 'hello' }] };

function provider(
  url: string,
  overrides: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]> = {},
): OpenAiCompatibleProvider {
  return new OpenAiCompatibleProvider({
    baseUrl: url,
    model: 'gpt-4o-mini',
    providerName: 'litellm',
    apiKey: 'sk-test',
    timeoutMs: 1_000,
    maxRetries: 2,
    prices: createPriceTable(undefined),
    initialBackoffMs: 5,
    ...overrides,
  });
}

describe('OpenAI-compatible provider', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('sends a chat completion and reports usage, latency and cost', async () => {
    const server = await openAiServer((_n, body, _req, res) => {
      completion(res, `${body.model}-2024-07-18`, 'hi there');
    });
    close = server.close;
    const calls: LlmCall[] = [];
    const response = await provider(server.url).complete(REQUEST, { onCall: (c) => calls.push(c) });
    expect(response).toMatchObject({
      text: 'hi there',
      model: 'gpt-4o-mini-2024-07-18',
      promptTokens: 12,
      completionTokens: 3,
      provider: 'litellm',
    });
    expect(response.costUsd).toBeCloseTo((12 / 1000) * 0.00015 + (3 / 1000) * 0.0006, 10);
    expect(server.requests[0]?.auth).toBe('Bearer sk-test');
    expect(calls).toEqual([
      expect.objectContaining({ status: 'ok', prompt_tokens: 12, completion_tokens: 3 }),
    ]);
  });

  it('retries a 429 after the Retry-After delay, then succeeds', async () => {
    const server = await openAiServer((n, body, _req, res) => {
      if (n === 1) apiError(res, 429, { 'retry-after': '0.3' });
      else completion(res, body.model, 'ok');
    });
    close = server.close;
    const calls: LlmCall[] = [];
    const response = await provider(server.url).complete(REQUEST, { onCall: (c) => calls.push(c) });
    expect(response.text).toBe('ok');
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(280);
    expect(calls.map((c) => c.status)).toEqual(['rate_limited', 'ok']);
  });

  it('gives up after max retries on 5xx with the status and attempt count', async () => {
    const server = await openAiServer((_n, _body, _req, res) => {
      apiError(res, 503);
    });
    close = server.close;
    const error = await provider(server.url)
      .complete(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ code: 'server_error', status: 503, attempts: 3, retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 400 or a 401', async () => {
    const server = await openAiServer((n, _body, _req, res) => {
      apiError(res, n === 1 ? 400 : 401);
    });
    close = server.close;
    await expect(provider(server.url).complete(REQUEST)).rejects.toMatchObject({
      code: 'bad_request',
      status: 400,
    });
    await expect(provider(server.url).complete(REQUEST)).rejects.toMatchObject({ code: 'auth', status: 401 });
    expect(server.requests).toHaveLength(2);
  });

  it('times out a silent server per attempt and retries', async () => {
    const server = await openAiServer((n, body, _req, res) => {
      if (n === 1) return; // never answers
      completion(res, body.model, 'late but fine');
    });
    close = server.close;
    const calls: LlmCall[] = [];
    const response = await provider(server.url, { timeoutMs: 150 }).complete(REQUEST, {
      onCall: (c) => calls.push(c),
    });
    expect(response.text).toBe('late but fine');
    expect(calls.map((c) => c.status)).toEqual(['timeout', 'ok']);
  });

  it('stops when the caller aborts, without retrying', async () => {
    const server = await openAiServer(() => undefined);
    close = server.close;
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(new Error('task cancelled'));
    }, 50);
    await expect(
      provider(server.url, { timeoutMs: 5_000 }).complete(REQUEST, { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused connection as a network failure with its code', async () => {
    const server = await openAiServer(() => undefined);
    await server.close();
    const error = await provider(server.url, { maxRetries: 0 })
      .complete(REQUEST)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('rejects an answer that is not a chat completion', async () => {
    const server = await openAiServer((_n, _b, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello": "world"}');
    });
    close = server.close;
    await expect(provider(server.url, { maxRetries: 0 }).complete(REQUEST)).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
