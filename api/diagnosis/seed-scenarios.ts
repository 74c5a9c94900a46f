import { randomUUID } from 'node:crypto';
import { queueTopic } from '../../schemas/topics.js';
import { type Seeder } from './seed.js';
import type { IssueKind } from './types.js';

/**
 * Seeded equivalents of the agents' fault scenarios: what each leaves in ClickHouse once the
 * processors have stored it, on top of an hour and a quarter of healthy traffic. Each returns the
 * issue the diagnosis must put first.
 */
export const ScenarioName = [
  'healthy',
  'llm-timeouts',
  'rate-limited',
  'crashing-agent',
  'stuck-task',
  'poison',
  'cascade',
  'retry-storm',
  'slow-agent',
] as const;
export type ScenarioName = (typeof ScenarioName)[number];

export interface Team {
  orchestrator: string;
  researcher: string;
  writer: string;
  coder: string;
  reviewer: string;
}

export function teamOf(token: string): Team {
  const name = (role: string): string => `${role}-${token}`;
  return {
    orchestrator: name('orchestrator'),
    researcher: name('researcher'),
    writer: name('writer'),
    coder: name('coder'),
    reviewer: name('reviewer'),
  };
}

export const workers = (team: Team): string[] => [team.researcher, team.writer, team.coder, team.reviewer];

const MIN = 60_000;
const trace = (): string => randomUUID().replaceAll('-', '');

/**
 * Healthy traffic from `nowMs - minutes` to `nowMs`: the orchestrator sends each worker a task a
 * minute, answered in about a second with one LLM call; every agent beats every 10 s. Agents listed
 * in `except` get no traffic after `exceptFromMs`.
 */
export function seedHealthy(
  s: Seeder,
  team: Team,
  nowMs: number,
  minutes = 75,
  except: readonly string[] = [],
  exceptFromMs = nowMs,
): void {
  const start = nowMs - minutes * MIN;
  for (const agent of [team.orchestrator, ...workers(team)]) {
    const until = except.includes(agent) ? exceptFromMs : nowMs;
    s.heartbeatsBetween(agent, start, until - 1_000);
  }
  for (let at = start; at < nowMs - 30_000; at += MIN) {
    workers(team).forEach((worker, i) => {
      const sent = at + i * 1_000;
      if (except.includes(worker) && sent >= exceptFromMs) return;
      s.roundTrip(worker, team.orchestrator, sent, 800 + ((at / MIN + i) % 5) * 100, {
        calls: [{ latencyMs: 700 }],
      });
    });
  }
}

export interface Expectation {
  /** The agent the top issue must name first. */
  agent: string;
  kind: IssueKind;
}

/** Seeds one scenario; returns the expected top issue, or `undefined` for a healthy system. */
export function seedScenario(
  s: Seeder,
  name: ScenarioName,
  team: Team,
  nowMs: number,
): Expectation | undefined {
  switch (name) {
    case 'healthy':
      seedHealthy(s, team, nowMs);
      return undefined;
    case 'llm-timeouts': {
      seedHealthy(s, team, nowMs, 75, [team.researcher], nowMs - 10 * MIN);
      s.heartbeatsBetween(team.researcher, nowMs - 10 * MIN, nowMs - 2_000);
      for (let at = nowMs - 10 * MIN; at < nowMs - 40_000; at += MIN) {
        const t = trace();
        const id = s.task({ agent: team.researcher, requester: team.orchestrator, atMs: at, traceId: t });
        s.answer(id, team.researcher, team.orchestrator, at + 30_000, 'error', t, [
          { latencyMs: 30_000, status: 'timeout', completionTokens: 0 },
        ]);
        s.error({
          agent: team.researcher,
          atMs: at + 30_000,
          errorType: 'LLMTimeoutError',
          category: 'timeout_error',
          message: 'LLM call to llama3.1:8b timed out after 30000 ms',
          traceId: t,
          taskId: id,
          modelName: 'llama3.1:8b',
        });
      }
      return { agent: team.researcher, kind: 'timeouts' };
    }
    case 'rate-limited': {
      seedHealthy(s, team, nowMs, 75, [team.researcher], nowMs - 10 * MIN);
      s.heartbeatsBetween(team.researcher, nowMs - 10 * MIN, nowMs - 2_000);
      for (let at = nowMs - 10 * MIN; at < nowMs - 30_000; at += 30_000) {
        const t = trace();
        const id = s.task({ agent: team.researcher, requester: team.orchestrator, atMs: at, traceId: t });
        const refused = {
          model: 'gpt-4o-mini',
          provider: 'openai',
          status: 'rate_limited',
          completionTokens: 0,
          latencyMs: 120,
        };
        s.answer(id, team.researcher, team.orchestrator, at + 3_000, 'error', t, [refused, refused, refused]);
        for (let r = 0; r < 3; r++) {
          s.error({
            agent: team.researcher,
            atMs: at + r * 1_000,
            errorType: 'RateLimitError',
            category: 'llm_error',
            httpStatus: 429,
            message: 'rate limit exceeded for gpt-4o-mini',
            traceId: t,
            taskId: id,
            retryCount: r,
            modelName: 'gpt-4o-mini',
          });
        }
      }
      return { agent: team.researcher, kind: 'llm_rate_limit' };
    }
    case 'crashing-agent': {
      const crashAt = nowMs - 6 * MIN;
      seedHealthy(s, team, nowMs, 75, [team.writer], crashAt);
      s.error({
        agent: team.writer,
        atMs: crashAt,
        errorType: 'ProcessCrash',
        category: 'agent_error',
        severity: 'critical',
        message: 'agent process exited with code 137',
      });
      for (let at = crashAt + 10_000; at < nowMs; at += MIN)
        s.task({ agent: team.writer, requester: team.orchestrator, atMs: at, priority: 'high' });
      return { agent: team.writer, kind: 'dead_agent' };
    }
    case 'stuck-task': {
      seedHealthy(s, team, nowMs);
      s.task({ agent: team.coder, requester: team.orchestrator, atMs: nowMs - 12 * MIN, priority: 'high' });
      return { agent: team.coder, kind: 'stuck_tasks' };
    }
    case 'poison': {
      seedHealthy(s, team, nowMs);
      for (let i = 0; i < 25; i++)
        s.deadLetter(
          queueTopic(team.writer),
          nowMs - 8 * MIN + i * 10_000,
          i % 2 === 0 ? 'NO_MAGIC_BYTE' : 'INVALID_AVRO',
        );
      return { agent: team.writer, kind: 'dlq_growth' };
    }
    case 'cascade': {
      seedHealthy(s, team, nowMs);
      for (let i = 0; i < 4; i++) {
        const t = trace();
        const at = nowMs - 8 * MIN + i * MIN;
        s.error({
          agent: team.researcher,
          atMs: at,
          errorType: 'SearchToolError',
          category: 'tool_error',
          message: 'search backend returned 503',
          traceId: t,
        });
        s.error({
          agent: team.writer,
          atMs: at + 1_000,
          errorType: 'MissingInputError',
          category: 'handoff_error',
          message: 'no research notes to write from',
          traceId: t,
        });
        s.error({
          agent: team.reviewer,
          atMs: at + 2_000,
          errorType: 'ReviewError',
          category: 'validation_error',
          message: 'draft is empty',
          traceId: t,
        });
        s.error({
          agent: team.orchestrator,
          atMs: at + 3_000,
          errorType: 'PlanFailed',
          category: 'agent_error',
          message: 'plan step failed',
          traceId: t,
        });
      }
      return { agent: team.researcher, kind: 'cascading_failure' };
    }
    case 'retry-storm': {
      seedHealthy(s, team, nowMs);
      const t = trace();
      const first = s.task({
        agent: team.coder,
        requester: team.orchestrator,
        atMs: nowMs - 9 * MIN,
        traceId: t,
      });
      for (let attempt = 1; attempt <= 16; attempt++) {
        const at = nowMs - 9 * MIN + attempt * 20_000;
        const id =
          attempt === 1
            ? first
            : s.task({
                agent: team.coder,
                requester: team.orchestrator,
                atMs: at - 500,
                traceId: t,
                attempt,
              });
        s.answer(id, team.coder, team.orchestrator, at, 'error', t);
        s.error({
          agent: team.coder,
          atMs: at,
          errorType: 'CompileError',
          category: 'tool_error',
          message: 'compilation failed: missing module',
          traceId: t,
          taskId: first,
          retryCount: attempt - 1,
        });
      }
      return { agent: team.coder, kind: 'retry_storm' };
    }
    case 'slow-agent': {
      seedHealthy(s, team, nowMs, 75, [team.reviewer], nowMs - 12 * MIN);
      s.heartbeatsBetween(team.reviewer, nowMs - 12 * MIN, nowMs - 2_000);
      for (let at = nowMs - 12 * MIN; at < nowMs - 60_000; at += MIN) {
        s.roundTrip(team.reviewer, team.orchestrator, at, 25_000, { calls: [{ latencyMs: 24_000 }] });
      }
      return { agent: team.reviewer, kind: 'slow_agent' };
    }
  }
}
