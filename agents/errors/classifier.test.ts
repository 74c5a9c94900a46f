import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CodecError } from '../../schemas/codec-errors.js';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';
import { LlmError } from '../llm/provider.js';
import { classifyError } from './classifier.js';
import { AgentErrorCode, AgentInputError, DeadlineExceededError, HandoffError, ToolError } from './types.js';

const llm = { provider: 'openai', model: 'gpt-4o-mini' };

function systemError(code: string): Error {
  return Object.assign(new Error('connect failed'), { code });
}

describe('error classifier', () => {
  it.each([
    [
      '429',
      new LlmError('rate_limited', 'x', { ...llm, status: 429 }),
      'llm_error',
      'rate_limited',
      429,
      true,
    ],
    [
      '503',
      new LlmError('server_error', 'x', { ...llm, status: 503 }),
      'llm_error',
      'server_error',
      503,
      true,
    ],
    ['401', new LlmError('auth', 'x', { ...llm, status: 401 }), 'config_error', 'auth', 401, false],
    ['LLM timeout', new LlmError('timeout', 'x', llm), 'timeout_error', 'timeout', null, true],
    [
      'refused connection under an LLM error',
      new LlmError('network', 'x', {
        ...llm,
        cause: new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') }),
      }),
      'network_error',
      'ECONNREFUSED',
      null,
      true,
    ],
    ['ENOTFOUND on its own', systemError('ENOTFOUND'), 'network_error', 'ENOTFOUND', null, true],
    ['ETIMEDOUT', systemError('ETIMEDOUT'), 'timeout_error', 'ETIMEDOUT', null, true],
    ['EMFILE', systemError('EMFILE'), 'resource_error', 'EMFILE', null, false],
    ['abort', new DOMException('aborted', 'AbortError'), 'timeout_error', 'AbortError', null, false],
    [
      'AbortSignal.timeout',
      new DOMException('timed out', 'TimeoutError'),
      'timeout_error',
      'TimeoutError',
      null,
      true,
    ],
    ['deadline', new DeadlineExceededError(0, 'task'), 'timeout_error', 'DEADLINE_EXCEEDED', null, false],
    [
      'tool',
      new ToolError('TOOL_RUNTIME', 'x', { toolName: 'evaluate_js', parameters: {} }),
      'tool_error',
      'TOOL_RUNTIME',
      null,
      false,
    ],
    [
      'step timeout',
      new HandoffError('STEP_TIMEOUT', 'x', { targetAgent: 'coder', attempt: 1 }),
      'timeout_error',
      'STEP_TIMEOUT',
      null,
      true,
    ],
    [
      'handoff',
      new HandoffError('RETRIES_EXHAUSTED', 'x', { targetAgent: 'coder', attempt: 3 }),
      'handoff_error',
      'RETRIES_EXHAUSTED',
      null,
      false,
    ],
    [
      'bad model output',
      new AgentInputError(AgentErrorCode.BAD_MODEL_OUTPUT, 'x'),
      'validation_error',
      'BAD_MODEL_OUTPUT',
      null,
      false,
    ],
    ['poison bytes', new CodecError('NO_MAGIC_BYTE', 'x'), 'validation_error', 'NO_MAGIC_BYTE', null, false],
    [
      'registry down',
      new CodecError('REGISTRY_UNAVAILABLE', 'x'),
      'network_error',
      'REGISTRY_UNAVAILABLE',
      null,
      true,
    ],
    [
      'kafka down',
      new TelemetryError(ErrorCode.KAFKA_UNAVAILABLE, 'x'),
      'network_error',
      'KAFKA_UNAVAILABLE',
      null,
      true,
    ],
    [
      'bad config',
      new TelemetryError(ErrorCode.CONFIG_INVALID, 'x'),
      'config_error',
      'CONFIG_INVALID',
      null,
      false,
    ],
    ['a plain bug', new TypeError('x is undefined'), 'agent_error', null, null, false],
    ['a thrown string', 'boom', 'unknown', null, null, false],
  ])('%s', (_what, error, category, code, status, retryable) => {
    expect(classifyError(error)).toMatchObject({ category, errorCode: code, httpStatus: status, retryable });
  });

  it('classifies validation-library errors as validation errors', () => {
    const result = z.object({ goal: z.string() }).safeParse({ goal: 1 });
    expect(result.success).toBe(false);
    expect(classifyError(result.error)).toMatchObject({
      category: 'validation_error',
      errorType: 'ZodError',
    });
  });

  it('ignores what the message says', () => {
    expect(classifyError(new Error('429 rate limit timeout ECONNREFUSED'))).toMatchObject({
      category: 'agent_error',
    });
  });

  it('makes configuration and resource failures critical, retryable ones warnings', () => {
    expect(classifyError(new TelemetryError(ErrorCode.CONFIG_INVALID, 'x')).severity).toBe('critical');
    expect(classifyError(new LlmError('rate_limited', 'x', llm)).severity).toBe('warning');
    expect(classifyError(new TypeError('x')).severity).toBe('error');
  });
});
