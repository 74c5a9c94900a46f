import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { LlmCall } from '../../schemas/records.js';
import {
  LlmError,
  LlmErrorCode,
  callStatusOf,
  estimateTokens,
  type LlmCallOptions,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
} from './provider.js';
import { costOf, type PriceTable } from './pricing.js';

export interface OpenAiProviderOptions {
  /** Base URL including `/v1` (LiteLLM proxy, Ollama's `/v1`, vLLM, OpenAI). */
  baseUrl: string;
  model: string;
  /** Reported as `provider` in usage: `openai`, `litellm`, `ollama`… */
  providerName: string;
  apiKey?: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Retries after the first attempt, on 429, 5xx, timeouts and network failures. */
  maxRetries: number;
  prices: PriceTable;
  /** First backoff; doubles per retry with full jitter. Default 250 ms. */
  initialBackoffMs?: number;
  /** Longest backoff, and longest `Retry-After` honoured before giving up. Default 20 s. */
  maxBackoffMs?: number;
}

const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) })
    .optional(),
});

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Error codes of Node's network layer (undici puts them on the cause of a failed fetch). */
function networkCodeOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (typeof current === 'object' && current !== null) {
      if ('code' in current && typeof current.code === 'string') return current.code;
      current = 'cause' in current ? current.cause : undefined;
    } else break;
  }
  return undefined;
}

function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/**
 * An OpenAI-compatible chat-completions client on `fetch`: a timeout per attempt through
 * `AbortSignal`, retries with exponential backoff and full jitter on 429, 5xx, timeouts and network
 * failures, honouring `Retry-After`. Every attempt is reported through `onCall`.
 */
export class OpenAiCompatibleProvider implements LlmProvider {
  readonly name: string;
  readonly model: string;
  readonly #o: OpenAiProviderOptions;
  readonly #url: string;

  constructor(options: OpenAiProviderOptions) {
    this.#o = options;
    this.name = options.providerName;
    this.model = options.model;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async complete(request: LlmRequest, options: LlmCallOptions = {}): Promise<LlmResponse> {
    const model = request.model ?? this.model;
    const body = JSON.stringify({
      model,
      messages: request.messages,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    });
    const initial = this.#o.initialBackoffMs ?? 250;
    const maxBackoff = this.#o.maxBackoffMs ?? 20_000;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        return await this.#attempt(model, body, options, started, attempt);
      } catch (error) {
        if (!(error instanceof LlmError)) throw error;
        options.onCall?.(this.#failedCall(model, started, error));
        const lastAttempt = attempt > this.#o.maxRetries;
        const tooLong = error.retryAfterMs !== undefined && error.retryAfterMs > maxBackoff;
        if (!error.retryable || lastAttempt || tooLong || options.signal?.aborted === true) throw error;
        options.onRetry?.(error);
        const backoff = Math.random() * Math.min(maxBackoff, initial * 2 ** (attempt - 1));
        const wait = error.retryAfterMs ?? backoff;
        try {
          await sleep(wait, undefined, options.signal === undefined ? {} : { signal: options.signal });
        } catch {
          throw error;
        }
      }
    }
  }

  async #attempt(
    model: string,
    body: string,
    options: LlmCallOptions,
    started: number,
    attempt: number,
  ): Promise<LlmResponse> {
    const timeout = AbortSignal.timeout(this.#o.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const base = { provider: this.name, model, attempts: attempt };
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#o.apiKey === undefined ? {} : { authorization: `Bearer ${this.#o.apiKey}` }),
        },
        body,
        signal,
      });
    } catch (error) {
      throw this.#transportError(error, timeout, options.signal, base);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.#transportError(error, timeout, options.signal, base);
    }
    if (!response.ok) {
      const status = response.status;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const code =
        status === 429
          ? LlmErrorCode.RATE_LIMITED
          : status >= 500
            ? LlmErrorCode.SERVER_ERROR
            : status === 401 || status === 403
              ? LlmErrorCode.AUTH
              : status === 408
                ? LlmErrorCode.TIMEOUT
                : LlmErrorCode.BAD_REQUEST;
      throw new LlmError(code, `${this.name} answered HTTP ${status}: ${text.slice(0, 200)}`, {
        ...base,
        status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    let parsed: z.infer<typeof ChatCompletion>;
    try {
      parsed = ChatCompletion.parse(JSON.parse(text));
    } catch (error) {
      throw new LlmError(
        LlmErrorCode.INVALID_RESPONSE,
        `${this.name} sent a response that is not a chat completion`,
        {
          ...base,
          status: response.status,
          cause: error,
        },
      );
    }
    const choice = parsed.choices[0];
    const content = choice?.message.content ?? '';
    const promptTokens = parsed.usage?.prompt_tokens ?? estimateTokens(body);
    const completionTokens = parsed.usage?.completion_tokens ?? estimateTokens(content);
    const reportedModel = parsed.model ?? model;
    const latencyMs = Date.now() - started;
    const costUsd = costOf(this.#o.prices, reportedModel, promptTokens, completionTokens);
    options.onCall?.({
      model: reportedModel,
      provider: this.name,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      latency_ms: latencyMs,
      cost_usd: costUsd,
      status: 'ok',
    });
    return {
      text: content,
      model: reportedModel,
      provider: this.name,
      promptTokens,
      completionTokens,
      latencyMs,
      costUsd,
      finishReason: choice?.finish_reason ?? 'stop',
    };
  }

  #transportError(
    error: unknown,
    timeout: AbortSignal,
    caller: AbortSignal | undefined,
    base: { provider: string; model: string; attempts: number },
  ): LlmError {
    if (caller?.aborted === true) {
      const timedOut = isTimeoutReason(caller.reason);
      return new LlmError(
        timedOut ? LlmErrorCode.TIMEOUT : LlmErrorCode.CANCELLED,
        'model call aborted by the caller',
        {
          ...base,
          cause: caller.reason,
        },
      );
    }
    if (timeout.aborted) {
      return new LlmError(
        LlmErrorCode.TIMEOUT,
        `${this.name} did not answer within ${this.#o.timeoutMs} ms`,
        {
          ...base,
          cause: timeout.reason,
        },
      );
    }
    const code = networkCodeOf(error);
    return new LlmError(
      LlmErrorCode.NETWORK,
      `${this.name} unreachable at ${this.#url}${code === undefined ? '' : ` (${code})`}`,
      {
        ...base,
        cause: error,
      },
    );
  }

  #failedCall(model: string, started: number, error: LlmError): LlmCall {
    return {
      model,
      provider: this.name,
      prompt_tokens: 0,
      completion_tokens: 0,
      latency_ms: Date.now() - started,
      cost_usd: 0,
      status: callStatusOf(error),
    };
  }
}
