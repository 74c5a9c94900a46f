import { describe, expect, it } from 'vitest';
import { sampleError, sampleResult, sampleTask } from '../schemas/fixtures.js';
import { InvalidRecordError, mapAgentMessage, mapDetailedError, type Source } from './mappers.js';

const source: Source = {
  topic: 'agent-queue-researcher',
  partition: 2,
  offset: 41,
  schemaId: 7,
  observedAtMs: 1_764_000_000_900,
};

describe('mapAgentMessage', () => {
  it('logs a TASK and opens it under its target agent with its TTL as expiry', () => {
    const rows = mapAgentMessage(sampleTask(), source);
    expect(rows.message_log).toHaveLength(1);
    expect(rows.message_log[0]).toMatchObject({
      message_id: sampleTask().message_id,
      topic: 'agent-queue-researcher',
      partition: 2,
      offset: 41,
      schema_id: 7,
      message_type: 'task',
      parent_message_id: '',
      sent_at_ms: 1_764_000_000_000,
      observed_at_ms: 1_764_000_000_900,
      deadline_ms: 1_764_000_300_000,
    });
    expect(rows.task_events).toEqual([
      expect.objectContaining({
        agent: 'researcher',
        task_id: sampleTask().message_id,
        has_task: 1,
        requester: 'orchestrator',
        priority: 3,
        submitted_at_ms: 1_764_000_000_000,
        expires_at_ms: 1_764_000_300_000,
        resolved_key: 0,
      }),
    ]);
    expect(rows.llm_calls).toEqual([]);
    expect(rows.heartbeats).toEqual([]);
  });

  it('resolves the parent task under both agents of a RESULT, and records its LLM calls', () => {
    const result = sampleResult({ timestamp: 1_764_000_002_000 });
    const rows = mapAgentMessage(result, { ...source, topic: 'agent-queue-orchestrator' });
    expect(
      rows.task_events.map((r) => [r.agent, r.task_id, r.has_task, r.resolved_key, r.resolved_by]),
    ).toEqual([
      ['researcher', sampleTask().message_id, 0, 1_764_000_002_000 * 4 + 1, result.message_id],
      ['orchestrator', sampleTask().message_id, 0, 1_764_000_002_000 * 4 + 1, result.message_id],
    ]);
    expect(rows.llm_calls).toEqual([
      expect.objectContaining({
        message_id: result.message_id,
        call_index: 0,
        agent: 'researcher',
        prompt_tokens: 812,
      }),
    ]);
  });

  it('ranks ERROR as failed and CANCEL as cancelled', () => {
    const error = mapAgentMessage(sampleResult({ message_type: 'error' }), source);
    expect((error.task_events[0]?.resolved_key ?? 0) % 4).toBe(2);
    const cancel = mapAgentMessage(
      sampleTask({ message_id: 'c-1', message_type: 'cancel', parent_message_id: sampleTask().message_id }),
      source,
    );
    expect(cancel.task_events.map((r) => [r.task_id, r.resolved_key % 4])).toEqual([
      [sampleTask().message_id, 3],
      [sampleTask().message_id, 3],
    ]);
  });

  it('ignores answers without a parent for the task view but still logs them', () => {
    const rows = mapAgentMessage(sampleResult({ parent_message_id: null }), source);
    expect(rows.message_log).toHaveLength(1);
    expect(rows.task_events).toEqual([]);
  });

  it('records heartbeats with what they report', () => {
    const rows = mapAgentMessage(
      sampleTask({
        message_id: 'hb-1',
        message_type: 'heartbeat',
        source_agent: 'coder',
        heartbeat: {
          state: 'busy',
          in_flight: 2,
          max_concurrency: 4,
          host: 'node-1',
          pid: 42,
          version: '0.1.0',
        },
      }),
      source,
    );
    expect(rows.heartbeats).toEqual([
      expect.objectContaining({ agent: 'coder', state: 'busy', in_flight: 2, max_concurrency: 4, pid: 42 }),
    ]);
    expect(rows.task_events).toEqual([]);
  });

  it('is deterministic: the same input gives the same rows', () => {
    expect(mapAgentMessage(sampleResult(), source)).toEqual(mapAgentMessage(sampleResult(), source));
  });

  it('refuses records without ids', () => {
    expect(() => mapAgentMessage(sampleTask({ message_id: '' }), source)).toThrow(InvalidRecordError);
  });
});

describe('mapDetailedError', () => {
  it('keeps every field, with absent values as empty strings and zeros', () => {
    const rows = mapDetailedError(sampleError({ partial_output: null, token_count: null }), {
      ...source,
      topic: 'agent-telemetry-errors',
    });
    expect(rows.error_facts).toHaveLength(1);
    expect(rows.error_facts[0]).toMatchObject({
      error_id: sampleError().error_id,
      fingerprint: 'f3a9c0d1',
      severity: 'error',
      category: 'llm_error',
      partial_output: '',
      token_count: 0,
      is_retryable: 1,
      http_status: 429,
      timestamp_ms: 1_764_000_001_000,
      topic: 'agent-telemetry-errors',
      offset: 41,
    });
  });

  it('computes a fingerprint when the sender sent none', () => {
    const a = mapDetailedError(sampleError({ fingerprint: null, error_message: 'limit 10 of 20' }), source);
    const b = mapDetailedError(
      sampleError({ fingerprint: null, error_message: 'limit 99 of 20', error_id: 'other' }),
      source,
    );
    expect(a.error_facts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.error_facts[0]?.fingerprint).toBe(b.error_facts[0]?.fingerprint);
  });
});
