import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, encodeCursor, olderThan, toPage } from './cursor.js';
import { trendDirection } from './errors.js';
import {
  errorFromRecord,
  errorFromRow,
  jsonObject,
  liveError,
  liveMessage,
  messageFromRecord,
} from './shapes.js';
import { assembleTrace } from './traces.js';
import { sampleError, sampleResult, sampleTask } from '../../schemas/test-support/fixtures.js';
import { quoteString } from '../../lib/sql.js';

describe('cursors', () => {
  it('round-trip and refuse anything else as a 400 naming the parameter', () => {
    const text = encodeCursor({ ms: 1_764_000_000_000, id: 'a-b.c:d' });
    expect(decodeCursor(text)).toEqual({ ms: 1_764_000_000_000, id: 'a-b.c:d' });
    for (const bad of [
      '!!',
      Buffer.from('no-colon').toString('base64url'),
      Buffer.from("1:x' OR 1=1").toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(HttpError);
      try {
        decodeCursor(bad, 'after');
      } catch (error) {
        expect((error as HttpError).parameter).toBe('after');
      }
    }
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('continue strictly after the last item of a page', () => {
    expect(olderThan({ ms: 5, id: 'b' }, 't', 'id', quoteString)).toBe("(t < 5 OR (t = 5 AND id < 'b'))");
    const page = toPage([1, 2, 3], 2, (n) => ({ ms: n, id: `i${n}` }));
    expect(page.items).toEqual([1, 2]);
    expect(decodeCursor(page.next_cursor ?? undefined)).toEqual({ ms: 2, id: 'i2' });
    expect(toPage([1, 2], 2, (n) => ({ ms: n, id: `i${n}` })).next_cursor).toBeNull();
  });
});

describe('shapes', () => {
  it('give the same object for a record and for its stored row', () => {
    const record = sampleError({ partial_output: null, tool_parameters: null });
    const row = {
      ...record,
      error_code: record.error_code ?? '',
      stack_trace: record.stack_trace ?? '',
      trace_id: record.trace_id ?? '',
      span_id: record.span_id ?? '',
      agent_id: record.agent_id ?? '',
      operation: record.operation ?? '',
      input_data: record.input_data ?? '',
      partial_output: '',
      model_name: record.model_name ?? '',
      prompt_preview: record.prompt_preview ?? '',
      token_count: record.token_count ?? 0,
      tool_name: record.tool_name ?? '',
      tool_parameters: '',
      timestamp_ms: String(record.timestamp),
      duration_before_error_ms: record.duration_before_error_ms ?? 0,
      is_retryable: record.is_retryable ? (1 as const) : (0 as const),
      environment: record.environment ?? '',
      service_name: record.service_name ?? '',
      host: record.host ?? '',
      fingerprint: record.fingerprint ?? '',
      task_id: record.task_id ?? '',
      job_id: record.job_id ?? '',
      http_status: record.http_status ?? 0,
      topic: 'agent-telemetry-errors',
      partition: 0,
      offset: 0,
      schema_id: 1,
      observed_at_ms: 0,
      timestamp_original_ms: 0,
    };
    expect(errorFromRow(row)).toEqual(errorFromRecord(record));
  });

  it('show a live record under the time it is stored under, and no deadline a date cannot hold', () => {
    const at = { topic: 'agent-queue-coder', partition: 0, offset: '7', timeMs: 1_796_000_000_000 };
    const task = sampleTask({ timestamp: 1e19, deadline: 1e18 });
    expect(liveMessage({ kind: 'message', ...at, value: task })).toMatchObject({
      timestamp: '2026-11-30T00:53:20.000Z',
      deadline: null,
    });
    const error = sampleError({ timestamp: -5 });
    expect(liveError({ kind: 'error', ...at, value: error }).timestamp).toBe('2026-11-30T00:53:20.000Z');
    expect(messageFromRecord(sampleTask({ deadline: 1_796_000_060_000 })).deadline).toBe(
      '2026-11-30T00:54:20.000Z',
    );
  });

  it('turn JSON text into objects and keep what is not an object', () => {
    expect(jsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(jsonObject('[1]')).toEqual({ value: [1] });
    expect(jsonObject('not json')).toEqual({ raw: 'not json' });
    expect(jsonObject('')).toEqual({});
  });
});

describe('traces', () => {
  it('nest answers under their tasks, attach errors by task id and order the timeline', () => {
    const task = messageFromRecord(sampleTask({ timestamp: 1_000 }));
    const result = messageFromRecord(sampleResult({ timestamp: 3_000 }));
    const error = errorFromRecord(sampleError({ timestamp: 2_000, task_id: task.message_id }));
    const loose = errorFromRecord(sampleError({ error_id: 'loose', timestamp: 4_000, task_id: null }));
    const trace = assembleTrace('t', [task, result], [error, loose]);
    expect(trace?.roots.map((r) => r.message.message_id)).toEqual([task.message_id]);
    expect(trace?.roots[0]?.children.map((c) => c.message.message_id)).toEqual([result.message_id]);
    expect(trace?.roots[0]?.errors.map((e) => e.error_id)).toEqual([error.error_id]);
    expect(trace?.unattached_errors.map((e) => e.error_id)).toEqual(['loose']);
    expect(trace?.timeline.map((e) => [e.kind, e.offset_ms])).toEqual([
      ['message', 0],
      ['error', 1_000],
      ['message', 2_000],
      ['error', 3_000],
    ]);
    expect(trace).toMatchObject({ duration_ms: 3_000, status: 'failed', message_count: 2, error_count: 2 });
    expect(assembleTrace('t', [task], [])?.status).toBe('pending');
    expect(assembleTrace('t', [task, result], [])?.status).toBe('completed');
    expect(assembleTrace('t', [], [])).toBeUndefined();
  });
});

describe('error trends', () => {
  it('tell new, rising, falling, steady and quiet groups apart', () => {
    const bucket = 300_000;
    const now = 10 * 3_600_000;
    const old = now - 7_200_000;
    expect(trendDirection([0, 0, 0, 0, 0, 1], now - 60_000, now, bucket)).toBe('new');
    expect(trendDirection([1, 0, 0, 3, 4, 5], old, now, bucket)).toBe('rising');
    expect(trendDirection([5, 4, 3, 0, 1, 0], old, now, bucket)).toBe('falling');
    expect(trendDirection([2, 2, 2, 2, 2, 2], old, now, bucket)).toBe('steady');
    expect(trendDirection([0, 0, 0, 0, 0, 0], old, now, bucket)).toBe('quiet');
  });
});
