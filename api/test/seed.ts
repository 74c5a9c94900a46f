import type { ClickHouseWriter } from '../../lib/clickhouse.js';
import { insertErrorFacts, type ErrorFactRow } from '../../lib/tables/error-facts.js';
import { insertHeartbeats } from '../../lib/tables/heartbeats.js';
import { insertLagSamples } from '../../lib/tables/lag-samples.js';
import { insertLlmCalls } from '../../lib/tables/llm-calls.js';
import { insertMessageLog, type MessageLogRow } from '../../lib/tables/message-log.js';
import {
  insertTaskEvents,
  PRIORITY_RANK,
  resolutionEvent,
  type Resolution,
  type TaskEventRow,
} from '../../lib/tables/task-lifecycle.js';
import { queueTopic } from '../../schemas/topics.js';

/**
 * A small multi-agent run written through the table modules' insert functions, with known answers:
 * - coder: T1 (high) completed by R1 after 2 s; T2 (critical) pending for 60 s; lag samples that
 *   STALL (the committed offset does not move while lag grows); a fresh heartbeat.
 * - researcher: T3 (normal) failed by E1; two critical llm_error errors of one fingerprint; two LLM
 *   calls, one rate-limited; a heartbeat 10 minutes old (dead).
 * Traces: TR1 = T1, R1, T2 and the coder's error; TR2 = T3, E1 and the researcher's errors.
 */
export interface Seeded {
  coder: string;
  researcher: string;
  orchestrator: string;
  ids: { t1: string; r1: string; t2: string; t3: string; e1: string; tr1: string; tr2: string };
  errors: { coder: string; researcher1: string; researcher2: string };
  nowMs: number;
}

export async function seedRun(writer: ClickHouseWriter, token: string, nowMs: number): Promise<Seeded> {
  const coder = `${token}-coder`;
  const researcher = `${token}-researcher`;
  const orchestrator = `${token}-orchestrator`;
  const id = (name: string) => `${token}-${name}`;
  const ids = {
    t1: id('t1'),
    r1: id('r1'),
    t2: id('t2'),
    t3: id('t3'),
    e1: id('e1'),
    tr1: id('trace1'),
    tr2: id('trace2'),
  };
  const message = (
    m: Partial<MessageLogRow> &
      Pick<MessageLogRow, 'message_id' | 'source_agent' | 'target_agent' | 'message_type' | 'sent_at_ms'>,
  ): MessageLogRow => ({
    topic: queueTopic(m.target_agent),
    partition: 0,
    offset: 0,
    schema_id: 1,
    priority: 'normal',
    trace_id: '',
    span_id: 'span',
    parent_message_id: '',
    reason: '',
    payload: '{"goal":"x"}',
    ttl_seconds: 0,
    attempt: 1,
    max_retries: 2,
    deadline_ms: 0,
    job_id: '',
    observed_at_ms: m.sent_at_ms + 5,
    ...m,
  });
  const messages: MessageLogRow[] = [
    message({
      message_id: ids.t1,
      source_agent: orchestrator,
      target_agent: coder,
      message_type: 'task',
      priority: 'high',
      trace_id: ids.tr1,
      sent_at_ms: nowMs - 120_000,
      reason: 'write the code',
      payload: '{"step":1}',
    }),
    message({
      message_id: ids.r1,
      source_agent: coder,
      target_agent: orchestrator,
      message_type: 'result',
      trace_id: ids.tr1,
      parent_message_id: ids.t1,
      sent_at_ms: nowMs - 118_000,
    }),
    message({
      message_id: ids.t2,
      source_agent: orchestrator,
      target_agent: coder,
      message_type: 'task',
      priority: 'critical',
      trace_id: ids.tr1,
      parent_message_id: ids.r1,
      sent_at_ms: nowMs - 60_000,
      ttl_seconds: 3_600,
    }),
    message({
      message_id: ids.t3,
      source_agent: orchestrator,
      target_agent: researcher,
      message_type: 'task',
      trace_id: ids.tr2,
      sent_at_ms: nowMs - 30_000,
    }),
    message({
      message_id: ids.e1,
      source_agent: researcher,
      target_agent: orchestrator,
      message_type: 'error',
      trace_id: ids.tr2,
      parent_message_id: ids.t3,
      sent_at_ms: nowMs - 29_000,
    }),
  ];
  await insertMessageLog(writer, messages);

  const taskRow = (m: MessageLogRow): TaskEventRow => ({
    agent: m.target_agent,
    task_id: m.message_id,
    has_task: 1,
    requester: m.source_agent,
    target: m.target_agent,
    priority: PRIORITY_RANK[m.priority],
    attempt: m.attempt,
    max_retries: m.max_retries,
    submitted_at_ms: m.sent_at_ms,
    expires_at_ms: m.ttl_seconds > 0 ? m.sent_at_ms + m.ttl_seconds * 1000 : 0,
    deadline_ms: 0,
    trace_id: m.trace_id,
    job_id: '',
    resolved_key: 0,
    resolved_by: '',
    observed_at_ms: m.observed_at_ms,
  });
  const resolution = (m: MessageLogRow, outcome: Resolution): TaskEventRow[] =>
    [m.source_agent, m.target_agent].map((agent) =>
      resolutionEvent({
        agent,
        taskId: m.parent_message_id,
        resolvedAtMs: m.sent_at_ms,
        resolution: outcome,
        resolvedBy: m.source_agent,
        observedAtMs: m.observed_at_ms,
      }),
    );
  const [t1, r1, t2, t3, e1] = messages as [
    MessageLogRow,
    MessageLogRow,
    MessageLogRow,
    MessageLogRow,
    MessageLogRow,
  ];
  await insertTaskEvents(writer, [
    taskRow(t1),
    ...resolution(r1, 'completed'),
    taskRow(t2),
    taskRow(t3),
    ...resolution(e1, 'failed'),
  ]);

  const error = (
    e: Partial<ErrorFactRow> & Pick<ErrorFactRow, 'error_id' | 'agent_name' | 'timestamp_ms'>,
  ): ErrorFactRow => ({
    topic: 'agent-telemetry-errors',
    partition: 0,
    offset: 0,
    schema_id: 2,
    fingerprint: `${token}-fp`,
    severity: 'error',
    category: 'tool_error',
    error_type: 'ToolError',
    error_message: 'tool failed',
    error_code: '',
    stack_trace: '',
    trace_id: '',
    span_id: '',
    agent_id: '',
    operation: 'run_tool',
    input_data: '{"file":"a.py"}',
    partial_output: '',
    model_name: '',
    prompt_preview: '',
    token_count: 0,
    tool_name: 'sandbox',
    tool_parameters: '',
    duration_before_error_ms: 12.5,
    is_retryable: 1,
    retry_count: 0,
    max_retries: 3,
    suggested_fixes: ['retry'],
    related_docs: [],
    environment: 'test',
    service_name: '',
    host: 'h',
    suppressed_count: 0,
    task_id: '',
    job_id: '',
    http_status: 0,
    observed_at_ms: e.timestamp_ms + 5,
    ...e,
  });
  const errors = { coder: id('err-c'), researcher1: id('err-r1'), researcher2: id('err-r2') };
  await insertErrorFacts(writer, [
    error({
      error_id: errors.coder,
      agent_name: coder,
      timestamp_ms: nowMs - 50_000,
      trace_id: ids.tr1,
      task_id: ids.t2,
      fingerprint: `${token}-fp-tool`,
    }),
    error({
      error_id: errors.researcher1,
      agent_name: researcher,
      timestamp_ms: nowMs - 29_500,
      severity: 'critical',
      category: 'llm_error',
      error_type: 'RateLimitError',
      error_message: 'rate limit exceeded',
      trace_id: ids.tr2,
      task_id: ids.t3,
      fingerprint: `${token}-fp-llm`,
      http_status: 429,
    }),
    error({
      error_id: errors.researcher2,
      agent_name: researcher,
      timestamp_ms: nowMs - 29_200,
      severity: 'critical',
      category: 'llm_error',
      error_type: 'RateLimitError',
      error_message: 'rate limit exceeded',
      trace_id: ids.tr2,
      task_id: ids.t3,
      fingerprint: `${token}-fp-llm`,
      http_status: 429,
    }),
  ]);

  await insertHeartbeats(writer, [
    {
      agent: coder,
      message_id: id('hb1'),
      state: 'busy',
      in_flight: 1,
      max_concurrency: 4,
      host: 'h1',
      pid: 10,
      version: '1.0',
      sent_at_ms: nowMs - 10_000,
      observed_at_ms: nowMs - 9_990,
    },
    {
      agent: researcher,
      message_id: id('hb2'),
      state: 'idle',
      in_flight: 0,
      max_concurrency: 2,
      host: 'h2',
      pid: 11,
      version: '1.0',
      sent_at_ms: nowMs - 600_000,
      observed_at_ms: nowMs - 599_990,
    },
  ]);
  await insertLlmCalls(writer, [
    {
      message_id: ids.e1,
      call_index: 0,
      agent: researcher,
      model: 'm1',
      provider: 'p',
      prompt_tokens: 100,
      completion_tokens: 20,
      latency_ms: 300,
      cost_usd: 0.001,
      status: 'ok',
      trace_id: ids.tr2,
      task_id: ids.t3,
      at_ms: nowMs - 29_800,
      observed_at_ms: nowMs,
    },
    {
      message_id: ids.e1,
      call_index: 1,
      agent: researcher,
      model: 'm1',
      provider: 'p',
      prompt_tokens: 50,
      completion_tokens: 0,
      latency_ms: 100,
      cost_usd: 0,
      status: 'rate_limited',
      trace_id: ids.tr2,
      task_id: ids.t3,
      at_ms: nowMs - 29_100,
      observed_at_ms: nowMs,
    },
  ]);
  // ten samples 5 s apart, committed offset stuck at 3 while the end offset grows: STALL
  await insertLagSamples(
    writer,
    Array.from({ length: 10 }, (_, i) => ({
      group_id: `agent-${coder}`,
      topic: queueTopic(coder),
      partition: 0,
      sampled_at_ms: nowMs - (9 - i) * 5_000,
      end_offset: 5 + i,
      committed_offset: 3,
      lag: 2 + i,
      members: 1,
      group_state: 'Stable',
    })),
  );
  return { coder, researcher, orchestrator, ids, errors, nowMs };
}
