import { randomUUID } from 'node:crypto';
import { errorFingerprint } from '../../lib/fingerprint.js';
import type { Logger } from '../../lib/logger.js';
import { Severity, type DetailedError, type ErrorCategory } from '../../schemas/records.js';
import { classifyError, toolCallOf } from './classifier.js';
import { adviceFor } from './fixes.js';
import { TokenBucket } from './token-bucket.js';

/** Where a failure happened: everything the error record says beyond the error itself. */
export interface ErrorScope {
  agent: string;
  operation: string;
  agentId?: string;
  taskId?: string | null;
  jobId?: string | null;
  traceId?: string;
  spanId?: string;
  /** Task input; stored as JSON text, cut to 2,000 characters. */
  input?: unknown;
  partialOutput?: string;
  model?: string;
  prompt?: string;
  tokenCount?: number;
  toolName?: string;
  toolParameters?: Readonly<Record<string, unknown>>;
  retryCount?: number;
  maxRetries?: number;
  startedAtMs?: number;
  /** Overrides the classification's severity (a process about to die is critical). */
  severity?: Severity;
  /** Overrides the classification's category (a failure the scope knows more about). */
  category?: ErrorCategory;
}

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

export interface ErrorCollectorOptions {
  /** Sends a record to `agent-telemetry-errors`; failures are logged, never thrown at the caller. */
  send: (record: DetailedError) => Promise<void>;
  logger: Logger;
  serviceName: string;
  environment: string;
  host: string;
  perAgent: RateLimit;
  perFingerprint: RateLimit;
  /** Fingerprints remembered (least recently seen forgotten first). Default 10,000. */
  maxFingerprints?: number;
  /** Sends in flight at most; above it records are counted as suppressed. Default 1,000. */
  maxPendingSends?: number;
  /**
   * How often held-back errors are looked at: when their buckets allow again, the latest one goes out
   * with the count of the others, so a storm that stops is still fully counted. Default 1,000 ms.
   */
  sweepIntervalMs?: number;
  now?: () => number;
}

interface FingerprintState {
  bucket: TokenBucket;
  suppressed: number;
  /** The latest suppressed error: it goes out later, carrying the count of the others. */
  held: { error: unknown; scope: ErrorScope; at: number } | undefined;
}

export interface CollectorStats {
  recorded: number;
  suppressed: number;
  duplicates: number;
  sendFailures: number;
}

function jsonText(value: unknown, max = 2_000): string | null {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return (text ?? '"<not serializable>"').slice(0, max);
}

/**
 * Turns failures into DetailedErrors on the errors topic, with sampling that is really applied: a
 * token bucket per agent and one per fingerprint; critical errors and the first error of a fingerprint
 * always go out; errors held back are counted and the count travels in the next record of that
 * fingerprint (`suppressed_count`). The same error object is recorded at most once, however many
 * nested scopes catch and report it.
 */
export class ErrorCollector {
  readonly #o: ErrorCollectorOptions;
  readonly #now: () => number;
  readonly #seen = new WeakSet<object>();
  readonly #agents = new Map<string, TokenBucket>();
  readonly #fingerprints = new Map<string, FingerprintState>();
  readonly #pending = new Set<Promise<void>>();
  readonly stats: CollectorStats = { recorded: 0, suppressed: 0, duplicates: 0, sendFailures: 0 };
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: ErrorCollectorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => {
      this.sweep(false);
    }, options.sweepIntervalMs ?? 1_000);
    this.#sweeper.unref();
  }

  /** Whether this error object was recorded already (by an inner scope). */
  wasRecorded(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.#seen.has(error);
  }

  /**
   * Records a failure. Returns the record when it goes out, `undefined` when it was a duplicate or
   * was suppressed by the rate limits.
   */
  record(error: unknown, scope: ErrorScope): DetailedError | undefined {
    if (typeof error === 'object' && error !== null) {
      if (this.#seen.has(error)) {
        this.stats.duplicates += 1;
        return undefined;
      }
      this.#seen.add(error);
    }
    const now = this.#now();
    const classification = classifyError(error);
    const category = scope.category ?? classification.category;
    const severity = scope.severity ?? classification.severity;
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? (error.stack ?? null) : null;
    const fingerprint = errorFingerprint({
      error_type: classification.errorType,
      category,
      agent_name: scope.agent,
      operation: scope.operation,
      error_message: message,
      stack_trace: stack,
    });

    let state = this.#fingerprints.get(fingerprint);
    const first = state === undefined;
    if (state === undefined) {
      state = {
        bucket: new TokenBucket(
          this.#o.perFingerprint.ratePerSecond,
          this.#o.perFingerprint.burst,
          this.#now,
        ),
        suppressed: 0,
        held: undefined,
      };
      this.#remember(fingerprint, state);
    } else {
      // move to the most recently used end
      this.#fingerprints.delete(fingerprint);
      this.#fingerprints.set(fingerprint, state);
    }
    const agentBucket = this.#agentBucket(scope.agent);
    const mustKeep = first || severity === Severity.CRITICAL;
    const room = this.#pending.size < (this.#o.maxPendingSends ?? 1_000);
    let keep: boolean;
    if (mustKeep) {
      agentBucket.forceTake();
      state.bucket.forceTake();
      keep = true;
    } else if (room && agentBucket.canTake() && state.bucket.canTake()) {
      agentBucket.tryTake();
      state.bucket.tryTake();
      keep = true;
    } else keep = false;
    if (!keep) {
      state.suppressed += 1;
      state.held = { error, scope, at: now };
      this.stats.suppressed += 1;
      return undefined;
    }
    const record = this.#build(error, scope, now, fingerprint, state.suppressed);
    state.suppressed = 0;
    state.held = undefined;
    this.stats.recorded += 1;
    this.#send(record);
    return record;
  }

  /**
   * Sends the latest held-back error of each fingerprint whose buckets allow it again (all of them when
   * `all`, on shutdown), carrying the count of the other suppressed ones.
   */
  sweep(all: boolean): void {
    for (const [fingerprint, state] of this.#fingerprints) {
      const held = state.held;
      if (held === undefined) continue;
      const agentBucket = this.#agentBucket(held.scope.agent);
      if (!all && !(state.bucket.canTake() && agentBucket.canTake())) continue;
      state.bucket.forceTake();
      agentBucket.forceTake();
      const record = this.#build(held.error, held.scope, held.at, fingerprint, state.suppressed - 1);
      state.suppressed = 0;
      state.held = undefined;
      this.stats.suppressed -= 1;
      this.stats.recorded += 1;
      this.#send(record);
    }
  }

  #build(
    error: unknown,
    scope: ErrorScope,
    now: number,
    fingerprint: string,
    suppressed: number,
  ): DetailedError {
    const classification = classifyError(error);
    const category = scope.category ?? classification.category;
    const severity = scope.severity ?? classification.severity;
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? (error.stack ?? null) : null;
    const advice = adviceFor({ ...classification, category });
    const tool = toolCallOf(error);
    const toolName = scope.toolName ?? tool?.toolName ?? null;
    const toolParameters = scope.toolParameters ?? tool?.parameters;
    return {
      error_id: randomUUID(),
      severity,
      category,
      error_type: classification.errorType,
      error_message: message.slice(0, 4_000),
      error_code: classification.errorCode,
      stack_trace: stack === null ? null : stack.slice(0, 8_000),
      trace_id: scope.traceId ?? null,
      span_id: scope.spanId ?? null,
      agent_name: scope.agent,
      // the instance: which process of a scaled-out agent failed
      agent_id: scope.agentId ?? `${scope.agent}@${this.#o.host}:${process.pid}`,
      operation: scope.operation,
      input_data: jsonText(scope.input),
      partial_output: scope.partialOutput === undefined ? null : scope.partialOutput.slice(0, 2_000),
      model_name: scope.model ?? null,
      prompt_preview: scope.prompt === undefined ? null : scope.prompt.slice(0, 500),
      token_count: scope.tokenCount ?? null,
      tool_name: toolName,
      tool_parameters: toolParameters === undefined ? null : jsonText(toolParameters),
      timestamp: now,
      duration_before_error_ms: scope.startedAtMs === undefined ? null : Math.max(0, now - scope.startedAtMs),
      is_retryable: classification.retryable,
      retry_count: scope.retryCount ?? 0,
      max_retries: scope.maxRetries ?? 0,
      suggested_fixes: advice.fixes,
      related_docs: advice.docs,
      environment: this.#o.environment,
      service_name: this.#o.serviceName,
      host: this.#o.host,
      fingerprint,
      suppressed_count: suppressed,
      task_id: scope.taskId ?? null,
      job_id: scope.jobId ?? null,
      http_status: classification.httpStatus,
    };
  }

  /** Sends what is held back and waits for every record sent so far. */
  async flush(): Promise<void> {
    this.sweep(true);
    await Promise.all([...this.#pending]);
  }

  /** Stops the sweeper and flushes (on shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.flush();
  }

  #send(record: DetailedError): void {
    const sending = this.#o
      .send(record)
      .catch((error: unknown) => {
        this.stats.sendFailures += 1;
        this.#o.logger.error({ err: error, errorId: record.error_id }, 'could not send a DetailedError');
      })
      .finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
  }

  #agentBucket(agent: string): TokenBucket {
    let bucket = this.#agents.get(agent);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#o.perAgent.ratePerSecond, this.#o.perAgent.burst, this.#now);
      this.#agents.set(agent, bucket);
    }
    return bucket;
  }

  #remember(fingerprint: string, state: FingerprintState): void {
    this.#fingerprints.set(fingerprint, state);
    const max = this.#o.maxFingerprints ?? 10_000;
    while (this.#fingerprints.size > max) {
      const oldest = this.#fingerprints.keys().next().value;
      if (oldest === undefined) break;
      this.#fingerprints.delete(oldest);
    }
  }
}
