import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import type { DetailedError } from '../../schemas/records.js';
import { LlmError } from '../llm/provider.js';
import { ErrorCollector, type ErrorCollectorOptions } from './collector.js';
import { ToolError } from './types.js';

function collector(overrides: Partial<ErrorCollectorOptions> = {}): {
  c: ErrorCollector;
  sent: DetailedError[];
  clock: { now: number };
} {
  const sent: DetailedError[] = [];
  const clock = { now: 1_000_000 };
  const c = new ErrorCollector({
    send: (record) => {
      sent.push(record);
      return Promise.resolve();
    },
    logger: createLogger({ level: 'silent', component: 'test' }),
    serviceName: 'test',
    environment: 'test',
    host: 'h',
    perAgent: { ratePerSecond: 100, burst: 100 },
    perFingerprint: { ratePerSecond: 1, burst: 2 },
    now: () => clock.now,
    ...overrides,
  });
  return { c, sent, clock };
}

/** Errors thrown from one place share a stack, hence a fingerprint. */
function rateLimited(): LlmError {
  return new LlmError('rate_limited', 'HTTP 429', { provider: 'openai', model: 'm', status: 429 });
}

describe('error collector', () => {
  it('fills the record from the error and its scope', () => {
    const { c, sent } = collector();
    const error = new ToolError('TOOL_RUNTIME', 'the generated code threw', {
      toolName: 'evaluate_js',
      parameters: { code: 'x()' },
    });
    c.record(error, {
      agent: 'coder',
      operation: 'tool.evaluate_js',
      taskId: 't1',
      jobId: 'j1',
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      input: { goal: 'g' },
      retryCount: 1,
      maxRetries: 3,
      startedAtMs: 999_000,
    });
    expect(sent[0]).toMatchObject({
      category: 'tool_error',
      severity: 'error',
      error_type: 'ToolError',
      error_code: 'TOOL_RUNTIME',
      tool_name: 'evaluate_js',
      tool_parameters: '{"code":"x()"}',
      input_data: '{"goal":"g"}',
      task_id: 't1',
      job_id: 'j1',
      retry_count: 1,
      max_retries: 3,
      duration_before_error_ms: 1_000,
      suppressed_count: 0,
      is_retryable: false,
    });
    expect(sent[0]?.stack_trace).toContain('ToolError');
    expect(sent[0]?.suggested_fixes.length).toBeGreaterThan(0);
  });

  it('records one exception once, however many scopes report it', () => {
    const { c, sent } = collector();
    const error = rateLimited();
    expect(c.record(error, { agent: 'researcher', operation: 'llm.research' })).toBeDefined();
    expect(c.record(error, { agent: 'researcher', operation: 'task' })).toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(c.stats.duplicates).toBe(1);
  });

  it('caps a storm per fingerprint and reports the suppressed count in the next record', () => {
    const { c, sent, clock } = collector();
    for (let i = 0; i < 50; i++) c.record(rateLimited(), { agent: 'researcher', operation: 'llm.research' });
    // the first (always kept) plus the burst of 2, taken after the first's forced token: 2 records
    expect(sent.length).toBe(2);
    expect(c.stats.suppressed).toBe(48);
    clock.now += 1_000;
    c.record(rateLimited(), { agent: 'researcher', operation: 'llm.research' });
    expect(sent).toHaveLength(3);
    expect(sent[2]?.suppressed_count).toBe(48);
    expect(sent.reduce((sum, r) => sum + 1 + r.suppressed_count, 0)).toBe(51);
  });

  it('sends the latest held-back error later with the count of the others, so a storm that stops is fully counted', async () => {
    const { c, sent, clock } = collector();
    for (let i = 0; i < 10; i++)
      c.record(rateLimited(), { agent: 'researcher', operation: 'llm.research', retryCount: i });
    expect(sent).toHaveLength(2);
    c.sweep(false);
    expect(sent).toHaveLength(2); // the bucket is still empty
    clock.now += 1_000;
    c.sweep(false);
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatchObject({ retry_count: 9, suppressed_count: 7, timestamp: 1_000_000 });
    expect(sent.reduce((sum, r) => sum + 1 + r.suppressed_count, 0)).toBe(10);
    await c.close();
    expect(sent).toHaveLength(3);
  });

  it('always keeps critical errors and the first of a new fingerprint', () => {
    const { c, sent } = collector({ perAgent: { ratePerSecond: 0.001, burst: 1 } });
    c.record(rateLimited(), { agent: 'a', operation: 'x' });
    c.record(new TypeError('other place'), { agent: 'a', operation: 'y' });
    c.record(rateLimited(), { agent: 'a', operation: 'x' });
    c.record(new TypeError('dying'), { agent: 'a', operation: 'z', severity: 'critical' });
    c.record(new TypeError('dying again'), { agent: 'a', operation: 'z', severity: 'critical' });
    expect(sent.map((r) => r.operation)).toEqual(['x', 'y', 'z', 'z']);
  });

  it('limits each agent separately', () => {
    const { c, sent } = collector({
      perAgent: { ratePerSecond: 0.001, burst: 1 },
      perFingerprint: { ratePerSecond: 100, burst: 100 },
    });
    const errors = Array.from({ length: 5 }, () => rateLimited());
    for (const e of errors) c.record(e, { agent: 'a', operation: 'x' });
    for (const e of Array.from({ length: 5 }, () => rateLimited()))
      c.record(e, { agent: 'b', operation: 'x' });
    expect(sent.filter((r) => r.agent_name === 'a')).toHaveLength(1);
    expect(sent.filter((r) => r.agent_name === 'b')).toHaveLength(1);
  });
});
