import type { Team } from '../diagnosis/test-support/seed-scenarios.js';
import type { Seeder } from '../diagnosis/test-support/seed.js';

/**
 * A demo job as the reference agents leave it in ClickHouse (answers carry started_at): a user's
 * job to the orchestrator, which sends the researcher, the writer, the coder and the reviewer a
 * task each within the same trace; the coder's task fails once with a tool error and is retried;
 * the writer's tasks wait in its queue (one consumer, a slow model). Plus a few earlier jobs for the
 * graph's rates and percentiles, and a task still pending on the reviewer.
 */
export interface SeededDemo {
  traceId: string;
  jobId: string;
  tasks: { research: string; write: string; code: string; codeRetry: string; review: string };
  pendingReviewTask: string;
}

export function seedDemoJob(s: Seeder, team: Team, nowMs: number, user = 'demo-user'): SeededDemo {
  const t0 = nowMs - 120_000;
  const traceId = `${team.orchestrator.replaceAll('-', '')}demo`;
  const call = (latencyMs: number) => ({ latencyMs, model: 'llama3.1:8b', provider: 'ollama' });

  // earlier jobs: the writer's queue waits grow, the others answer promptly
  for (let i = 0; i < 6; i++) {
    const at = nowMs - 600_000 + i * 60_000;
    for (const worker of [team.researcher, team.writer, team.coder]) {
      const task = s.task({ agent: worker, requester: team.orchestrator, atMs: at });
      const queued = worker === team.writer ? 30_000 + i * 2_000 : 200;
      const working = worker === team.writer ? 8_000 : 1_200;
      s.answer(
        task,
        worker,
        team.orchestrator,
        at + queued + working,
        'result',
        '',
        [call(working - 300)],
        at + queued,
      );
    }
    s.heartbeat(team.orchestrator, at);
    for (const w of [team.researcher, team.writer, team.coder, team.reviewer]) s.heartbeat(w, at);
  }
  for (const agent of [team.orchestrator, team.researcher, team.writer, team.coder, team.reviewer])
    s.heartbeat(agent, nowMs - 5_000);

  const job = s.task({ agent: team.orchestrator, requester: user, atMs: t0, traceId });
  const step = (
    agent: string,
    sentMs: number,
    queuedMs: number,
    workingMs: number,
    llm: number[],
    kind: 'result' | 'error' = 'result',
  ) => {
    const id = s.task({ agent, requester: team.orchestrator, atMs: sentMs, traceId });
    s.answer(
      id,
      agent,
      team.orchestrator,
      sentMs + queuedMs + workingMs,
      kind,
      traceId,
      llm.map(call),
      sentMs + queuedMs,
    );
    return id;
  };
  const research = step(team.researcher, t0 + 500, 150, 3_000, [1_200, 1_000]);
  const write = step(team.writer, t0 + 4_000, 40_000, 2_000, [1_400]);
  const code = step(team.coder, t0 + 4_200, 100, 900, [], 'error');
  s.error({
    agent: team.coder,
    atMs: t0 + 5_100,
    errorType: 'ToolExecutionError',
    category: 'tool_error',
    message: 'sandbox: ReferenceError: fetch is not defined',
    traceId,
    taskId: code,
  });
  const codeRetry = step(team.coder, t0 + 6_000, 120, 2_500, [1_800]);
  const review = step(team.reviewer, t0 + 47_000, 300, 4_000, [3_500]);
  s.answer(job, team.orchestrator, user, t0 + 52_000, 'result', traceId, [call(800)], t0 + 100);
  const pendingReviewTask = s.task({
    agent: team.reviewer,
    requester: team.orchestrator,
    atMs: nowMs - 20_000,
  });
  return { traceId, jobId: job, tasks: { research, write, code, codeRetry, review }, pendingReviewTask };
}
