import { quoteString } from '../lib/sql.js';
import { ERROR_FACT_COLUMNS, ERROR_FACTS } from '../lib/tables/error-facts.js';
import { HEARTBEAT_COLUMNS, HEARTBEATS } from '../lib/tables/heartbeats.js';
import { LLM_CALL_COLUMNS, LLM_CALLS } from '../lib/tables/llm-calls.js';
import { MESSAGE_LOG, MESSAGE_LOG_COLUMNS } from '../lib/tables/message-log.js';
import { TASK_EVENT_COLUMNS, TASK_EVENTS } from '../lib/tables/task-lifecycle.js';
import { ERRORS_TOPIC, QUEUE_TOPIC_PREFIX } from '../schemas/topics.js';
import { COMMON_FRAMES, ERROR_TEMPLATES, MODELS } from './workload-text.js';

/**
 * The SQL that seeds the API benchmark's database server-side, `INSERT … SELECT … FROM numbers(N)`
 * into the tables the processors write (`message_log`, `task_events`, `llm_calls`, `heartbeats`,
 * `error_facts`), so that the materialized views fill the aggregates exactly as ingest does. Pure:
 * every statement is built from the spec, with nothing random on the JS side (the server hashes the
 * row number), so a spec always gives the same data. ClickHouse 18.16 SQL only.
 *
 * Messages come in conversations of BLOCK rows sharing one trace: 9 tasks (the orchestrator and
 * workers delegating), 8 answers (results, one in twenty an error, which fails its task), 3
 * heartbeats. The ninth task is never answered: pending while its 10-minute TTL runs, expired
 * after, and pending for good in one conversation of 25 (no TTL: a stuck task). Conversation start
 * times span the last `spanMs`, denser recently (age ∝ x³ for a uniform x).
 */

export const BLOCK = 20;
const TASKS_PER_BLOCK = 9;
const ANSWERS_PER_BLOCK = 8;
const TASK_TTL_SECONDS = 600;
const STUCK_EVERY_BLOCKS = 25;
/** The newest conversation starts this long before `nowMs`, so every row lies in the past. */
const NEWEST_AGE_MS = 20_000;

export interface SeedSpec {
  /** Starts every message, trace and error id of the run (e.g. `<token>-`). */
  idPrefix: string;
  /** The agents; the first is the orchestrator, the others are workers. At least three. */
  agents: readonly string[];
  messages: number;
  errors: number;
  nowMs: number;
  spanMs: number;
}

/** Messages actually seeded: whole conversations only. */
export function seededMessages(spec: SeedSpec): number {
  return Math.floor(spec.messages / BLOCK) * BLOCK;
}

const PRIORITIES = ['low', 'normal', 'normal', 'normal', 'high', 'critical'] as const;
const PRIORITY_RANKS = [1, 2, 2, 2, 3, 4] as const;

function list(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'number' ? String(v) : quoteString(v))).join(', ')}]`;
}

/** `items[index]` for a 0-based UInt64 index expression (ClickHouse arrays count from 1). */
function pick(items: readonly (string | number)[], index: string): string {
  return `${list(items)}[(${index}) + 1]`;
}

/** `INSERT INTO table (columns)`, the columns as the table's module lists them. */
function insertInto(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')})`;
}

function validate(spec: SeedSpec): void {
  if (spec.agents.length < 3) throw new Error('the seed needs at least three agents');
  if (!Number.isInteger(spec.messages) || spec.messages < BLOCK) {
    throw new Error(`the seed needs at least ${BLOCK} messages`);
  }
  if (!Number.isInteger(spec.errors) || spec.errors < 0) throw new Error('errors must be an integer ≥ 0');
}

/** Start time of conversation `block` (whose hash is the expression `hash`), epoch ms. */
function blockStart(spec: SeedSpec, hash: string): string {
  const newest = spec.nowMs - NEWEST_AGE_MS;
  return `toUInt64(${newest} - toUInt64(${spec.spanMs} * pow((${hash} % 1000000) / 1000000, 3)))`;
}

/** Every message row with its derived attributes; the inserts select from it. */
function messageRows(spec: SeedSpec): string {
  const [orchestrator = '', ...workers] = spec.agents;
  const p = quoteString(spec.idPrefix);
  const w = workers.length;
  const id = (n: string) => `concat(${p}, 'm-', toString(${n}))`;
  return `(
  SELECT
    number AS i,
    intDiv(number, ${BLOCK}) AS b,
    number % ${BLOCK} AS r,
    cityHash64(${p}, 'message', number) AS h,
    cityHash64(${p}, 'block', b) AS hb,
    multiIf(r < ${TASKS_PER_BLOCK}, 'task', r < ${TASKS_PER_BLOCK + ANSWERS_PER_BLOCK}, 'answer', 'heartbeat') AS kind,
    if(r < ${TASKS_PER_BLOCK}, r, if(kind = 'answer', r - ${TASKS_PER_BLOCK}, 0)) AS j,
    ${blockStart(spec, 'hb')} AS t0,
    ${pick(workers, `(b + j) % ${w}`)} AS task_target,
    if(j % 3 = 2, ${pick(workers, `(b + j + 1) % ${w}`)}, ${quoteString(orchestrator)}) AS task_source,
    ${id('i')} AS message_id,
    multiIf(kind = 'task', t0 + j * 400, kind = 'answer', t0 + j * 400 + 300 + h % 4000, t0 + (r - ${TASKS_PER_BLOCK + ANSWERS_PER_BLOCK}) * 1000) AS sent_at_ms,
    multiIf(kind = 'task', task_source, kind = 'answer', task_target, ${pick(spec.agents, `(b * 3 + r) % ${spec.agents.length}`)}) AS source_agent,
    multiIf(kind = 'task', task_target, kind = 'answer', task_source, source_agent) AS target_agent,
    multiIf(kind = 'task', 'task', kind = 'answer', if(h % 20 = 0, 'error', 'result'), 'heartbeat') AS message_type,
    hb % ${PRIORITIES.length} AS priority_index,
    if(kind = 'heartbeat', '', concat(${p}, 'tr-', toString(b))) AS trace_id,
    multiIf(kind = 'task' AND j > 0, ${id(`b * ${BLOCK}`)}, kind = 'answer', ${id(`b * ${BLOCK} + j`)}, '') AS parent_message_id,
    if(kind = 'task', if(j = ${TASKS_PER_BLOCK - 1} AND b % ${STUCK_EVERY_BLOCKS} = 0, 0, ${TASK_TTL_SECONDS}), 0) AS ttl_seconds,
    if(kind = 'heartbeat', 1, 1 + (h % 10 = 0)) AS attempt,
    if(kind = 'heartbeat', 0, 3) AS max_retries,
    if(ttl_seconds > 0, sent_at_ms + ttl_seconds * 1000, 0) AS deadline_ms,
    if(kind = 'heartbeat', '', concat('job-', toString(b % 5000))) AS job_id,
    sent_at_ms + 40 + h % 200 AS observed_at_ms
  FROM numbers(${seededMessages(spec)})
)`;
}

function payload(): string {
  return `multiIf(
      kind = 'task', concat('{"goal":"summarise the findings of step ', toString(j + 1), ' for the release notes","step":', toString(j + 1),
        ',"context":{"ticket":"INC-', toString(10000 + h % 90000), '","summary":"the reviewer asked for a shorter answer with sources; keep the tone neutral and cite the two documents that were found in the previous step","files":["src/agents/plan.ts","docs/release.md"]},"inputs":{"max_tokens":', toString(1024 + h % 3072), ',"temperature":0.2}}'),
      kind = 'answer', concat('{"summary":"done: ', toString(h % 1000), ' items checked, two open questions remain about the retry policy and the rate limits","confidence":0.', toString(h % 100), '}'),
      concat('{"state":"', if(h % 3 = 0, 'idle', 'busy'), '","in_flight":', toString(h % 4), '}'))`;
}

export function messageLogInsert(spec: SeedSpec): string {
  validate(spec);
  const topic = `concat(${quoteString(QUEUE_TOPIC_PREFIX)}, target_agent)`;
  return `${insertInto(MESSAGE_LOG, MESSAGE_LOG_COLUMNS)}
SELECT message_id, ${topic}, toUInt32(h % 3), i, toUInt32(1), source_agent, target_agent, message_type,
  ${pick(PRIORITIES, 'priority_index')}, trace_id, lower(hex(h)), parent_message_id,
  if(kind = 'task', concat('plan step ', toString(j + 1), ' of ${TASKS_PER_BLOCK}'), ''), ${payload()},
  toUInt32(ttl_seconds), toUInt16(attempt), toUInt16(max_retries), toUInt64(deadline_ms), job_id,
  toUInt64(sent_at_ms), toUInt64(observed_at_ms), toUInt64(0),
  if(kind = 'answer', toUInt64(sent_at_ms - intDiv((h % 4000) * 3, 4)), toUInt64(0))
FROM ${messageRows(spec)}`;
}

/** Task rows under the task's target, as the processors write them for a TASK message. */
export function taskEventsInsert(spec: SeedSpec): string {
  validate(spec);
  return `${insertInto(TASK_EVENTS, TASK_EVENT_COLUMNS)}
SELECT target_agent, message_id, toUInt8(1), source_agent, target_agent, toUInt8(${pick(PRIORITY_RANKS, 'priority_index')}),
  toUInt16(attempt), toUInt16(max_retries), toUInt64(sent_at_ms), toUInt64(deadline_ms), toUInt64(deadline_ms),
  trace_id, job_id, toUInt64(0), '', toUInt64(observed_at_ms)
FROM ${messageRows(spec)}
WHERE kind = 'task'`;
}

/** Resolution rows under both agents of each answer (rank 1 completed, 2 failed), as the processors do. */
export function taskResolutionsInsert(spec: SeedSpec): string {
  validate(spec);
  return `${insertInto(TASK_EVENTS, TASK_EVENT_COLUMNS)}
SELECT arrayJoin([source_agent, target_agent]), parent_message_id, toUInt8(0), '', '', toUInt8(0), toUInt16(0),
  toUInt16(0), toUInt64(0), toUInt64(0), toUInt64(0), '', '',
  toUInt64(sent_at_ms * 4 + if(message_type = 'error', 2, 1)), message_id, toUInt64(observed_at_ms)
FROM ${messageRows(spec)}
WHERE kind = 'answer'`;
}

/** One to three LLM calls per answer, one in twenty rate-limited. */
export function llmCallsInsert(spec: SeedSpec): string {
  validate(spec);
  const models = MODELS.map(([model]) => model);
  const providers = MODELS.map(([, provider]) => provider);
  return `${insertInto(LLM_CALLS, LLM_CALL_COLUMNS)}
SELECT message_id, toUInt16(call_index), source_agent, ${pick(models, `(h + call_index) % ${models.length}`)},
  ${pick(providers, `(h + call_index) % ${providers.length}`)}, toUInt32(200 + cityHash64(h, call_index) % 4000),
  toUInt32(50 + cityHash64(h, call_index, 1) % 1500), toUInt32(300 + cityHash64(h, call_index, 2) % 9000),
  (cityHash64(h, call_index, 3) % 100000) / 10000000, if(cityHash64(h, call_index, 4) % 20 = 0, 'rate_limited', 'ok'),
  trace_id, parent_message_id, toUInt64(sent_at_ms), toUInt64(observed_at_ms)
FROM (SELECT *, arrayJoin(range(toUInt16(1 + h % 3))) AS call_index FROM ${messageRows(spec)} WHERE kind = 'answer')`;
}

export function heartbeatsInsert(spec: SeedSpec): string {
  validate(spec);
  return `${insertInto(HEARTBEATS, HEARTBEAT_COLUMNS)}
SELECT source_agent, message_id, if(h % 3 = 0, 'idle', 'busy'), toUInt32(h % 4), toUInt32(4),
  concat('worker-', toString(h % 8)), toUInt32(1000 + h % 30000), '0.9.3', toUInt64(sent_at_ms), toUInt64(observed_at_ms)
FROM ${messageRows(spec)}
WHERE kind = 'heartbeat'`;
}

/**
 * Errors: six in ten inside a seeded conversation (its trace, one of its tasks, its time, the task's
 * agent), the others on a trace of their own. Fingerprints per template, agent and one of forty
 * variants; severities 3% critical, 70% error, 22% warning, 5% info.
 */
export function errorFactsInsert(spec: SeedSpec): string {
  validate(spec);
  const p = quoteString(spec.idPrefix);
  const blocks = seededMessages(spec) / BLOCK;
  const workers = spec.agents.slice(1);
  const templates = ERROR_TEMPLATES;
  const field = (get: (t: (typeof templates)[number], k: number) => string | number) =>
    pick(
      templates.map((t, k) => get(t, k)),
      'k',
    );
  const frames = COMMON_FRAMES.slice(0, 6)
    .map((frame) => `\n    at ${frame}`)
    .join('');
  const models = MODELS.map(([model]) => model);
  return `${insertInto(ERROR_FACTS, ERROR_FACT_COLUMNS)}
SELECT concat(${p}, 'e-', toString(i)), ${quoteString(ERRORS_TOPIC)}, toUInt32(h % 3), i, toUInt32(1),
  lower(hex(cityHash64(k, agent, intDiv(h, 1000) % 40))),
  multiIf(h2 % 100 < 3, 'critical', h2 % 100 < 73, 'error', h2 % 100 < 95, 'warning', 'info'),
  category, error_type, error_message, ${field((t) => t.code ?? '')},
  concat(error_type, ': ', error_message, ${field((t) => t.frames.map((f) => `\n    at ${f}`).join(''))}, ${quoteString(frames)}),
  if(in_trace, concat(${p}, 'tr-', toString(b)), concat(${p}, 'te-', toString(i))), lower(hex(h2)), agent,
  concat(agent, '-', toString(h % 4)), operation,
  concat('{"goal":"answer the question of step ', toString(j + 1), '","attempt":', toString(1 + h % 3), '}'),
  if(h % 10 < 3, 'partial answer: the first two sources agree, the third', ''),
  if(category = 'llm_error', ${pick(models, `h % ${models.length}`)}, ''),
  concat('You are the ', agent, '. Answer briefly and cite your sources.'), toInt32(200 + h % 4000),
  if(operation = 'tool_call', 'web_search', ''), if(operation = 'tool_call', '{"q":"release notes retry policy"}', ''),
  toUInt64(timestamp_ms), (h2 % 300000) / 10, toUInt8(category != 'validation_error'), toUInt16(h % 3), toUInt16(3),
  ['Back off and retry with jitter', concat('Check the ', operation, ' configuration')],
  ['https://example.com/runbooks/agents'], 'bench', agent, concat('worker-', toString(h % 8)), toUInt32(0),
  if(in_trace, concat(${p}, 'm-', toString(b * ${BLOCK} + j)), ''), if(in_trace, concat('job-', toString(b % 5000)), ''),
  toUInt16(${field((t) => t.http ?? 0)}), toUInt64(timestamp_ms + 30 + h % 200), toUInt64(0)
FROM (
  SELECT
    number AS i,
    cityHash64(${p}, 'error', number) AS h,
    cityHash64(${p}, 'error-detail', number) AS h2,
    h % ${blocks} AS b,
    cityHash64(${p}, 'block', b) AS hb,
    h2 % 10 < 6 AS in_trace,
    h2 % ${TASKS_PER_BLOCK - 1} AS j,
    intDiv(h, 7) % ${templates.length} AS k,
    if(in_trace, ${pick(workers, `(b + j) % ${workers.length}`)}, ${pick(spec.agents, `h % ${spec.agents.length}`)}) AS agent,
    ${blockStart(spec, 'hb')} + j * 400 + 200 + h2 % 8000 AS timestamp_ms,
    ${field((t) => t.type)} AS error_type,
    ${field((t) => t.category)} AS category,
    ${field((t) => t.operation)} AS operation,
    concat(${field((t, k) => t.message(1000 + 337 * k))}, ' [', toString(h % 60000), ']') AS error_message
  FROM numbers(${spec.errors})
)`;
}

/** Every seeding statement, in order, with the table it fills. */
export function seedStatements(spec: SeedSpec): { table: string; sql: string }[] {
  return [
    { table: MESSAGE_LOG, sql: messageLogInsert(spec) },
    { table: `${TASK_EVENTS} (tasks)`, sql: taskEventsInsert(spec) },
    { table: `${TASK_EVENTS} (resolutions)`, sql: taskResolutionsInsert(spec) },
    { table: LLM_CALLS, sql: llmCallsInsert(spec) },
    { table: HEARTBEATS, sql: heartbeatsInsert(spec) },
    ...(spec.errors > 0 ? [{ table: ERROR_FACTS, sql: errorFactsInsert(spec) }] : []),
  ];
}
