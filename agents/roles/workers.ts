import { z } from 'zod';
import { AgentErrorCode, AgentInputError } from '../errors/types.js';
import { LlmPurpose } from '../llm/provider.js';
import type { TaskContext } from '../task-context.js';
import { EVALUATOR_TOOL, evaluateJs, extractCode } from './evaluator.js';
import { extractJsonObject } from './planner.js';

/** Deliberate faults a scenario gives an agent. */
export interface AgentFaults {
  /** The process dies (SIGKILL) once it has accepted this many tasks, mid-task. */
  crashOnTask?: number;
  /** The agent accepts tasks and never answers them, not even on CANCEL. */
  hang?: boolean;
  /** The coder's tool runs this program instead of the model's (a tool that fails). */
  toolCode?: string;
}

export interface WorkerEnv {
  faults: AgentFaults;
  /** Time limit of the coder's evaluator. */
  toolTimeoutMs: number;
  /** Kills the process; injected so the crash is a real process death in `agents run`. */
  crash: () => void;
}

const StepPayload = z.object({
  goal: z.string().min(1),
  instruction: z.string().default(''),
  step_id: z.string().default(''),
  inputs: z.record(z.string(), z.unknown()).default({}),
  feedback: z.string().optional(),
});
type StepPayload = z.infer<typeof StepPayload>;

function stepPayload(context: TaskContext): StepPayload {
  const parsed = StepPayload.safeParse(context.payload);
  if (!parsed.success) {
    throw new AgentInputError(
      AgentErrorCode.BAD_TASK,
      `task payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function inputsText(inputs: Record<string, unknown>): string {
  return Object.entries(inputs)
    .map(([step, output]) => `[${step}]\n${typeof output === 'string' ? output : JSON.stringify(output)}`)
    .join('\n\n');
}

function userPrompt(step: StepPayload): string {
  return [
    `Goal: ${step.goal}`,
    `Instruction: ${step.instruction}`,
    ...(step.feedback === undefined ? [] : [`Reviewer feedback: ${step.feedback}`]),
    ...(Object.keys(step.inputs).length === 0 ? [] : ['Inputs:', inputsText(step.inputs)]),
  ].join('\n');
}

/** Never settles until the process ends: the `stuck-task` fault. */
function forever(): Promise<never> {
  return new Promise<never>(() => undefined);
}

export function researcher(context: TaskContext): Promise<Record<string, unknown>> {
  const step = stepPayload(context);
  return context
    .callLlm({
      purpose: LlmPurpose.RESEARCH,
      messages: [
        { role: 'system', content: 'You are a researcher. List the key facts with sources, briefly.' },
        { role: 'user', content: userPrompt(step) },
      ],
    })
    .then((response) => ({ findings: response.text }));
}

export async function writer(context: TaskContext): Promise<Record<string, unknown>> {
  const step = stepPayload(context);
  const response = await context.callLlm({
    purpose: LlmPurpose.WRITE,
    messages: [
      {
        role: 'system',
        content: 'You are a technical writer. Write a short report in Markdown from the inputs.',
      },
      { role: 'user', content: userPrompt(step) },
    ],
  });
  return { draft: response.text, revised: step.feedback !== undefined };
}

export async function coder(context: TaskContext, env: WorkerEnv): Promise<Record<string, unknown>> {
  const step = stepPayload(context);
  const response = await context.callLlm({
    purpose: LlmPurpose.CODE,
    messages: [
      {
        role: 'system',
        content:
          'You are a programmer. Answer with one ```js block holding a function body that returns JSON data.',
      },
      { role: 'user', content: userPrompt(step) },
    ],
  });
  const code = env.faults.toolCode ?? extractCode(response.text);
  const result = await context.runTool(EVALUATOR_TOOL, { code, timeout_ms: env.toolTimeoutMs }, () =>
    evaluateJs(code, env.toolTimeoutMs),
  );
  return { result, code };
}

const Verdict = z.object({
  verdict: z.enum(['approve', 'rework']),
  notes: z.string().default(''),
  target: z.string().optional(),
});

export async function reviewer(context: TaskContext): Promise<Record<string, unknown>> {
  const step = stepPayload(context);
  const response = await context.callLlm({
    purpose: LlmPurpose.REVIEW,
    messages: [
      {
        role: 'system',
        content:
          'You are a reviewer. Answer with JSON only: {"verdict": "approve" | "rework", "notes": "...", "target": "<role to rework>"}.',
      },
      { role: 'user', content: userPrompt(step) },
    ],
  });
  const parsed = Verdict.safeParse(extractJsonObject(response.text));
  if (!parsed.success)
    throw new AgentInputError(
      AgentErrorCode.BAD_MODEL_OUTPUT,
      'the review verdict does not have the expected shape',
    );
  return { verdict: parsed.data.verdict, notes: parsed.data.notes, target: parsed.data.target ?? 'writer' };
}

/** A worker defined by configuration alone: its role name is its instruction. */
export async function generic(context: TaskContext): Promise<Record<string, unknown>> {
  const step = stepPayload(context);
  const response = await context.callLlm({
    purpose: LlmPurpose.GENERIC,
    messages: [
      { role: 'system', content: `You are the ${context.agent} agent of a team. Do your part of the goal.` },
      { role: 'user', content: userPrompt(step) },
    ],
  });
  return { output: response.text };
}

/**
 * Wraps a worker with a scenario's faults: `crashOnTask` kills the process mid-task (after it was
 * accepted, before any answer), `hang` never answers.
 */
export function withFaults(
  work: (context: TaskContext) => Promise<Record<string, unknown>>,
  env: WorkerEnv,
): (context: TaskContext) => Promise<Record<string, unknown>> {
  let accepted = 0;
  return async (context) => {
    accepted += 1;
    if (env.faults.hang === true) return forever();
    if (env.faults.crashOnTask !== undefined && accepted >= env.faults.crashOnTask) {
      // let the model call start so the task is visibly under way, then die without answering
      const running = work(context);
      running.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      env.crash();
      return forever();
    }
    return work(context);
  };
}
