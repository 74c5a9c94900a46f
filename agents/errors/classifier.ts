import { ZodError } from 'zod';
import { CodecError } from '../../schemas/codec-errors.js';
import { ErrorCategory, Severity } from '../../schemas/records.js';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';
import { LlmError, LlmErrorCode } from '../llm/provider.js';
import {
  AgentInputError,
  DeadlineExceededError,
  HandoffError,
  HandoffErrorCode,
  TaskCancelledError,
  ToolError,
  ToolErrorCode,
} from './types.js';

/** What the classifier decides about an error, from its class, HTTP status and codes only. */
export interface Classification {
  category: ErrorCategory;
  severity: Severity;
  /** Class name, or `<class>:<name>` for DOMExceptions. */
  errorType: string;
  errorCode: string | null;
  httpStatus: number | null;
  retryable: boolean;
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);
const RESOURCE_CODES: ReadonlySet<string> = new Set([
  'ENOMEM',
  'EMFILE',
  'ENFILE',
  'ENOSPC',
  'ERR_WORKER_OUT_OF_MEMORY',
]);

function stringCode(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'string'
    ? value.code
    : undefined;
}

/** The first system error code (`ECONNREFUSED`…) on the error or its causes. */
function systemCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const code = stringCode(current);
    if (
      code !== undefined &&
      (NETWORK_CODES.has(code) || TIMEOUT_CODES.has(code) || RESOURCE_CODES.has(code))
    )
      return code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

function typeName(error: unknown): string {
  if (error instanceof DOMException) return `DOMException:${error.name}`;
  if (error instanceof Error) return error.name === 'Error' ? error.constructor.name : error.name;
  return typeof error;
}

function result(
  category: ErrorCategory,
  error: unknown,
  retryable: boolean,
  errorCode: string | null,
  httpStatus: number | null = null,
): Classification {
  const severity =
    category === ErrorCategory.CONFIG_ERROR || category === ErrorCategory.RESOURCE_ERROR
      ? Severity.CRITICAL
      : retryable
        ? Severity.WARNING
        : Severity.ERROR;
  return { category, severity, errorType: typeName(error), errorCode, httpStatus, retryable };
}

function classifyLlm(error: LlmError): Classification {
  switch (error.code) {
    case LlmErrorCode.TIMEOUT:
      return result(ErrorCategory.TIMEOUT_ERROR, error, true, error.code, error.status ?? null);
    case LlmErrorCode.NETWORK:
      return result(ErrorCategory.NETWORK_ERROR, error, true, systemCodeOf(error) ?? error.code, null);
    case LlmErrorCode.AUTH:
      return result(ErrorCategory.CONFIG_ERROR, error, false, error.code, error.status ?? null);
    case LlmErrorCode.CANCELLED:
      return result(ErrorCategory.AGENT_ERROR, error, false, error.code, null);
    case LlmErrorCode.INVALID_RESPONSE:
      return result(ErrorCategory.LLM_ERROR, error, true, error.code, error.status ?? null);
    default:
      return result(ErrorCategory.LLM_ERROR, error, error.retryable, error.code, error.status ?? null);
  }
}

/**
 * Classifies any thrown value into a DetailedError category. Only classes, `code` fields, HTTP statuses
 * and DOMException names are consulted; message text never decides.
 */
export function classifyError(error: unknown): Classification {
  if (error instanceof LlmError) return classifyLlm(error);
  if (error instanceof ToolError) {
    return result(ErrorCategory.TOOL_ERROR, error, error.retryable, error.code);
  }
  if (error instanceof HandoffError) {
    const category =
      error.code === HandoffErrorCode.STEP_TIMEOUT
        ? ErrorCategory.TIMEOUT_ERROR
        : ErrorCategory.HANDOFF_ERROR;
    return result(category, error, error.retryable, error.code);
  }
  if (error instanceof DeadlineExceededError)
    return result(ErrorCategory.TIMEOUT_ERROR, error, false, error.code);
  if (error instanceof TaskCancelledError) return result(ErrorCategory.AGENT_ERROR, error, false, error.code);
  if (error instanceof AgentInputError || error instanceof ZodError) {
    return result(ErrorCategory.VALIDATION_ERROR, error, false, stringCode(error) ?? 'INVALID_INPUT');
  }
  if (error instanceof CodecError) {
    const registry = error.code === 'REGISTRY_UNAVAILABLE' || error.code === 'REGISTRY_REQUEST_FAILED';
    return result(
      registry ? ErrorCategory.NETWORK_ERROR : ErrorCategory.VALIDATION_ERROR,
      error,
      error.retryable,
      error.code,
    );
  }
  if (error instanceof TelemetryError) {
    const byCode: Partial<Record<ErrorCode, ErrorCategory>> = {
      [ErrorCode.CONFIG_INVALID]: ErrorCategory.CONFIG_ERROR,
      [ErrorCode.KAFKA_UNAVAILABLE]: ErrorCategory.NETWORK_ERROR,
      [ErrorCode.REGISTRY_UNAVAILABLE]: ErrorCategory.NETWORK_ERROR,
      [ErrorCode.CLICKHOUSE_UNAVAILABLE]: ErrorCategory.NETWORK_ERROR,
      [ErrorCode.TIMEOUT]: ErrorCategory.TIMEOUT_ERROR,
      [ErrorCode.BAD_INPUT]: ErrorCategory.VALIDATION_ERROR,
      [ErrorCode.ENCODE_INVALID_VALUE]: ErrorCategory.VALIDATION_ERROR,
    };
    const decode = error.code.startsWith('DECODE_') ? ErrorCategory.VALIDATION_ERROR : undefined;
    return result(
      byCode[error.code] ?? decode ?? ErrorCategory.AGENT_ERROR,
      error,
      error.retryable,
      error.code,
    );
  }
  if (error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return result(ErrorCategory.TIMEOUT_ERROR, error, error.name === 'TimeoutError', error.name);
  }
  const system = systemCodeOf(error);
  if (system !== undefined) {
    if (NETWORK_CODES.has(system)) return result(ErrorCategory.NETWORK_ERROR, error, true, system);
    if (TIMEOUT_CODES.has(system)) return result(ErrorCategory.TIMEOUT_ERROR, error, true, system);
    return result(ErrorCategory.RESOURCE_ERROR, error, false, system);
  }
  if (error instanceof RangeError && stringCode(error) === 'ERR_OUT_OF_RANGE') {
    return result(ErrorCategory.VALIDATION_ERROR, error, false, 'ERR_OUT_OF_RANGE');
  }
  if (error instanceof Error)
    return result(ErrorCategory.AGENT_ERROR, error, false, stringCode(error) ?? null);
  return result(ErrorCategory.UNKNOWN, error, false, null);
}

/** Whether the tool that failed is named on the error (tool errors carry their call). */
export function toolCallOf(
  error: unknown,
): { toolName: string; parameters: Readonly<Record<string, unknown>> } | undefined {
  return error instanceof ToolError ? { toolName: error.toolName, parameters: error.parameters } : undefined;
}

export { ToolErrorCode };
