/**
 * Errors the agents raise themselves. Each carries a closed `code`, so the classifier and callers
 * branch on class and code, never on message text.
 */

export const ToolErrorCode = {
  SYNTAX: 'TOOL_SYNTAX',
  RUNTIME: 'TOOL_RUNTIME',
  TIMEOUT: 'TOOL_TIMEOUT',
  BAD_OUTPUT: 'TOOL_BAD_OUTPUT',
  UNAVAILABLE: 'TOOL_UNAVAILABLE',
} as const;
export type ToolErrorCode = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

/** A tool call failed; `toolName` and `parameters` say which call. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  readonly code: ToolErrorCode;
  readonly toolName: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;

  constructor(
    code: ToolErrorCode,
    message: string,
    details: { toolName: string; parameters: Readonly<Record<string, unknown>>; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.toolName = details.toolName;
    this.parameters = details.parameters;
    this.retryable = code === ToolErrorCode.TIMEOUT || code === ToolErrorCode.UNAVAILABLE;
  }
}

export const HandoffErrorCode = {
  /** The worker answered with an ERROR. */
  STEP_FAILED: 'STEP_FAILED',
  /** No answer within the per-step timeout. */
  STEP_TIMEOUT: 'STEP_TIMEOUT',
  /** The worker answered that it cancelled the task (it was shutting down). */
  STEP_CANCELLED: 'STEP_CANCELLED',
  /** Every attempt failed; the job cannot go on. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** The task could not be sent to the worker's queue. */
  SEND_FAILED: 'SEND_FAILED',
} as const;
export type HandoffErrorCode = (typeof HandoffErrorCode)[keyof typeof HandoffErrorCode];

/** Handing a step to another agent failed. */
export class HandoffError extends Error {
  override readonly name = 'HandoffError';
  readonly code: HandoffErrorCode;
  readonly targetAgent: string;
  readonly taskId: string | undefined;
  readonly attempt: number;
  readonly retryable: boolean;
  /** The worker's own error type, when it answered with one. */
  readonly remoteErrorType: string | undefined;

  constructor(
    code: HandoffErrorCode,
    message: string,
    details: {
      targetAgent: string;
      taskId?: string;
      attempt: number;
      remoteErrorType?: string;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.targetAgent = details.targetAgent;
    this.taskId = details.taskId;
    this.attempt = details.attempt;
    this.remoteErrorType = details.remoteErrorType;
    this.retryable = code !== HandoffErrorCode.RETRIES_EXHAUSTED;
  }
}

export const AgentErrorCode = {
  /** A task payload that does not have the fields the agent needs. */
  BAD_TASK: 'BAD_TASK',
  /** A model answer the agent cannot use (a plan that is not JSON, a verdict of the wrong shape). */
  BAD_MODEL_OUTPUT: 'BAD_MODEL_OUTPUT',
  /** Deliberate fault of a scenario. */
  INJECTED_FAULT: 'INJECTED_FAULT',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

/** Input the agent cannot work with: a validation failure. */
export class AgentInputError extends Error {
  override readonly name = 'AgentInputError';
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** A task ended because it was cancelled (CANCEL message, job cancelled, agent shutting down). */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  readonly code = 'TASK_CANCELLED';
  readonly reason: string;
  constructor(reason: string) {
    super(`task cancelled: ${reason}`);
    this.reason = reason;
  }
}

/** A task ran past its deadline or TTL. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  readonly code = 'DEADLINE_EXCEEDED';
  readonly deadlineMs: number;
  constructor(deadlineMs: number, what: string) {
    super(`${what}: deadline ${new Date(deadlineMs).toISOString()} passed`);
    this.deadlineMs = deadlineMs;
  }
}
