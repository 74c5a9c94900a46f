import type { AgentMessage, LlmCall } from '../schemas/records.js';
import type { ErrorCollector, ErrorScope } from './errors/collector.js';
import { isLlmError, type LlmProvider, type LlmRequest, type LlmResponse } from './llm/provider.js';
import { SpanKind, Tracing, type Context } from './tracing.js';

/** Options of a subtask sent to another agent. */
export interface RequestOptions {
  timeoutMs: number;
  attempt: number;
  maxRetries: number;
  /** Aborting it cancels the subtask (a CANCEL goes to the worker). */
  signal: AbortSignal;
  reason?: string;
}

/** What a task handler gets: the task, its cancellation signal, and instrumented ways to work. */
export interface TaskContext {
  readonly agent: string;
  readonly task: AgentMessage;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Aborted on CANCEL, on the task's deadline, and when the agent shuts down. */
  readonly signal: AbortSignal;
  /** The agent-invocation span's context; children hang off it. */
  readonly otel: Context;
  /** Model calls made so far (bounded), carried in the RESULT or ERROR. */
  readonly usage: readonly LlmCall[];
  callLlm(request: LlmRequest): Promise<LlmResponse>;
  runTool<T>(
    name: string,
    parameters: Readonly<Record<string, unknown>>,
    run: () => Promise<T> | T,
  ): Promise<T>;
  /** Sends a subtask and waits for its answer (RESULT, ERROR or CANCEL). */
  request(
    target: string,
    payload: Readonly<Record<string, unknown>>,
    options: RequestOptions,
  ): Promise<AgentMessage>;
  /** Reports a failure now (the task may go on); recording the same error again later is a no-op. */
  recordError(error: unknown, scope: Partial<ErrorScope> & { operation: string }): void;
}

export interface TaskContextDeps {
  agent: string;
  task: AgentMessage;
  payload: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
  otel: Context;
  llm: LlmProvider;
  tracing: Tracing;
  collector: ErrorCollector;
  request: (
    parent: Context,
    target: string,
    payload: Readonly<Record<string, unknown>>,
    options: RequestOptions,
  ) => Promise<AgentMessage>;
  /** At most this many calls are carried in a reply. */
  maxUsage?: number;
}

/** Builds the context of one task: model and tool calls get spans, usage records and error reports. */
export function createTaskContext(deps: TaskContextDeps): TaskContext {
  const usage: LlmCall[] = [];
  const maxUsage = deps.maxUsage ?? 64;
  const baseScope = (): ErrorScope => ({
    agent: deps.agent,
    operation: 'task',
    taskId: deps.task.message_id,
    jobId: deps.task.job_id,
    traceId: deps.task.trace_id,
    input: deps.payload,
    retryCount: deps.task.attempt - 1,
    maxRetries: deps.task.max_retries,
  });
  const context: TaskContext = {
    agent: deps.agent,
    task: deps.task,
    payload: deps.payload,
    signal: deps.signal,
    otel: deps.otel,
    usage,
    async callLlm(request) {
      const model = request.model ?? deps.llm.model;
      const span = deps.tracing.startSpan(`chat ${model}`, SpanKind.CLIENT, deps.otel, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': deps.llm.name,
        'gen_ai.provider.name': deps.llm.name,
        'gen_ai.request.model': model,
        'gen_ai.agent.name': deps.agent,
        ...(request.maxTokens === undefined ? {} : { 'gen_ai.request.max_tokens': request.maxTokens }),
        ...(request.temperature === undefined ? {} : { 'gen_ai.request.temperature': request.temperature }),
      });
      const started = Date.now();
      let attempts = 0;
      try {
        const response = await deps.llm.complete(request, {
          signal: deps.signal,
          onRetry: (error) => {
            // a failure the provider retries is still evidence (rate limits, flaky endpoints)
            deps.collector.record(error, {
              ...baseScope(),
              operation: `llm.${request.purpose}`,
              spanId: span.spanContext().spanId,
              model,
              prompt: request.messages.map((m) => `${m.role}: ${m.content}`).join('\n'),
              startedAtMs: started,
              retryCount: error.attempts - 1,
              severity: 'warning',
            });
          },
          onCall: (call) => {
            attempts += 1;
            if (usage.length < maxUsage) usage.push(call);
          },
        });
        span.setAttributes({
          'gen_ai.response.model': response.model,
          'gen_ai.usage.input_tokens': response.promptTokens,
          'gen_ai.usage.output_tokens': response.completionTokens,
          'gen_ai.response.finish_reasons': [response.finishReason],
          'agent_telemetry.cost_usd': response.costUsd,
          'agent_telemetry.attempts': attempts,
        });
        return response;
      } catch (error) {
        Tracing.fail(span, error);
        if (isLlmError(error)) {
          if (error.status !== undefined) span.setAttribute('http.response.status_code', error.status);
          span.setAttribute('error.type', error.code);
        }
        const prompt = request.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
        deps.collector.record(error, {
          ...baseScope(),
          operation: `llm.${request.purpose}`,
          spanId: span.spanContext().spanId,
          model,
          prompt,
          startedAtMs: started,
          retryCount: isLlmError(error) ? error.attempts - 1 : 0,
        });
        throw error;
      } finally {
        span.end();
      }
    },
    async runTool(name, parameters, run) {
      const span = deps.tracing.startSpan(`execute_tool ${name}`, SpanKind.INTERNAL, deps.otel, {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.type': 'function',
        'gen_ai.agent.name': deps.agent,
      });
      const started = Date.now();
      try {
        return await run();
      } catch (error) {
        Tracing.fail(span, error);
        deps.collector.record(error, {
          ...baseScope(),
          operation: `tool.${name}`,
          spanId: span.spanContext().spanId,
          toolName: name,
          toolParameters: parameters,
          startedAtMs: started,
        });
        throw error;
      } finally {
        span.end();
      }
    },
    request(target, payload, options) {
      return deps.request(deps.otel, target, payload, options);
    },
    recordError(error, scope) {
      deps.collector.record(error, { ...baseScope(), ...scope });
    },
  };
  return context;
}
