/** Codes of the failures the codec reports; `lib/errors.ts` maps them onto the project taxonomy. */
export const CodecErrorCode = {
  /** Fewer than 5 bytes, or a first byte other than 0: not the Confluent wire format. */
  NO_MAGIC_BYTE: 'NO_MAGIC_BYTE',
  /** The registry does not know the schema id in the header. */
  UNKNOWN_SCHEMA_ID: 'UNKNOWN_SCHEMA_ID',
  /** The Avro body ends before the record does. */
  TRUNCATED: 'TRUNCATED',
  /** The Avro body is malformed, or bytes are left over after the record. */
  INVALID_AVRO: 'INVALID_AVRO',
  /** A well-formed record of another type than the stream expects. */
  UNEXPECTED_RECORD: 'UNEXPECTED_RECORD',
  /** The value to encode does not match the schema; `paths` names the offending fields. */
  INVALID_VALUE: 'INVALID_VALUE',
  /** The registry could not be reached or failed; retrying may succeed. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** The registry refused the request (incompatible schema, auth). */
  REGISTRY_REQUEST_FAILED: 'REGISTRY_REQUEST_FAILED',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  /** Only registry outages are worth retrying; bad bytes stay bad. */
  readonly retryable: boolean;
  readonly schemaId: number | undefined;

  constructor(code: CodecErrorCode, message: string, options: { cause?: unknown; schemaId?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = code === CodecErrorCode.REGISTRY_UNAVAILABLE;
    this.schemaId = options.schemaId;
  }
}

export function isCodecError(value: unknown): value is CodecError {
  return value instanceof CodecError;
}
