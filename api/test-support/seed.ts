import type { ClickHouseWriter } from '../../lib/clickhouse.js';
import { emptyTableRows, insertTableRows } from '../../lib/tables/index.js';
import { insertLagSamples } from '../../lib/tables/lag-samples.js';
import type { AgentMessage, DetailedError } from '../../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../../schemas/topics.js';
import { mapAgentMessage, mapDetailedError } from '../../processors/mappers.js';

/**
 * A small multi-agent run, its records mapped to rows by the processors' own mappers (lag samples,
 * which no record carries, through their table module), with known answers:
 * - coder: T1 (high) completed by R1 after 2 s; T2 (critical) pending for 60 s; lag samples that
 *   STALL (the committed offset does not move while lag grows); a fresh heartbeat.
 * - researcher: T3 (normal) failed by E1; two critical llm_error errors of one fingerprint; two LLM
 *   calls (reported by E1), one rate-limited; a heartbeat 10 minutes old (dead).
 * Heartbeats travel on the agent's own queue, so each queue also holds its agent's heartbeat.
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
    m: Partial<AgentMessage> &
      Pick<AgentMessage, 'message_id' | 'source_agent' | 'target_agent' | 'message_type' | 'timestamp'>,
  ): AgentMessage => ({
    priority: 'normal',
    payload: '{"goal":"x"}',
    trace_id: '',
    span_id: 'span',
    parent_message_id: null,
    reason: null,
    ttl_seconds: null,
    attempt: 1,
    max_retries: 2,
    deadline: null,
    job_id: null,
    started_at: null,
    llm_usage: [],
    heartbeat: null,
    ...m,
  });
  const messages: AgentMessage[] = [
    message({
      message_id: ids.t1,
      source_agent: orchestrator,
      target_agent: coder,
      message_type: 'task',
      priority: 'high',
      trace_id: ids.tr1,
      timestamp: nowMs - 120_000,
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
      timestamp: nowMs - 118_000,
    }),
    message({
      message_id: ids.t2,
      source_agent: orchestrator,
      target_agent: coder,
      message_type: 'task',
      priority: 'critical',
      trace_id: ids.tr1,
      parent_message_id: ids.r1,
      timestamp: nowMs - 60_000,
      ttl_seconds: 3_600,
    }),
    message({
      message_id: ids.t3,
      source_agent: orchestrator,
      target_agent: researcher,
      message_type: 'task',
      trace_id: ids.tr2,
      timestamp: nowMs - 30_000,
    }),
    message({
      message_id: ids.e1,
      source_agent: researcher,
      target_agent: orchestrator,
      message_type: 'error',
      trace_id: ids.tr2,
      parent_message_id: ids.t3,
      timestamp: nowMs - 29_000,
      started_at: null,
      llm_usage: [
        {
          model: 'm1',
          provider: 'p',
          prompt_tokens: 100,
          completion_tokens: 20,
          latency_ms: 300,
          cost_usd: 0.001,
          status: 'ok',
        },
        {
          model: 'm1',
          provider: 'p',
          prompt_tokens: 50,
          completion_tokens: 0,
          latency_ms: 100,
          cost_usd: 0,
          status: 'rate_limited',
        },
      ],
    }),
    message({
      message_id: id('hb1'),
      source_agent: coder,
      target_agent: coder,
      message_type: 'heartbeat',
      priority: 'low',
      payload: '{}',
      timestamp: nowMs - 10_000,
      heartbeat: { state: 'busy', in_flight: 1, max_concurrency: 4, host: 'h1', pid: 10, version: '1.0' },
    }),
    message({
      message_id: id('hb2'),
      source_agent: researcher,
      target_agent: researcher,
      message_type: 'heartbeat',
      priority: 'low',
      payload: '{}',
      timestamp: nowMs - 600_000,
      heartbeat: { state: 'idle', in_flight: 0, max_concurrency: 2, host: 'h2', pid: 11, version: '1.0' },
    }),
  ];
  const rows = emptyTableRows();
  for (const m of messages) {
    const observedAtMs = m.timestamp + 5;
    mapAgentMessage(
      m,
      { topic: queueTopic(m.target_agent), partition: 0, offset: 0, schemaId: 1, observedAtMs },
      rows,
    );
  }

  const error = (
    e: Partial<DetailedError> & Pick<DetailedError, 'error_id' | 'agent_name' | 'timestamp'>,
  ): DetailedError => ({
    severity: 'error',
    category: 'tool_error',
    error_type: 'ToolError',
    error_message: 'tool failed',
    error_code: null,
    stack_trace: null,
    trace_id: null,
    span_id: null,
    agent_id: null,
    operation: 'run_tool',
    input_data: '{"file":"a.py"}',
    partial_output: null,
    model_name: null,
    prompt_preview: null,
    token_count: null,
    tool_name: 'sandbox',
    tool_parameters: null,
    duration_before_error_ms: 12.5,
    is_retryable: true,
    retry_count: 0,
    max_retries: 3,
    suggested_fixes: ['retry'],
    related_docs: [],
    environment: 'test',
    service_name: null,
    host: 'h',
    fingerprint: `${token}-fp`,
    suppressed_count: 0,
    task_id: null,
    job_id: null,
    http_status: null,
    ...e,
  });
  const errors = { coder: id('err-c'), researcher1: id('err-r1'), researcher2: id('err-r2') };
  const reported: DetailedError[] = [
    error({
      error_id: errors.coder,
      agent_name: coder,
      timestamp: nowMs - 50_000,
      trace_id: ids.tr1,
      task_id: ids.t2,
      fingerprint: `${token}-fp-tool`,
    }),
    error({
      error_id: errors.researcher1,
      agent_name: researcher,
      timestamp: nowMs - 29_500,
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
      timestamp: nowMs - 29_200,
      severity: 'critical',
      category: 'llm_error',
      error_type: 'RateLimitError',
      error_message: 'rate limit exceeded',
      trace_id: ids.tr2,
      task_id: ids.t3,
      fingerprint: `${token}-fp-llm`,
      http_status: 429,
    }),
  ];
  for (const e of reported) {
    const observedAtMs = e.timestamp + 5;
    mapDetailedError(e, { topic: ERRORS_TOPIC, partition: 0, offset: 0, schemaId: 2, observedAtMs }, rows);
  }
  await insertTableRows(writer, rows);

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

/** Stores errors as the processors would, each observed half a second after its own timestamp. */
export async function insertErrors(
  writer: ClickHouseWriter,
  errors: readonly DetailedError[],
): Promise<void> {
  const rows = emptyTableRows();
  for (const [offset, error] of errors.entries()) {
    mapDetailedError(
      error,
      { topic: ERRORS_TOPIC, partition: 0, offset, schemaId: 1, observedAtMs: error.timestamp + 500 },
      rows,
    );
  }
  await insertTableRows(writer, rows);
}

/** Stores agent messages as the processors would, each observed half a second after its own timestamp. */
export async function insertMessages(
  writer: ClickHouseWriter,
  messages: readonly AgentMessage[],
): Promise<void> {
  const rows = emptyTableRows();
  for (const [offset, message] of messages.entries()) {
    mapAgentMessage(
      message,
      {
        topic: queueTopic(message.target_agent),
        partition: 0,
        offset,
        schemaId: 1,
        observedAtMs: message.timestamp + 500,
      },
      rows,
    );
  }
  await insertTableRows(writer, rows);
}
