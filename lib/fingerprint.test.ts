import { describe, expect, it } from 'vitest';
import { errorFingerprint, normalizeMessage, topFrames } from './fingerprint.js';

const base = {
  error_type: 'RateLimitError',
  category: 'llm_error',
  agent_name: 'researcher',
  operation: 'llm_call',
  stack_trace: null,
};

describe('error fingerprints', () => {
  it('mask ids, numbers, quoted values and addresses in messages', () => {
    expect(normalizeMessage('task 0b7e4f0e-7d1c-4a57-9d55-3c1e1f8f0a01 timed out after 30000ms')).toBe(
      'task <uuid> timed out after <n>',
    );
    expect(normalizeMessage("connect ECONNREFUSED 10.0.0.12:11434 for 'llama3'")).toBe(
      'connect ECONNREFUSED <ip> for <str>',
    );
  });

  it('group messages that differ only in variable parts', () => {
    const a = errorFingerprint({ ...base, error_message: 'rate limit: 4012 tokens requested, 4000 allowed' });
    const b = errorFingerprint({ ...base, error_message: 'rate limit: 9000 tokens requested, 4000 allowed' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('separate agents, operations and types', () => {
    const a = errorFingerprint({ ...base, error_message: 'x' });
    expect(errorFingerprint({ ...base, agent_name: 'writer', error_message: 'x' })).not.toBe(a);
    expect(errorFingerprint({ ...base, operation: 'tool_call', error_message: 'x' })).not.toBe(a);
    expect(errorFingerprint({ ...base, error_type: 'TimeoutError', error_message: 'x' })).not.toBe(a);
  });

  it('prefer top stack frames, ignoring line numbers', () => {
    const stack = (line: number) =>
      `Error: boom ${line}\n    at callModel (/app/agents/llm.ts:${line}:11)\n    at async Agent.handle (/app/agents/runtime.ts:${line + 40}:5)`;
    expect(topFrames(stack(10))).toEqual([
      'callModel@/app/agents/llm.ts',
      'Agent.handle@/app/agents/runtime.ts',
    ]);
    const a = errorFingerprint({ ...base, error_message: 'first', stack_trace: stack(10) });
    const b = errorFingerprint({ ...base, error_message: 'different text', stack_trace: stack(99) });
    expect(a).toBe(b);
  });

  it('read Python frames too', () => {
    const stack =
      'Traceback (most recent call last):\n  File "/app/agent.py", line 12, in run\n    x()\n  File "/app/llm.py", line 40, in call';
    expect(topFrames(stack)).toEqual(['run@/app/agent.py', 'call@/app/llm.py']);
  });
});
