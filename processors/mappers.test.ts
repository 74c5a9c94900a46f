import { describe, expect, it } from 'vitest';
import { sampleError, sampleResult, sampleTask } from '../schemas/test-support/fixtures.js';
import { DEAD_LETTER_COLUMNS, DEAD_LETTERS } from '../lib/tables/dead-letters.js';
import { ERROR_FACT_COLUMNS, ERROR_FACTS } from '../lib/tables/error-facts.js';
import { HEARTBEAT_COLUMNS, HEARTBEATS } from '../lib/tables/heartbeats.js';
import { emptyTableRows, WRITTEN_TABLES, type WrittenTable } from '../lib/tables/index.js';
import { LLM_CALL_COLUMNS, LLM_CALLS } from '../lib/tables/llm-calls.js';
import { MESSAGE_LOG, MESSAGE_LOG_COLUMNS } from '../lib/tables/message-log.js';
import { TASK_EVENT_COLUMNS, TASK_EVENTS } from '../lib/tables/task-lifecycle.js';
import { deadLetterFor } from './dead-letter.js';
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

  it('stores when the answering agent started the task, and 0 when it was not reported or cannot be right', () => {
    const at = 1_764_000_002_000;
    const started = (startedAt: number | null): number | undefined =>
      mapAgentMessage(sampleResult({ timestamp: at, started_at: startedAt }), source)[MESSAGE_LOG][0]
        ?.started_at_ms;
    expect(started(1_764_000_000_400)).toBe(1_764_000_000_400);
    expect(started(null)).toBe(0);
    // after the answer was sent, or seconds sent as milliseconds: not a start the breakdown can use
    expect(started(at + 1)).toBe(0);
    expect(started(1_764_000_000)).toBe(0);
    expect(mapAgentMessage(sampleTask(), source)[MESSAGE_LOG][0]?.started_at_ms).toBe(0);
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

describe('the rows the processors write', () => {
  const COLUMNS: Record<WrittenTable, readonly string[]> = {
    [MESSAGE_LOG]: MESSAGE_LOG_COLUMNS,
    [TASK_EVENTS]: TASK_EVENT_COLUMNS,
    [LLM_CALLS]: LLM_CALL_COLUMNS,
    [HEARTBEATS]: HEARTBEAT_COLUMNS,
    [ERROR_FACTS]: ERROR_FACT_COLUMNS,
    [DEAD_LETTERS]: DEAD_LETTER_COLUMNS,
  };

  it("have exactly their table module's columns, for every written table", () => {
    const rows = emptyTableRows();
    for (const message of [
      sampleTask(),
      sampleResult(),
      sampleTask({ message_id: 'hb-1', message_type: 'heartbeat', heartbeat: null }),
    ]) {
      mapAgentMessage(message, source, rows);
    }
    mapDetailedError(sampleError(), { ...source, topic: 'agent-telemetry-errors' }, rows);
    const poison = deadLetterFor({
      topic: source.topic,
      partition: source.partition,
      message: {
        key: null,
        value: Buffer.from('x'),
        timestamp: '0',
        attributes: 0,
        offset: '41',
        headers: {},
      },
      cause: { code: 'NO_MAGIC_BYTE', reason: 'no magic byte', schemaId: -1 },
      observedAtMs: source.observedAtMs,
    });
    rows[DEAD_LETTERS].push(poison.row);
    for (const table of WRITTEN_TABLES) {
      expect(rows[table].length, table).toBeGreaterThan(0);
      for (const row of rows[table])
        expect(Object.keys(row).sort(), table).toEqual([...COLUMNS[table]].sort());
    }
  });
});

describe('timestamps a sender clock cannot have meant', () => {
  const observedAtMs = 1_796_000_000_000;
  const at = { ...source, observedAtMs };

  it('date every row of a message, and an error, by the stored time, keeping the sender value', () => {
    const seconds = 1_796_000_000; // seconds sent as milliseconds: 1970
    const rows = mapAgentMessage(sampleTask({ timestamp: seconds, ttl_seconds: 60 }), at);
    expect(rows[MESSAGE_LOG][0]).toMatchObject({ sent_at_ms: observedAtMs, sent_at_original_ms: seconds });
    expect(rows[TASK_EVENTS][0]).toMatchObject({
      submitted_at_ms: observedAtMs,
      expires_at_ms: observedAtMs + 60_000,
    });
    const error = mapDetailedError(sampleError({ timestamp: 9_999_999_999_999 }), at);
    expect(error[ERROR_FACTS][0]).toMatchObject({
      timestamp_ms: observedAtMs,
      timestamp_original_ms: 9_999_999_999_999,
    });
  });
});
