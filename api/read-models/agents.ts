import { cacheKey, type ReadCache } from './cache.js';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { AGENT_LIVENESS } from '../../lib/tables/heartbeats.js';
import { LLM_CALLS } from '../../lib/tables/llm-calls.js';
import { ERROR_ROLLUP_1M } from '../../lib/tables/rollups.js';
import { queueTopic } from '../../schemas/topics.js';
import type { MessagesReadModel } from './messages.js';
import { isoTime } from './shapes.js';

/** An agent whose last heartbeat is older than this is `silent`; older than DEAD_AFTER_MS, `dead`. */
export const SILENT_AFTER_MS = 60_000;
export const DEAD_AFTER_MS = 300_000;

export interface LlmUsage {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  rate_limited: number;
  failed: number;
  tokens_per_minute: number;
  requests_per_minute: number;
  avg_latency_ms: number;
  models: string[];
}

export interface AgentView {
  agent_name: string;
  queue_topic: string;
  /** `alive`, `silent`, `dead`, or `unknown` when it never sent a heartbeat. */
  liveness: 'alive' | 'silent' | 'dead' | 'unknown';
  last_heartbeat: string | null;
  heartbeat_state: string | null;
  in_flight: number | null;
  max_concurrency: number | null;
  host: string | null;
  version: string | null;
  window_minutes: number;
  tasks_received: number;
  /** RESULT messages it sent in the window. */
  results_sent: number;
  /** ERROR messages it sent in the window (failed tasks). */
  errors_sent: number;
  /** Errors it reported on the errors topic in the window. */
  errors_reported: number;
  /** Tasks answered per minute (results and errors sent) over the window. */
  throughput_per_minute: number;
  /** Failed answers and reported errors over everything it answered, 0..1. */
  error_rate: number;
  llm: LlmUsage;
}

/** The agents: configured, seen in traffic, heartbeats, errors or LLM calls. */
export class AgentsReadModel {
  readonly #reader: ClickHouseReader;
  readonly #messages: MessagesReadModel;
  readonly #configured: readonly string[];
  readonly #now: () => number;
  readonly #cache: ReadCache;

  constructor(
    reader: ClickHouseReader,
    messages: MessagesReadModel,
    configured: readonly string[],
    now: () => number,
    cache: ReadCache,
  ) {
    this.#cache = cache;
    this.#reader = reader;
    this.#messages = messages;
    this.#configured = configured;
    this.#now = now;
  }

  /** Every agent over the last `windowMinutes` (shared through the cache). */
  list(windowMinutes: number): Promise<AgentView[]> {
    return this.#cache.get(cacheKey('agents.list', windowMinutes), () => this.#list(windowMinutes));
  }

  async #list(windowMinutes: number): Promise<AgentView[]> {
    const nowMs = this.#now();
    const sinceMs = nowMs - windowMinutes * 60_000;
    const sinceMinute = `toStartOfMinute(toDateTime(${quoteNumber(Math.floor(sinceMs / 1000))}))`;
    const [liveness, counts, errors, llm] = await Promise.all([
      this.#reader.query<{
        agent: string;
        last_ms: string | number;
        state: string;
        in_flight: number | string;
        max_concurrency: number | string;
        host: string;
        version: string;
      }>(`
        SELECT agent, maxMerge(last_heartbeat_ms) AS last_ms, argMaxMerge(last_state) AS state,
               argMaxMerge(last_in_flight) AS in_flight, argMaxMerge(last_max_concurrency) AS max_concurrency,
               argMaxMerge(last_host) AS host, argMaxMerge(last_version) AS version
        FROM ${AGENT_LIVENESS} GROUP BY agent`),
      this.#messages.countsSince(sinceMs),
      this.#reader.query<{ agent_name: string; n: string | number }>(`
        SELECT agent_name, uniqExactMerge(errors) AS n FROM ${ERROR_ROLLUP_1M} WHERE minute >= ${sinceMinute} GROUP BY agent_name`),
      this.#reader.query<{
        agent: string;
        calls: string | number;
        prompt_tokens: string | number;
        completion_tokens: string | number;
        cost_usd: number;
        rate_limited: string | number;
        failed: string | number;
        avg_latency_ms: number;
        models: string[];
      }>(`
        SELECT agent, count() AS calls, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
               sum(cost_usd) AS cost_usd, countIf(status = 'rate_limited') AS rate_limited, countIf(status != 'ok') AS failed,
               avg(latency_ms) AS avg_latency_ms, groupUniqArray(model) AS models
        FROM ${LLM_CALLS} FINAL WHERE at_ms >= ${quoteNumber(sinceMs)} GROUP BY agent`),
    ]);
    const beats = new Map(liveness.map((row) => [row.agent, row]));
    const errorCounts = new Map(errors.map((row) => [row.agent_name, Number(row.n)]));
    const usage = new Map(llm.map((row) => [row.agent, row]));
    const count = (agent: string, direction: 'source' | 'target', type: string): number =>
      counts.find((c) => c.agent === agent && c.direction === direction && c.message_type === type)?.n ?? 0;
    const names = new Set<string>([
      ...this.#configured,
      ...beats.keys(),
      ...errorCounts.keys(),
      ...usage.keys(),
    ]);
    for (const c of counts) if (c.agent !== '') names.add(c.agent);
    return [...names].sort().map((agent): AgentView => {
      const beat = beats.get(agent);
      const lastMs = beat === undefined ? undefined : Number(beat.last_ms);
      const results = count(agent, 'source', 'result');
      const failures = count(agent, 'source', 'error');
      const reported = errorCounts.get(agent) ?? 0;
      const answered = results + failures;
      const calls = usage.get(agent);
      const tokens = calls === undefined ? 0 : Number(calls.prompt_tokens) + Number(calls.completion_tokens);
      return {
        agent_name: agent,
        queue_topic: queueTopic(agent),
        liveness:
          lastMs === undefined
            ? 'unknown'
            : nowMs - lastMs > DEAD_AFTER_MS
              ? 'dead'
              : nowMs - lastMs > SILENT_AFTER_MS
                ? 'silent'
                : 'alive',
        last_heartbeat: lastMs === undefined ? null : isoTime(lastMs),
        heartbeat_state: beat?.state ?? null,
        in_flight: beat === undefined ? null : Number(beat.in_flight),
        max_concurrency: beat === undefined ? null : Number(beat.max_concurrency),
        host: beat?.host ?? null,
        version: beat?.version ?? null,
        window_minutes: windowMinutes,
        tasks_received: count(agent, 'target', 'task'),
        results_sent: results,
        errors_sent: failures,
        errors_reported: reported,
        throughput_per_minute: Math.round((answered / windowMinutes) * 100) / 100,
        error_rate:
          answered + reported === 0
            ? 0
            : Math.round((Math.max(failures, reported) / Math.max(answered, reported)) * 1000) / 1000,
        llm: {
          calls: Number(calls?.calls ?? 0),
          prompt_tokens: Number(calls?.prompt_tokens ?? 0),
          completion_tokens: Number(calls?.completion_tokens ?? 0),
          cost_usd: Math.round((calls?.cost_usd ?? 0) * 1e6) / 1e6,
          rate_limited: Number(calls?.rate_limited ?? 0),
          failed: Number(calls?.failed ?? 0),
          tokens_per_minute: Math.round(tokens / windowMinutes),
          requests_per_minute: Math.round((Number(calls?.calls ?? 0) / windowMinutes) * 100) / 100,
          avg_latency_ms: Math.round(calls?.avg_latency_ms ?? 0),
          models: [...(calls?.models ?? [])].sort(),
        },
      };
    });
  }
}
