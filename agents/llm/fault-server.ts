import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LlmPurpose, type LlmMessage } from './provider.js';
import { OfflineProvider } from './offline.js';
import { createPriceTable } from './pricing.js';

/** How the simulated model endpoint misbehaves. */
export interface FaultModes {
  /** Delay before answering, in ms (longer than the client timeout: `llm-timeouts`). */
  latencyMs?: number;
  /** Every Nth request is answered 429 with `Retry-After` (`rate-limited`). */
  rateLimitEvery?: number;
  /** Seconds sent in `Retry-After` with a 429. Default 1. */
  retryAfterSeconds?: number;
  /** Every Nth request is answered with `failStatus` (1 = every request: `retry-storm`). */
  failEvery?: number;
  /** Status of the failures; default 503. */
  failStatus?: number;
}

function purposeOf(messages: readonly LlmMessage[]): LlmPurpose {
  const system = messages.find((m) => m.role === 'system')?.content.toLowerCase() ?? '';
  if (system.includes('split the goal')) return LlmPurpose.PLAN;
  if (system.includes('summarize the outcome')) return LlmPurpose.SYNTHESIZE;
  if (system.includes('researcher')) return LlmPurpose.RESEARCH;
  if (system.includes('writer')) return LlmPurpose.WRITE;
  if (system.includes('programmer')) return LlmPurpose.CODE;
  if (system.includes('reviewer')) return LlmPurpose.REVIEW;
  return LlmPurpose.GENERIC;
}

async function readBody(request: IncomingMessage, limit = 1_048_576): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RangeError('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/**
 * A local endpoint that speaks the OpenAI chat-completions protocol, answers like the offline model,
 * and misbehaves on purpose for the fault scenarios: slow answers, 429 with `Retry-After`, 5xx. The
 * agents reach it through the real HTTP provider, so timeouts, retries and error classification run
 * exactly as against a real proxy.
 */
export async function startFaultLlmServer(
  modes: FaultModes,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const model = new OfflineProvider({ model: 'sim-gpt', latencyMs: 5, prices: createPriceTable(undefined) });
  let count = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        json(response, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
        return;
      }
      count += 1;
      const n = count;
      const body = JSON.parse(await readBody(request)) as { model?: string; messages?: LlmMessage[] };
      if (modes.rateLimitEvery !== undefined && n % modes.rateLimitEvery === 0) {
        json(
          response,
          429,
          {
            error: {
              message: 'Rate limit reached for requests',
              type: 'requests',
              code: 'rate_limit_exceeded',
            },
          },
          { 'retry-after': String(modes.retryAfterSeconds ?? 1) },
        );
        return;
      }
      if (modes.failEvery !== undefined && n % modes.failEvery === 0) {
        json(response, modes.failStatus ?? 503, {
          error: { message: 'The server is overloaded', type: 'server_error' },
        });
        return;
      }
      if (modes.latencyMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, modes.latencyMs));
        if (response.destroyed || request.destroyed) return;
      }
      const messages = body.messages ?? [];
      const answer = await model.complete({ purpose: purposeOf(messages), messages });
      json(response, 200, {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? answer.model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer.text }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: answer.promptTokens,
          completion_tokens: answer.completionTokens,
          total_tokens: answer.promptTokens + answer.completionTokens,
        },
      });
    })().catch(() => {
      if (!response.headersSent)
        json(response, 400, { error: { message: 'bad request', type: 'invalid_request_error' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
