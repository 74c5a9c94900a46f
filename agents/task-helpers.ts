import type { AgentMessage } from '../schemas/records.js';
import { classifyError } from './errors/classifier.js';
import { HandoffError } from './errors/types.js';

/** The earlier of the task's deadline and the end of its TTL. */
export function effectiveDeadline(task: AgentMessage): number | undefined {
  const ttlEnd =
    task.ttl_seconds !== null && task.ttl_seconds > 0 ? task.timestamp + task.ttl_seconds * 1000 : undefined;
  const candidates = [task.deadline ?? undefined, ttlEnd].filter(
    (v): v is number => v !== undefined && v > 0,
  );
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

export function parsePayload(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('task payload is not a JSON object');
  return value as Record<string, unknown>;
}

/** Rejects as soon as the signal aborts, even if the work ignores it (a stuck handler). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The agent where a chain of handoff failures started (for cascade diagnosis). */
export function rootAgentOf(error: unknown): string | undefined {
  let current: unknown = error;
  let root: string | undefined;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof HandoffError) root = current.targetAgent;
    current = current.cause;
  }
  return root;
}

/** The payload of an ERROR answer: enough for the requester to decide on a retry, and to find the record. */
export function errorReplyPayload(
  error: unknown,
  errorId: string | null,
  agent: string,
): Record<string, unknown> {
  const c = classifyError(error);
  return {
    error_type: c.errorType,
    category: c.category,
    error_code: c.errorCode,
    retryable: c.retryable,
    message: error instanceof Error ? error.message : String(error),
    error_id: errorId,
    root_agent: rootAgentOf(error) ?? agent,
  };
}
