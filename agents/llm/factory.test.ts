import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLlmProvider } from './factory.js';
import { OfflineProvider } from './offline.js';

/** Records the paths and models asked for, and answers like an OpenAI-compatible server. */
async function server(): Promise<{
  base: string;
  seen: { path: string; model: string }[];
  close: () => Promise<void>;
}> {
  const seen: { path: string; model: string }[] = [];
  const http: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string };
      seen.push({ path: request.url ?? '', model: body.model });
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          model: body.model,
          choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) =>
        http.close(() => {
          resolve();
        }),
      ),
  };
}

const REQUEST = { purpose: 'generic' as const, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('LLM provider selection from the configuration', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('is the offline model when no URL is configured', () => {
    const provider = createLlmProvider(loadConfig({}));
    expect(provider).toBeInstanceOf(OfflineProvider);
    expect(provider.model).toBe('offline-deterministic');
  });

  it.each([
    ['OLLAMA_BASE_URL', (base: string) => base, 'ollama', 'llama3.2'],
    ['LITELLM_BASE_URL', (base: string) => `${base}/`, 'litellm', 'gpt-4o-mini'],
    ['LLM_BASE_URL', (base: string) => `${base}/v1`, 'openai', 'gpt-4o-mini'],
  ])('talks to %s at /v1/chat/completions', async (variable, url, name, model) => {
    const s = await server();
    close = s.close;
    const provider = createLlmProvider(loadConfig({ [variable]: url(s.base) }));
    expect(provider.name).toBe(name);
    await provider.complete(REQUEST);
    expect(s.seen).toEqual([{ path: '/v1/chat/completions', model }]);
  });

  it('prefers LLM_BASE_URL, then LiteLLM, then Ollama, and takes LLM_MODEL', () => {
    const config = loadConfig({
      LLM_BASE_URL: 'http://a.example/v1',
      LITELLM_BASE_URL: 'http://b.example',
      OLLAMA_BASE_URL: 'http://c.example',
      LLM_MODEL: 'my-model',
    });
    expect(config.llm).toMatchObject({
      baseUrl: 'http://a.example/v1',
      provider: 'openai',
      model: 'my-model',
    });
    expect(
      loadConfig({ LITELLM_BASE_URL: 'http://b.example', OLLAMA_BASE_URL: 'http://c.example' }).llm,
    ).toMatchObject({
      baseUrl: 'http://b.example/v1',
      provider: 'litellm',
    });
  });
});
