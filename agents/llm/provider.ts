import type { LlmCall } from '../../schemas/records.js';

/** What an agent asks of a model. `purpose` lets the offline provider answer in the right shape. */
export interface LlmRequest {
  purpose: LlmPurpose;
  messages: readonly LlmMessage[];
  /** Overrides the provider's default model. */
  model?: string;
  maxTokens?: number;
  temperature?: number;
}

export const LlmPurpose = {
  PLAN: 'plan',
  RESEARCH: 'research',
  WRITE: 'write',
  CODE: 'code',
  REVIEW: 'review',
  SYNTHESIZE: 'synthesize',
  GENERIC: 'generic',
} as const;
export type LlmPurpose = (typeof LlmPurpose)[keyof typeof LlmPurpose];

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmResponse {
  text: string;
  model: string;
  provider: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  costUsd: number;
  finishReason: string;
}

export interface LlmCallOptions {
  /** Cancels the call (task cancelled, deadline, shutdown). */
  signal?: AbortSignal;
  /** Called once per HTTP attempt, failed ones included, so usage and failures are both recorded. */
  onCall?: (call: LlmCall) => void;
  /** Called with each failure the provider is about to retry (the last failure is thrown instead). */
  onRetry?: (error: LlmError) => void;
}

/** One interface for every model backend. Failures are thrown as {@link LlmError}. */
export interface LlmProvider {
  readonly name: string;
  readonly model: string;
  complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResponse>;
}

export const LlmErrorCode = {
  RATE_LIMITED: 'rate_limited',
  SERVER_ERROR: 'server_error',
  BAD_REQUEST: 'bad_request',
  AUTH: 'auth',
  TIMEOUT: 'timeout',
  NETWORK: 'network',
  INVALID_RESPONSE: 'invalid_response',
  CANCELLED: 'cancelled',
} as const;
export type LlmErrorCode = (typeof LlmErrorCode)[keyof typeof LlmErrorCode];

const RETRYABLE_CODES: ReadonlySet<LlmErrorCode> = new Set<LlmErrorCode>([
  LlmErrorCode.RATE_LIMITED,
  LlmErrorCode.SERVER_ERROR,
  LlmErrorCode.TIMEOUT,
  LlmErrorCode.NETWORK,
]);

/** A failed model call, with what the error collector needs to classify and report it. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly code: LlmErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly provider: string;
  readonly model: string;
  /** HTTP attempts made, the failed last one included. */
  readonly attempts: number;
  /** From `Retry-After`, when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: LlmErrorCode,
    message: string,
    details: {
      provider: string;
      model: string;
      status?: number;
      attempts?: number;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.retryable = RETRYABLE_CODES.has(code);
    this.provider = details.provider;
    this.model = details.model;
    this.attempts = details.attempts ?? 1;
    this.retryAfterMs = details.retryAfterMs;
  }
}

export function isLlmError(value: unknown): value is LlmError {
  return value instanceof LlmError;
}

/** Status recorded in `llm_usage` for a failed call. */
export function callStatusOf(error: LlmError): string {
  if (error.code === LlmErrorCode.RATE_LIMITED) return 'rate_limited';
  if (error.code === LlmErrorCode.TIMEOUT) return 'timeout';
  if (error.code === LlmErrorCode.CANCELLED) return 'cancelled';
  return 'error';
}

/** Rough token count (about four characters per token), for providers that report none. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
