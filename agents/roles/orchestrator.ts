import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AgentMessage } from '../../schemas/records.js';
import {
  AgentErrorCode,
  AgentInputError,
  HandoffError,
  HandoffErrorCode,
  TaskCancelledError,
} from '../errors/types.js';
import { LlmPurpose } from '../llm/provider.js';
import type { TaskContext } from '../task-context.js';
import { parsePlan, resolveWorker, roleOf, type PlanStep } from './planner.js';

export interface OrchestratorSettings {
  /** Every worker the orchestrator may plan with (agent names). */
  workers: readonly string[];
  stepTimeoutMs: number;
  /** Retries per step after the first attempt, unless the job asks for fewer. */
  maxRetries: number;
  /** First wait between attempts; doubles per attempt, with jitter. */
  retryBackoffMs: number;
  /** Longest wait between attempts. */
  retryBackoffMaxMs: number;
  /** Rework rounds the reviewer may ask for. */
  maxReworks: number;
}

const JobPayload = z.object({
  goal: z.string().min(1).max(4_000),
  max_retries: z.number().int().min(0).max(50).optional(),
  step_timeout_ms: z.number().int().min(1).max(3_600_000).optional(),
});

interface StepOutcome {
  agent: string;
  attempts: number;
  output: Record<string, unknown>;
  task_id: string;
  usage: { calls: number; prompt_tokens: number; completion_tokens: number; cost_usd: number };
}

function usageOf(reply: AgentMessage): StepOutcome['usage'] {
  return {
    calls: reply.llm_usage.length,
    prompt_tokens: reply.llm_usage.reduce((sum, c) => sum + c.prompt_tokens, 0),
    completion_tokens: reply.llm_usage.reduce((sum, c) => sum + c.completion_tokens, 0),
    cost_usd: reply.llm_usage.reduce((sum, c) => sum + c.cost_usd, 0),
  };
}

function outputOf(reply: AgentMessage): Record<string, unknown> {
  const payload = JSON.parse(reply.payload) as { output?: Record<string, unknown> };
  return payload.output ?? {};
}

function remoteError(reply: AgentMessage): { type: string; retryable: boolean; message: string } {
  const payload = JSON.parse(reply.payload) as { error_type?: string; retryable?: boolean; message?: string };
  return {
    type: payload.error_type ?? 'unknown',
    retryable: payload.retryable ?? true,
    message: payload.message ?? reply.reason ?? 'no detail',
  };
}

/**
 * The orchestrator: plans the job with the model, runs independent steps in parallel on the workers,
 * waits for each with a timeout, retries a failed or silent step with backoff up to `max_retries`
 * (the attempt number travels in the task), lets the reviewer send work back, and synthesizes.
 * The first step that fails for good fails the job and cancels the steps still running.
 */
export async function orchestrate(
  context: TaskContext,
  settings: OrchestratorSettings,
): Promise<Record<string, unknown>> {
  const parsed = JobPayload.safeParse(context.payload);
  if (!parsed.success) {
    throw new AgentInputError(
      AgentErrorCode.BAD_TASK,
      `job payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const job = parsed.data;
  const maxRetries = job.max_retries ?? settings.maxRetries;
  const stepTimeoutMs = job.step_timeout_ms ?? settings.stepTimeoutMs;
  const roles = [...new Set(settings.workers.map(roleOf))];

  const planText = await context.callLlm({
    purpose: LlmPurpose.PLAN,
    messages: [
      {
        role: 'system',
        content:
          'You are the orchestrator of a team of agents. Split the goal into steps for the workers. Answer with JSON only: ' +
          '{"steps": [{"id": "...", "agent": "<worker>", "instruction": "...", "depends_on": ["<id>"]}]}',
      },
      { role: 'user', content: `Goal: ${job.goal}\nWorkers: ${JSON.stringify(roles)}` },
    ],
  });
  const plan = parsePlan(planText.text, settings.workers);

  const jobAbort = new AbortController();
  const signal = AbortSignal.any([context.signal, jobAbort.signal]);
  const results = new Map<string, Promise<StepOutcome>>();
  const outcomes: Record<string, StepOutcome> = {};

  const runStep = async (step: PlanStep, extra: { feedback?: string } = {}): Promise<StepOutcome> => {
    const inputs: Record<string, unknown> = {};
    for (const dep of step.dependsOn) inputs[dep] = (await results.get(dep))?.output;
    const outcome = await attemptStep(
      context,
      step,
      { goal: job.goal, inputs, ...extra },
      {
        maxRetries,
        stepTimeoutMs,
        backoffMs: settings.retryBackoffMs,
        backoffMaxMs: settings.retryBackoffMaxMs,
        signal,
      },
    );
    // a step run again for rework keeps the usage of its earlier runs: the job's cost is all of them
    const earlier = outcomes[step.id]?.usage;
    if (earlier !== undefined) {
      outcome.usage = {
        calls: earlier.calls + outcome.usage.calls,
        prompt_tokens: earlier.prompt_tokens + outcome.usage.prompt_tokens,
        completion_tokens: earlier.completion_tokens + outcome.usage.completion_tokens,
        cost_usd: earlier.cost_usd + outcome.usage.cost_usd,
      };
    }
    outcomes[step.id] = outcome;
    return outcome;
  };

  // every step starts when its dependencies are done: independent steps run in parallel
  for (const step of plan) {
    const started = (async () => {
      await Promise.all(step.dependsOn.map((dep) => results.get(dep) ?? Promise.resolve(undefined)));
      return runStep(step);
    })();
    started.catch((error: unknown) => {
      jobAbort.abort(error instanceof Error ? error : new Error(String(error)));
    });
    results.set(step.id, started);
  }
  await Promise.all([...results.values()]);

  let reworks = 0;
  const reviewStep = plan.find((s) => roleOf(s.agent) === 'reviewer');
  while (reviewStep !== undefined && reworks < settings.maxReworks) {
    const review = outcomes[reviewStep.id]?.output;
    if (review?.verdict !== 'rework') break;
    const target = resolveWorker(
      typeof review.target === 'string' ? review.target : 'writer',
      plan.map((s) => s.agent),
    );
    const redo = plan.find((s) => s.agent === target && s.id !== reviewStep.id);
    if (redo === undefined) break;
    reworks += 1;
    const notes = typeof review.notes === 'string' ? review.notes : 'rework requested';
    results.set(redo.id, runStep(redo, { feedback: notes }));
    await results.get(redo.id);
    results.set(reviewStep.id, runStep(reviewStep));
    await results.get(reviewStep.id);
  }

  const summary = await context.callLlm({
    purpose: LlmPurpose.SYNTHESIZE,
    messages: [
      { role: 'system', content: 'You are the orchestrator. Summarize the outcome of the job for the user.' },
      {
        role: 'user',
        content: `Goal: ${job.goal}\n${Object.entries(outcomes)
          .map(([id, o]) => `[${id} by ${o.agent}]\n${JSON.stringify(o.output).slice(0, 1_500)}`)
          .join('\n\n')}`,
      },
    ],
  });
  return {
    goal: job.goal,
    summary: summary.text,
    plan: plan.map((s) => ({ id: s.id, agent: s.agent, depends_on: s.dependsOn })),
    steps: outcomes,
    reworks,
  };
}

async function attemptStep(
  context: TaskContext,
  step: PlanStep,
  body: { goal: string; inputs: Record<string, unknown>; feedback?: string },
  options: {
    maxRetries: number;
    stepTimeoutMs: number;
    backoffMs: number;
    backoffMaxMs: number;
    signal: AbortSignal;
  },
): Promise<StepOutcome> {
  let last: HandoffError | undefined;
  for (let attempt = 1; attempt <= options.maxRetries + 1; attempt++) {
    if (options.signal.aborted)
      throw options.signal.reason instanceof Error
        ? options.signal.reason
        : new TaskCancelledError('job aborted');
    try {
      const reply = await context.request(
        step.agent,
        { ...body, instruction: step.instruction, step_id: step.id },
        {
          timeoutMs: options.stepTimeoutMs,
          attempt,
          maxRetries: options.maxRetries,
          signal: options.signal,
          ...(attempt > 1 && last !== undefined ? { reason: `retry after ${last.code}` } : {}),
        },
      );
      if (reply.message_type === 'result')
        return {
          agent: step.agent,
          attempts: attempt,
          output: outputOf(reply),
          task_id: reply.parent_message_id ?? '',
          usage: usageOf(reply),
        };
      if (reply.message_type === 'cancel') {
        last = new HandoffError(
          HandoffErrorCode.STEP_CANCELLED,
          `${step.agent} cancelled step ${step.id}: ${reply.reason ?? 'no reason'}`,
          {
            targetAgent: step.agent,
            taskId: reply.parent_message_id ?? '',
            attempt,
          },
        );
      } else {
        const remote = remoteError(reply);
        last = new HandoffError(
          HandoffErrorCode.STEP_FAILED,
          `${step.agent} failed step ${step.id} with ${remote.type}: ${remote.message}`,
          {
            targetAgent: step.agent,
            taskId: reply.parent_message_id ?? '',
            attempt,
            remoteErrorType: remote.type,
          },
        );
        if (!remote.retryable) break;
      }
    } catch (error) {
      if (!(error instanceof HandoffError)) throw error;
      last = error;
    }
    context.recordError(last, {
      operation: `step.${step.id}`,
      retryCount: attempt - 1,
      maxRetries: options.maxRetries,
      taskId: last.taskId ?? null,
    });
    if (attempt <= options.maxRetries) {
      const wait =
        Math.min(options.backoffMaxMs, options.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
  throw new HandoffError(
    HandoffErrorCode.RETRIES_EXHAUSTED,
    `step ${step.id} on ${step.agent} failed after ${last?.attempt ?? 1} attempt(s): ${last?.message ?? 'no attempt made'}`,
    {
      targetAgent: step.agent,
      attempt: last?.attempt ?? 1,
      ...(last?.remoteErrorType === undefined ? {} : { remoteErrorType: last.remoteErrorType }),
      cause: last,
    },
  );
}
