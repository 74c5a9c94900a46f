import { randomUUID } from 'node:crypto';
import { queueTopic } from '../../../schemas/topics.js';
import { type Seeder } from './seed.js';
import type { IssueKind } from '../types.js';

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
      s.roundTrip(worker, team.orchestrator, sent, 800 + (Math.floor(at / MIN + i) % 5) * 100, {
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

/**
 * Seeds one scenario as the agents' scenario of the same name plays out (agents/scenarios.ts), over
 * `historyMinutes` of healthy traffic (a short run has no baseline at all). Returns the expected top
 * issue, or `undefined` for a healthy system.
 */
export function seedScenario(
  s: Seeder,
  name: ScenarioName,
  team: Team,
  nowMs: number,
  historyMinutes = 75,
): Expectation | undefined {
  const since = Math.min(historyMinutes, 10);
  const faultFrom = nowMs - since * MIN;
  switch (name) {
    case 'healthy':
      seedHealthy(s, team, nowMs, historyMinutes);
      return undefined;
    case 'llm-timeouts': {
      // the researcher's model answers after 3 s, its client gives up after 1 s, twice per task
      seedHealthy(s, team, nowMs, historyMinutes, [team.researcher], faultFrom);
      s.heartbeatsBetween(team.researcher, faultFrom, nowMs - 2_000);
      for (let at = faultFrom; at < nowMs - 20_000; at += 15_000) {
        const t = trace();
        const id = s.task({ agent: team.researcher, requester: team.orchestrator, atMs: at, traceId: t });
        const timedOut = { latencyMs: 1_000, status: 'timeout', completionTokens: 0 };
        s.answer(id, team.researcher, team.orchestrator, at + 2_100, 'error', t, [timedOut, timedOut]);
        s.error({
          agent: team.researcher,
          atMs: at + 2_100,
          errorType: 'LlmError',
          category: 'timeout_error',
          message: 'model call timed out after 1000 ms',
          traceId: t,
          taskId: id,
          operation: 'llm.research',
          modelName: 'llama3.1:8b',
        });
        s.error({
          agent: team.orchestrator,
          atMs: at + 2_200,
          errorType: 'HandoffError',
          category: 'handoff_error',
          message: `step research on ${team.researcher} failed after 3 attempt(s)`,
          traceId: t,
          operation: 'job',
        });
      }
      return { agent: team.researcher, kind: 'timeouts' };
    }
    case 'rate-limited': {
      // every second request of the writer's model is answered 429 with Retry-After: 1
      seedHealthy(s, team, nowMs, historyMinutes, [team.writer], faultFrom);
      s.heartbeatsBetween(team.writer, faultFrom, nowMs - 2_000);
      for (let at = faultFrom; at < nowMs - 20_000; at += 8_000) {
        const t = trace();
        const id = s.task({ agent: team.writer, requester: team.orchestrator, atMs: at, traceId: t });
        const refused = {
          model: 'gpt-4o-mini',
          provider: 'openai',
          status: 'rate_limited',
          completionTokens: 0,
          latencyMs: 40,
        };
        s.answer(id, team.writer, team.orchestrator, at + 2_500, 'result', t, [
          refused,
          { model: 'gpt-4o-mini', provider: 'openai' },
        ]);
        s.error({
          agent: team.writer,
          atMs: at + 100,
          errorType: 'LlmError',
          category: 'llm_error',
          httpStatus: 429,
          message: 'rate limited by gpt-4o-mini (retry after 1 s)',
          traceId: t,
          taskId: id,
          retryCount: 0,
          modelName: 'gpt-4o-mini',
          operation: 'llm.write',
        });
      }
      return { agent: team.writer, kind: 'llm_rate_limit' };
    }
    case 'crashing-agent': {
      // the coder dies mid-task; the orchestrator times out and re-sends, unread
      const crashAt = nowMs - Math.min(historyMinutes - 1, 4) * MIN;
      seedHealthy(s, team, nowMs, historyMinutes, [team.coder], crashAt);
      const t = trace();
      const first = s.task({
        agent: team.coder,
        requester: team.orchestrator,
        atMs: crashAt + 1_000,
        traceId: t,
      });
      s.error({
        agent: team.orchestrator,
        atMs: crashAt + 21_000,
        errorType: 'HandoffError',
        category: 'timeout_error',
        message: `${team.coder} did not answer task ${first} within 20000 ms`,
        traceId: t,
        taskId: first,
        operation: 'step.code',
      });
      s.task({
        agent: team.coder,
        requester: team.orchestrator,
        atMs: crashAt + 22_000,
        traceId: t,
        attempt: 2,
      });
      return { agent: team.coder, kind: 'dead_agent' };
    }
    case 'stuck-task': {
      // the reviewer accepts tasks and never answers, while it keeps beating as busy
      seedHealthy(s, team, nowMs, historyMinutes, [team.reviewer], faultFrom);
      for (let at = faultFrom; at < nowMs; at += 10_000) s.heartbeat(team.reviewer, at, 'busy');
      for (let at = nowMs - 2 * MIN; at < nowMs - 15_000; at += 20_000) {
        const t = trace();
        const id = s.task({ agent: team.reviewer, requester: team.orchestrator, atMs: at, traceId: t });
        s.error({
          agent: team.orchestrator,
          atMs: at + 10_000,
          errorType: 'HandoffError',
          category: 'timeout_error',
          message: `${team.reviewer} did not answer task ${id} within 10000 ms`,
          traceId: t,
          taskId: id,
          operation: 'step.review',
        });
      }
      return { agent: team.reviewer, kind: 'stuck_tasks' };
    }
    case 'poison': {
      // bytes without the magic byte reach the researcher queue every 5 s
      seedHealthy(s, team, nowMs, historyMinutes);
      for (let at = faultFrom; at < nowMs; at += 5_000) {
        s.deadLetter(queueTopic(team.researcher), at, 'NO_MAGIC_BYTE');
        s.error({
          agent: team.researcher,
          atMs: at + 50,
          errorType: 'DecodeError',
          category: 'validation_error',
          message: 'message without the Confluent magic byte',
          operation: 'consume',
        });
      }
      return { agent: team.researcher, kind: 'dlq_growth' };
    }
    case 'cascade': {
      // the coder's tool throws on every task; the orchestrator's steps and jobs fail because of it
      seedHealthy(s, team, nowMs, historyMinutes);
      for (let at = faultFrom; at < nowMs - 20_000; at += 10_000) {
        const t = trace();
        s.error({
          agent: team.coder,
          atMs: at,
          errorType: 'ToolError',
          category: 'tool_error',
          message: 'evaluate_js threw SyntaxError: Unexpected token n in JSON',
          traceId: t,
          operation: 'tool.evaluate_js',
        });
        s.error({
          agent: team.orchestrator,
          atMs: at + 500,
          errorType: 'HandoffError',
          category: 'handoff_error',
          message: `${team.coder} failed step code with ToolError`,
          traceId: t,
          operation: 'step.code',
        });
      }
      return { agent: team.coder, kind: 'cascading_failure' };
    }
    case 'retry-storm': {
      // the researcher's model answers 503; the orchestrator retries 30 times with almost no backoff
      seedHealthy(s, team, nowMs, historyMinutes);
      for (let job = 0; job < 3; job++) {
        const t = trace();
        for (let attempt = 1; attempt <= 31; attempt++) {
          const at = faultFrom + job * MIN + attempt * 200;
          const id = s.task({
            agent: team.researcher,
            requester: team.orchestrator,
            atMs: at,
            traceId: t,
            attempt,
          });
          s.answer(id, team.researcher, team.orchestrator, at + 50, 'error', t);
          s.error({
            agent: team.researcher,
            atMs: at + 40,
            errorType: 'LlmError',
            category: 'llm_error',
            httpStatus: 503,
            message: 'model endpoint answered 503',
            traceId: t,
            taskId: id,
            operation: 'llm.research',
          });
          s.error({
            agent: team.orchestrator,
            atMs: at + 60,
            errorType: 'HandoffError',
            category: 'handoff_error',
            message: `${team.researcher} failed step research with LlmError`,
            traceId: t,
            taskId: id,
            retryCount: attempt - 1,
            operation: 'step.research',
          });
        }
      }
      return { agent: team.researcher, kind: 'retry_storm' };
    }
    case 'slow-agent': {
      // the writer takes about 8 s per task
      seedHealthy(s, team, nowMs, historyMinutes, [team.writer], faultFrom);
      s.heartbeatsBetween(team.writer, faultFrom, nowMs - 2_000);
      for (let at = faultFrom; at < nowMs - 20_000; at += 15_000) {
        s.roundTrip(team.writer, team.orchestrator, at, 8_000, { calls: [{ latencyMs: 7_900 }] });
      }
      return { agent: team.writer, kind: 'slow_agent' };
    }
  }
}
