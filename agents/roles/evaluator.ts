import { Script, createContext } from 'node:vm';
import { ToolError, ToolErrorCode } from '../errors/types.js';

export const EVALUATOR_TOOL = 'evaluate_js';

/** The program of the first fenced code block of a model answer, or the whole answer. */
export function extractCode(text: string): string {
  const fenced = /```(?:js|javascript|ts)?\s*([\s\S]*?)```/.exec(text);
  return (fenced?.[1] ?? text).trim();
}

function isErrorWithCode(value: unknown, code: string): boolean {
  return typeof value === 'object' && value !== null && 'code' in value && value.code === code;
}

/**
 * Runs a function body in a fresh V8 context with no globals from Node (no `require`, `process`,
 * timers or I/O) and a CPU time limit, and returns its result as JSON-safe data. It bounds what
 * generated code can do by accident; it is not a security boundary against hostile code.
 */
export function evaluateJs(code: string, timeoutMs = 200): unknown {
  const parameters = { code: code.slice(0, 2_000), timeout_ms: timeoutMs };
  let script: Script;
  try {
    script = new Script(`(function () {\n${code}\n})()`, { filename: 'generated.js' });
  } catch (error) {
    throw new ToolError(ToolErrorCode.SYNTAX, `the generated code does not parse`, {
      toolName: EVALUATOR_TOOL,
      parameters,
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = script.runInContext(createContext(Object.create(null) as object), { timeout: timeoutMs });
  } catch (error) {
    if (isErrorWithCode(error, 'ERR_SCRIPT_EXECUTION_TIMEOUT')) {
      throw new ToolError(ToolErrorCode.TIMEOUT, `the generated code ran longer than ${timeoutMs} ms`, {
        toolName: EVALUATOR_TOOL,
        parameters,
        cause: error,
      });
    }
    throw new ToolError(ToolErrorCode.RUNTIME, `the generated code threw: ${String(error).slice(0, 300)}`, {
      toolName: EVALUATOR_TOOL,
      parameters,
      cause: error,
    });
  }
  try {
    const json = JSON.stringify(value) as string | undefined;
    return json === undefined ? null : (JSON.parse(json) as unknown);
  } catch (error) {
    throw new ToolError(
      ToolErrorCode.BAD_OUTPUT,
      'the generated code returned a value that is not JSON data',
      { toolName: EVALUATOR_TOOL, parameters, cause: error },
    );
  }
}
