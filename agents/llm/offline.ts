import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LlmError,
  LlmErrorCode,
  LlmPurpose,
  estimateTokens,
  type LlmCallOptions,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
} from './provider.js';
import { costOf, type PriceTable } from './pricing.js';

export interface OfflineProviderOptions {
  /** Model name reported in usage. Default `offline-deterministic`. */
  model?: string;
  /** Simulated latency per call in ms (plus up to half of it again, fixed per prompt). Default 20. */
  latencyMs?: number;
  prices: PriceTable;
}

/** A stable number from text, so the same prompt always gets the same answer. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** The value of a `Label: value` line of the prompt (the prompts the agents build use such lines). */
function field(prompt: string, label: string): string | undefined {
  const match = new RegExp(`^${label}:\\s*(.*)$`, 'm').exec(prompt);
  return match?.[1]?.trim();
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function topicOf(goal: string): string {
  const meaningful = words(goal).filter((w) => w.length > 3);
  return (meaningful.length > 0 ? meaningful.slice(0, 4) : words(goal).slice(0, 4)).join(' ') || 'the goal';
}

function plan(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? prompt;
  let workers: string[] = [];
  try {
    const parsed: unknown = JSON.parse(field(prompt, 'Workers') ?? '[]');
    if (Array.isArray(parsed)) workers = parsed.filter((w): w is string => typeof w === 'string');
  } catch {
    workers = [];
  }
  const steps: { id: string; agent: string; instruction: string; depends_on: string[] }[] = [];
  const has = (role: string): boolean => workers.includes(role);
  if (has('researcher'))
    steps.push({
      id: 'research',
      agent: 'researcher',
      instruction: `Collect facts about: ${goal}`,
      depends_on: [],
    });
  const afterResearch = has('researcher') ? ['research'] : [];
  if (has('writer'))
    steps.push({
      id: 'write',
      agent: 'writer',
      instruction: `Write a short report on: ${goal}`,
      depends_on: afterResearch,
    });
  if (has('coder'))
    steps.push({
      id: 'code',
      agent: 'coder',
      instruction: `Compute word statistics of: ${goal}`,
      depends_on: afterResearch,
    });
  for (const extra of workers.filter((w) => !['researcher', 'writer', 'coder', 'reviewer'].includes(w))) {
    steps.push({
      id: extra,
      agent: extra,
      instruction: `Contribute as ${extra} to: ${goal}`,
      depends_on: afterResearch,
    });
  }
  if (has('reviewer')) {
    const produced = steps.filter((s) => s.agent !== 'researcher').map((s) => s.id);
    steps.push({
      id: 'review',
      agent: 'reviewer',
      instruction: `Review the work on: ${goal}`,
      depends_on: produced,
    });
  }
  return JSON.stringify({ steps });
}

function research(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? field(prompt, 'Instruction') ?? prompt;
  const topic = topicOf(goal);
  const h = stableHash(goal);
  return [
    `Findings on ${topic}:`,
    `1. ${topic} has ${(h % 7) + 3} commonly cited aspects; the first is scope.`,
    `2. Practitioners report ${(h % 40) + 50}% of failures come from unclear requirements.`,
    `3. A staged approach (research, draft, review) reduces rework.`,
    `Sources: offline-corpus#${(h % 10_000).toString().padStart(4, '0')}`,
  ].join('\n');
}

function write(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? field(prompt, 'Instruction') ?? prompt;
  const topic = topicOf(goal);
  const revising = /^Reviewer feedback:/m.test(prompt);
  const lines = [
    `# ${topic.replace(/\b\w/g, (c) => c.toUpperCase())}`,
    '',
    `This report addresses "${goal}". It draws on the research findings and states the main aspects,`,
    'the common failure causes and a staged approach.',
  ];
  if (revising) lines.push('', '## Summary', '', `In short: plan ${topic} in stages and review each one.`);
  return lines.join('\n');
}

function code(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? field(prompt, 'Instruction') ?? prompt;
  return [
    '```js',
    `const words = ${JSON.stringify(words(goal))};`,
    'const longest = words.reduce((a, b) => (b.length > a.length ? b : a), "");',
    'return { words: words.length, distinct: new Set(words).size, longest };',
    '```',
  ].join('\n');
}

function review(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? prompt;
  // the draft reaches the reviewer inside JSON (newlines escaped), so look for the heading anywhere
  const hasSummary = prompt.includes('## Summary');
  // deterministic: about half of the goals get one round of rework, so the rework path is exercised
  if (!hasSummary && stableHash(goal) % 2 === 0) {
    return JSON.stringify({ verdict: 'rework', target: 'writer', notes: 'Add a "## Summary" section.' });
  }
  return JSON.stringify({ verdict: 'approve', notes: 'Meets the goal.' });
}

function synthesize(prompt: string): string {
  const goal = field(prompt, 'Goal') ?? prompt;
  return `Result for "${goal}": research, report, computation and review are complete; see the step outputs.`;
}

/**
 * A deterministic model for machines without one: the same request always gets the same answer,
 * shaped for the purpose (a JSON plan for planning, a fenced program for coding, a JSON verdict for
 * reviewing). Latency is simulated with a timer that honours the abort signal.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline';
  readonly model: string;
  readonly #latencyMs: number;
  readonly #prices: PriceTable;

  constructor(options: OfflineProviderOptions) {
    this.model = options.model ?? 'offline-deterministic';
    this.#latencyMs = options.latencyMs ?? 20;
    this.#prices = options.prices;
  }

  async complete(request: LlmRequest, options: LlmCallOptions = {}): Promise<LlmResponse> {
    const started = Date.now();
    const prompt = request.messages.map((m) => m.content).join('\n');
    const model = request.model ?? this.model;
    const latency = this.#latencyMs + (stableHash(prompt) % (Math.floor(this.#latencyMs / 2) + 1));
    try {
      await sleep(latency, undefined, options.signal === undefined ? {} : { signal: options.signal });
    } catch (error) {
      const reason: unknown = options.signal?.reason;
      const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
      options.onCall?.({
        model,
        provider: this.name,
        prompt_tokens: 0,
        completion_tokens: 0,
        latency_ms: Date.now() - started,
        cost_usd: 0,
        status: timedOut ? 'timeout' : 'cancelled',
      });
      throw new LlmError(timedOut ? LlmErrorCode.TIMEOUT : LlmErrorCode.CANCELLED, 'model call aborted', {
        provider: this.name,
        model,
        cause: reason ?? error,
      });
    }
    const text = this.#answer(request.purpose, prompt);
    const promptTokens = estimateTokens(prompt);
    const completionTokens = estimateTokens(text);
    const latencyMs = Date.now() - started;
    const costUsd = costOf(this.#prices, model, promptTokens, completionTokens);
    options.onCall?.({
      model,
      provider: this.name,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      latency_ms: latencyMs,
      cost_usd: costUsd,
      status: 'ok',
    });
    return {
      text,
      model,
      provider: this.name,
      promptTokens,
      completionTokens,
      latencyMs,
      costUsd,
      finishReason: 'stop',
    };
  }

  #answer(purpose: LlmRequest['purpose'], prompt: string): string {
    switch (purpose) {
      case LlmPurpose.PLAN:
        return plan(prompt);
      case LlmPurpose.RESEARCH:
        return research(prompt);
      case LlmPurpose.WRITE:
        return write(prompt);
      case LlmPurpose.CODE:
        return code(prompt);
      case LlmPurpose.REVIEW:
        return review(prompt);
      case LlmPurpose.SYNTHESIZE:
        return synthesize(prompt);
      case LlmPurpose.GENERIC:
        return `Contribution on ${topicOf(field(prompt, 'Goal') ?? prompt)}: done.`;
    }
  }
}
