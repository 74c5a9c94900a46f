import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ErrorCode, isTelemetryError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { HttpError } from '../http/http-error.js';
import type { ApiContext } from '../module.js';
import { DEFAULT_BUDGET_CHARS, fitBudget } from './budget.js';

/**
 * A failure the caller can act on (an unknown id, a refused query, a module this API lacks): it
 * becomes a tool error (`isError: true`) with its text, never a protocol error or a crash.
 */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
}

/** MCP tool annotations; tools that change nothing leave them to the read-only default. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a tool that only reads declares: no side effects, safe to repeat. */
export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export interface ToolSpec<S extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: S;
  /** Defaults to `READ_ONLY`. */
  annotations?: ToolAnnotations;
  run: (args: z.output<z.ZodObject<S>>) => Promise<Record<string, unknown>>;
}

/** A tool with its argument types erased, as the registry holds it. */
export interface Tool {
  name: string;
  title: string;
  description: string;
  input: z.ZodRawShape;
  annotations?: ToolAnnotations;
  run: (args: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/**
 * Declares a tool with its argument types inferred from its zod shape. The SDK validates the
 * arguments before the call; they are parsed once more here so that the handler's types hold.
 */
export function defineTool<S extends z.ZodRawShape>(spec: ToolSpec<S>): Tool {
  const schema = z.object(spec.input);
  return { ...spec, run: (args) => spec.run(schema.parse(args)) };
}

const DEPENDENCY: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.CLICKHOUSE_UNAVAILABLE]: 'ClickHouse',
  [ErrorCode.KAFKA_UNAVAILABLE]: 'Kafka',
  [ErrorCode.REGISTRY_UNAVAILABLE]: 'the schema registry',
};

/** The text of a failure, as a caller can act on it. */
export function failureText(error: unknown): string {
  if (error instanceof ToolFailure) return error.message;
  // a read model's own 4xx (a malformed cursor…) names the argument at fault
  if (error instanceof HttpError && error.status < 500) return error.message;
  if (isTelemetryError(error)) {
    const dependency = DEPENDENCY[error.code];
    if (dependency !== undefined) {
      return `${dependency} is unavailable (${error.code}): ${error.message}. Check the stack (agent-telemetry stack status, or /ready of the API) and call the tool again.`;
    }
    if (error.code === ErrorCode.CLICKHOUSE_QUERY_FAILED) {
      return `ClickHouse refused the query (${error.code}): ${error.message}`;
    }
    if (error.code === ErrorCode.BAD_INPUT) return error.message;
    return `${error.code}: ${error.message}`;
  }
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}

/** The caller's fault (bad argument, unknown id, refused SQL), not the server's: not worth a warning. */
function isCallerFault(error: unknown): boolean {
  return (
    error instanceof ToolFailure ||
    (error instanceof HttpError && error.status < 500) ||
    (isTelemetryError(error) &&
      (error.code === ErrorCode.BAD_INPUT || error.code === ErrorCode.CLICKHOUSE_QUERY_FAILED))
  );
}

export function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A compact answer within the budget, as text (JSON) and as structured content. */
export function toolResult(value: Record<string, unknown>, budget = DEFAULT_BUDGET_CHARS): CallToolResult {
  const fitted = fitBudget(value, budget);
  const structured =
    fitted.truncated === null ? fitted.value : { ...fitted.value, truncated: fitted.truncated };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** Registers tools (read-only unless they say otherwise); a thrown failure becomes a tool error, unexpected ones are logged. */
export function registerTools(server: McpServer, specs: readonly Tool[], logger: Logger): void {
  for (const spec of specs) {
    server.registerTool(
      spec.name,
      {
        title: spec.title,
        description: spec.description,
        inputSchema: spec.input,
        annotations: spec.annotations ?? READ_ONLY,
      },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        try {
          return toolResult(await spec.run(args));
        } catch (error) {
          if (isCallerFault(error)) logger.debug({ err: error, tool: spec.name }, 'MCP tool refused');
          else logger.warn({ err: error, tool: spec.name }, 'MCP tool failed');
          return toolError(failureText(error));
        }
      },
    );
  }
}

/**
 * Calls one of the API's own routes in process (diagnosis, oracle), so that the answer is the one
 * the REST API gives. A route this API does not serve, a 4xx and a 5xx become actionable failures.
 */
export async function callApi(context: ApiContext, path: string): Promise<Record<string, unknown>> {
  const token = context.config.api.authToken;
  const response = await context.fetch(
    new Request(`http://localhost${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    }),
  );
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { detail: text.slice(0, 300) };
  }
  const detail =
    typeof body === 'object' && body !== null && 'detail' in body && typeof body.detail === 'string'
      ? body.detail
      : undefined;
  if (response.status === 404 && detail?.startsWith('no route') === true) {
    throw new ToolFailure(
      `this API build does not serve ${path.split('?')[0] ?? path} (its module is not installed); the other tools still answer`,
    );
  }
  if (response.status === 404) throw new ToolFailure(detail ?? `not found: ${path}`);
  if (response.status >= 400 && response.status < 500) {
    throw new ToolFailure(`the API refused ${path}: ${detail ?? String(response.status)}`);
  }
  if (response.status >= 500) {
    throw new ToolFailure(
      `the API could not answer ${path} (${response.status}: ${detail ?? 'server error'}); a dependency may be down: check /ready`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { value: body };
  }
  return body as Record<string, unknown>;
}

/** `since_minutes` as epoch milliseconds at the context's clock. */
export function sinceMs(context: ApiContext, minutes: number | undefined): number | undefined {
  return minutes === undefined ? undefined : context.now() - minutes * 60_000;
}

export const idArg = (what: string): z.ZodString =>
  z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[\w.:-]+$/, 'letters, digits, _ . : - only')
    .describe(what);

export const agentArg = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe('Agent name, as in its queue topic agent-queue-<agent> (e.g. "coder")');
