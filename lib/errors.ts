import { CodecError } from '../schemas/codec-errors.js';

/**
 * The closed list of error codes used across the project. Every failure that crosses a module
 * boundary is a {@link TelemetryError} carrying one of these codes, so callers branch on `code`
 * and `retryable`, never on message text.
 */
export const ErrorCode = {
  /** Configuration is missing or malformed; fix the environment and restart. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** Kafka broker unreachable or a transient broker error. */
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  /** Kafka refused the request for a reason retrying will not fix (auth, invalid config…). */
  KAFKA_REQUEST_FAILED: 'KAFKA_REQUEST_FAILED',
  /** Schema registry unreachable or answered 5xx. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** Schema registry refused the request (incompatible schema, bad subject…). */
  REGISTRY_REQUEST_FAILED: 'REGISTRY_REQUEST_FAILED',
  /** ClickHouse unreachable, overloaded or timed out. */
  CLICKHOUSE_UNAVAILABLE: 'CLICKHOUSE_UNAVAILABLE',
  /** ClickHouse rejected the query (syntax, unknown table, type mismatch…). */
  CLICKHOUSE_QUERY_FAILED: 'CLICKHOUSE_QUERY_FAILED',
  /** A migration file changed after it was applied, or a migration failed. */
  MIGRATION_FAILED: 'MIGRATION_FAILED',
  /** Bytes that are not in the Confluent wire format (no magic byte, too short). */
  DECODE_NO_MAGIC_BYTE: 'DECODE_NO_MAGIC_BYTE',
  /** The wire header names a schema id the registry does not know. */
  DECODE_UNKNOWN_SCHEMA_ID: 'DECODE_UNKNOWN_SCHEMA_ID',
  /** The Avro body ends before the record does. */
  DECODE_TRUNCATED: 'DECODE_TRUNCATED',
  /** The Avro body is malformed or has trailing bytes. */
  DECODE_INVALID_AVRO: 'DECODE_INVALID_AVRO',
  /** A valid record whose schema is not the one this stream expects. */
  DECODE_UNEXPECTED_RECORD: 'DECODE_UNEXPECTED_RECORD',
  /** Too many undecodable messages in a window: the processors stop instead of dead-lettering all. */
  POISON_RATIO_EXCEEDED: 'POISON_RATIO_EXCEEDED',
  /** A value that does not satisfy the writer schema. */
  ENCODE_INVALID_VALUE: 'ENCODE_INVALID_VALUE',
  /** Input from a caller (HTTP parameter, CLI argument) is invalid. */
  BAD_INPUT: 'BAD_INPUT',
  /** The component is closing; the operation was abandoned on purpose. */
  CLOSING: 'CLOSING',
  /** The caller went away: the operation (a query) was stopped on purpose, nobody reads its answer. */
  ABANDONED: 'ABANDONED',
  /** An operation ran past its deadline. */
  TIMEOUT: 'TIMEOUT',
  /** A local service of the stack could not be started or reached. */
  STACK_FAILED: 'STACK_FAILED',
  /** Anything not classified above; treated as not retryable. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.KAFKA_UNAVAILABLE,
  ErrorCode.REGISTRY_UNAVAILABLE,
  ErrorCode.CLICKHOUSE_UNAVAILABLE,
  ErrorCode.TIMEOUT,
]);

/** Whether errors with this code may succeed when retried unchanged. */
export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

export interface TelemetryErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retryability (for example a 4xx that is known to be transient). */
  retryable?: boolean;
  /** Structured facts for logs and DLQ headers. */
  details?: Readonly<Record<string, string | number | boolean>>;
}

export class TelemetryError extends Error {
  override readonly name = 'TelemetryError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: ErrorCode, message: string, options: TelemetryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.details = options.details ?? {};
  }
}

export function isTelemetryError(value: unknown): value is TelemetryError {
  return value instanceof TelemetryError;
}

/**
 * A dependency (ClickHouse, Kafka, the registry) is down or did not answer in time: the API
 * answers 503, the CLI exits 3, a retry later may succeed.
 */
export function isUnavailable(error: unknown): error is TelemetryError {
  return isTelemetryError(error) && isRetryableCode(error.code);
}

const CODEC_CODES: Readonly<Record<CodecError['code'], ErrorCode>> = {
  NO_MAGIC_BYTE: ErrorCode.DECODE_NO_MAGIC_BYTE,
  UNKNOWN_SCHEMA_ID: ErrorCode.DECODE_UNKNOWN_SCHEMA_ID,
  TRUNCATED: ErrorCode.DECODE_TRUNCATED,
  INVALID_AVRO: ErrorCode.DECODE_INVALID_AVRO,
  UNEXPECTED_RECORD: ErrorCode.DECODE_UNEXPECTED_RECORD,
  INVALID_VALUE: ErrorCode.ENCODE_INVALID_VALUE,
  REGISTRY_UNAVAILABLE: ErrorCode.REGISTRY_UNAVAILABLE,
  REGISTRY_REQUEST_FAILED: ErrorCode.REGISTRY_REQUEST_FAILED,
};

/**
 * Maps any thrown value onto the taxonomy. Classification uses error classes and their
 * structured codes only; unknown errors become `INTERNAL` (not retryable) with the original as cause.
 */
export function toTelemetryError(error: unknown, fallback: ErrorCode = ErrorCode.INTERNAL): TelemetryError {
  if (error instanceof TelemetryError) return error;
  if (error instanceof CodecError) {
    return new TelemetryError(CODEC_CODES[error.code], error.message, {
      cause: error,
      retryable: error.retryable,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TelemetryError(fallback, message, { cause: error });
}
