import { z } from 'zod';
import { AgentErrorCode, AgentInputError } from '../errors/types.js';

/** One step of a job: which worker does what, after which other steps. */
export interface PlanStep {
  id: string;
  /** The worker's agent name (its queue is `agent-queue-<agent>`). */
  agent: string;
  instruction: string;
  dependsOn: string[];
}

const PlanSchema = z.object({
  steps: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        agent: z.string().min(1),
        instruction: z.string().min(1).max(4_000),
        depends_on: z.array(z.string()).default([]),
      }),
    )
    .min(1)
    .max(20),
});

/** The first JSON object in a model answer (models wrap JSON in prose or code fences). */
export function extractJsonObject(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const candidate = fenced?.[1] ?? text;
  const start = candidate.indexOf('{');
  const end = candidate.lastIndexOf('}');
  if (start < 0 || end <= start) {
    throw new AgentInputError(AgentErrorCode.BAD_MODEL_OUTPUT, 'the model answer holds no JSON object');
  }
  try {
    return JSON.parse(candidate.slice(start, end + 1));
  } catch (error) {
    throw new AgentInputError(
      AgentErrorCode.BAD_MODEL_OUTPUT,
      'the model answer holds malformed JSON',
      error,
    );
  }
}

/**
 * Resolves a role or agent name from a plan onto a configured worker: exact name first, then the worker
 * whose role (the name before a `-suffix`) matches, so a plan saying `researcher` reaches
 * `researcher-7f3a` in an isolated deployment.
 */
export function resolveWorker(name: string, workers: readonly string[]): string | undefined {
  const wanted = name.trim().toLowerCase();
  return workers.find((w) => w === wanted) ?? workers.find((w) => roleOf(w) === wanted);
}

/** The role of an agent name: `researcher` for `researcher`, `researcher-7f3a` and `researcher-2`. */
export function roleOf(agent: string): string {
  const dash = agent.indexOf('-');
  return dash < 0 ? agent : agent.slice(0, dash);
}

/**
 * Validates a model's plan: known workers only, unique ids, dependencies that exist and no cycles.
 * Throws an `AgentInputError` (a validation error) naming the problem.
 */
export function parsePlan(text: string, workers: readonly string[]): PlanStep[] {
  const parsed = PlanSchema.safeParse(extractJsonObject(text));
  if (!parsed.success) {
    throw new AgentInputError(
      AgentErrorCode.BAD_MODEL_OUTPUT,
      `the plan does not have the expected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const steps: PlanStep[] = [];
  const ids = new Set<string>();
  for (const step of parsed.data.steps) {
    if (ids.has(step.id))
      throw new AgentInputError(AgentErrorCode.BAD_MODEL_OUTPUT, `the plan has two steps with id ${step.id}`);
    ids.add(step.id);
    const agent = resolveWorker(step.agent, workers);
    if (agent === undefined) {
      throw new AgentInputError(
        AgentErrorCode.BAD_MODEL_OUTPUT,
        `the plan names an unknown worker ${step.agent} (known: ${workers.join(', ')})`,
      );
    }
    steps.push({ id: step.id, agent, instruction: step.instruction, dependsOn: step.depends_on });
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!ids.has(dep))
        throw new AgentInputError(
          AgentErrorCode.BAD_MODEL_OUTPUT,
          `step ${step.id} depends on unknown step ${dep}`,
        );
    }
  }
  assertAcyclic(steps);
  return steps;
}

function assertAcyclic(steps: readonly PlanStep[]): void {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    const mark = state.get(id);
    if (mark === 'done') return;
    if (mark === 'visiting')
      throw new AgentInputError(
        AgentErrorCode.BAD_MODEL_OUTPUT,
        `the plan has a dependency cycle through ${id}`,
      );
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep);
    state.set(id, 'done');
  };
  for (const step of steps) visit(step.id);
}

/** Steps in waves: each wave holds the steps whose dependencies all ran in earlier waves. */
export function waves(steps: readonly PlanStep[]): PlanStep[][] {
  const done = new Set<string>();
  const remaining = [...steps];
  const result: PlanStep[][] = [];
  while (remaining.length > 0) {
    const ready = remaining.filter((s) => s.dependsOn.every((d) => done.has(d)));
    if (ready.length === 0)
      throw new AgentInputError(AgentErrorCode.BAD_MODEL_OUTPUT, 'the plan cannot be ordered');
    result.push(ready);
    for (const step of ready) {
      done.add(step.id);
      remaining.splice(remaining.indexOf(step), 1);
    }
  }
  return result;
}
