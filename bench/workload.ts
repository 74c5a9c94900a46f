import { RecordKind } from '../schemas/codec.js';
import type { AgentMessage, DetailedError, LlmCall, Priority } from '../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { COMMON_FRAMES, ERROR_TEMPLATES, MODELS, WORDS } from './workload-text.js';

/**
 * A realistic mix of agent traffic, about 1 KB per message on average: tasks with a JSON payload of a
 * few hundred bytes, results answering earlier tasks with their LLM usage, heartbeats, and detailed
 * errors with multi-line stack traces. Deterministic for a given seed; every id starts with the
 * run's prefix, so the rows of one run can be counted exactly. With `payloadBytes`, tasks and results
 * carry payloads of that size instead (large prompts and model outputs).
 */

export const ROLES = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];
const WORKERS = ['researcher', 'writer', 'coder', 'reviewer'] as const satisfies readonly Role[];

/** Share of each kind of message, in this order: tasks, results, heartbeats, errors. */
export const MIX = { task: 0.4, result: 0.35, heartbeat: 0.1, error: 0.15 } as const;

/** The agents of one run: `bench-<token>-<role>`, each with its queue `agent-queue-bench-<token>-<role>`. */
export interface BenchAgents {
  names: Record<Role, string>;
  topics: Record<Role, string>;
}

export function benchAgents(token: string): BenchAgents {
  const names = Object.fromEntries(ROLES.map((role) => [role, `bench-${token}-${role}`])) as Record<
    Role,
    string
  >;
  const topics = Object.fromEntries(ROLES.map((role) => [role, queueTopic(names[role])])) as Record<
    Role,
    string
  >;
  return { names, topics };
}

export type WorkItem =
  | { kind: typeof RecordKind.AGENT_MESSAGE; topic: string; key: string; value: AgentMessage }
  | { kind: typeof RecordKind.DETAILED_ERROR; topic: string; key: string; value: DetailedError };

/** The generator's sizing option from the command line's `--payload-bytes`. */
export function sizing(options: { payloadBytes: number | undefined }): { payloadBytes?: number } {
  return options.payloadBytes === undefined ? {} : { payloadBytes: options.payloadBytes };
}

/** Small, fast, seedable generator (mulberry32); the workload needs variety, not cryptography. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 16 hex digits derived from the text (two FNV-1a rounds): a sender's stable group fingerprint. */
function stableHex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ text.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** How far into the corpus a large payload may start, so that payloads differ. */
const CORPUS_SLACK = 65_536;

const PRIORITIES: readonly Priority[] = ['low', 'normal', 'normal', 'normal', 'high', 'critical'];

/** Builds the messages of one run; `idPrefix` (for example `<token>-t-`) starts every id. */
export class WorkloadGenerator {
  readonly #agents: BenchAgents;
  readonly #idPrefix: string;
  readonly #random: () => number;
  #sequence = 0;
  /** Tasks not answered yet, oldest first; results answer from the front. */
  readonly #open: { id: string; role: Role; from: Role; trace: string; job: string }[] = [];
  #openHead = 0;
  readonly #payloadBytes: number | undefined;
  /** Text that large payloads are cut from, at a random offset (built once, on first use). */
  #corpus: string | undefined;

  constructor(agents: BenchAgents, idPrefix: string, seed: number, options: { payloadBytes?: number } = {}) {
    this.#agents = agents;
    this.#idPrefix = idPrefix;
    this.#random = createRandom(seed);
    this.#payloadBytes = options.payloadBytes;
  }

  /** `payload` as JSON, grown with a `body` of words to `payloadBytes` when that is set. */
  #sized(payload: Record<string, unknown>): string {
    const json = JSON.stringify(payload);
    const target = this.#payloadBytes;
    if (target === undefined || json.length >= target) return json;
    const spare = CORPUS_SLACK;
    if (this.#corpus === undefined || this.#corpus.length < target + spare) {
      const words: string[] = [];
      let length = 0;
      while (length < target + spare) {
        const word = this.#pick(WORDS);
        words.push(word);
        length += word.length + 1;
      }
      this.#corpus = words.join(' ');
    }
    const offset = this.#int(spare);
    // `,"body":""` is 10 characters; the words need no escaping
    const body = this.#corpus.slice(offset, offset + target - json.length - 10);
    return JSON.stringify({ ...payload, body });
  }

  /** The next message of the mix, stamped with `timestampMs`. */
  next(timestampMs: number): WorkItem {
    const draw = this.#random();
    if (draw < MIX.task) return this.#task(timestampMs);
    if (draw < MIX.task + MIX.result) {
      return this.#openHead < this.#open.length ? this.#result(timestampMs) : this.#task(timestampMs);
    }
    if (draw < MIX.task + MIX.result + MIX.heartbeat) return this.#heartbeat(timestampMs);
    return this.#error(timestampMs);
  }

  #id(): string {
    this.#sequence += 1;
    return `${this.#idPrefix}${this.#sequence.toString(36).padStart(7, '0')}`;
  }

  #int(max: number): number {
    return Math.floor(this.#random() * max);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)] as T;
  }

  #hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.#int(0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  #sentence(words: number): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(this.#pick(WORDS));
    return out.join(' ');
  }

  #task(timestampMs: number): WorkItem {
    // mostly the orchestrator delegating; sometimes a worker handing off to another worker
    const from: Role = this.#random() < 0.75 ? 'orchestrator' : this.#pick(WORKERS);
    let role: Role = this.#pick(WORKERS);
    if (role === from) role = from === 'reviewer' ? 'writer' : 'reviewer';
    const id = this.#id();
    const trace = this.#hex(32);
    const job = `job-${this.#int(5000)}`;
    const payload = this.#sized({
      goal: this.#sentence(8 + this.#int(8)),
      step: 1 + this.#int(6),
      context: {
        ticket: `INC-${10_000 + this.#int(90_000)}`,
        summary: this.#sentence(28 + this.#int(24)),
        files: [`src/${this.#pick(WORDS)}/${this.#pick(WORDS)}.ts`, `docs/${this.#pick(WORDS)}.md`],
      },
      constraints: [this.#sentence(6), this.#sentence(6), this.#sentence(5)],
      inputs: { max_tokens: 1024 + this.#int(3072), temperature: 0.2, tools: ['web_search', 'read_file'] },
    });
    this.#open.push({ id, role, from, trace, job });
    if (this.#openHead > 4096) {
      this.#open.splice(0, this.#openHead);
      this.#openHead = 0;
    }
    const ttl = 300 + this.#int(600);
    return {
      kind: RecordKind.AGENT_MESSAGE,
      topic: this.#agents.topics[role],
      key: id,
      value: {
        message_id: id,
        source_agent: this.#agents.names[from],
        target_agent: this.#agents.names[role],
        message_type: 'task',
        priority: this.#pick(PRIORITIES),
        payload,
        trace_id: trace,
        span_id: this.#hex(16),
        parent_message_id: null,
        reason: `plan step ${1 + this.#int(5)} of 6`,
        timestamp: timestampMs,
        ttl_seconds: ttl,
        attempt: 1 + (this.#random() < 0.1 ? 1 : 0),
        max_retries: 3,
        deadline: timestampMs + ttl * 1000,
        job_id: job,
        started_at: null,
        llm_usage: [],
        heartbeat: null,
      },
    };
  }

  #result(timestampMs: number): WorkItem {
    const task = this.#open[this.#openHead];
    if (task === undefined) return this.#task(timestampMs);
    this.#openHead += 1;
    const calls: LlmCall[] = [];
    const count = 1 + this.#int(3);
    for (let i = 0; i < count; i++) {
      const [model, provider] = this.#pick(MODELS);
      calls.push({
        model,
        provider,
        prompt_tokens: 200 + this.#int(4000),
        completion_tokens: 50 + this.#int(1500),
        latency_ms: 300 + this.#int(9000),
        cost_usd: Math.round(this.#random() * 1e5) / 1e7,
        status: this.#random() < 0.95 ? 'ok' : 'rate_limited',
      });
    }
    const payload = this.#sized({
      summary: this.#sentence(40 + this.#int(30)),
      findings: [this.#sentence(10), this.#sentence(12), this.#sentence(9)],
      confidence: Math.round(this.#random() * 100) / 100,
      artifacts: [`s3://bench-artifacts/${task.job}/${this.#hex(12)}.json`],
    });
    const id = this.#id();
    return {
      kind: RecordKind.AGENT_MESSAGE,
      topic: this.#agents.topics[task.from],
      key: task.id,
      value: {
        message_id: id,
        source_agent: this.#agents.names[task.role],
        target_agent: this.#agents.names[task.from],
        message_type: 'result',
        priority: 'normal',
        payload,
        trace_id: task.trace,
        span_id: this.#hex(16),
        parent_message_id: task.id,
        reason: null,
        timestamp: timestampMs,
        ttl_seconds: null,
        attempt: 1,
        max_retries: 3,
        deadline: null,
        job_id: task.job,
        started_at: null,
        llm_usage: calls,
        heartbeat: null,
      },
    };
  }

  #heartbeat(timestampMs: number): WorkItem {
    const role = this.#pick(WORKERS);
    const id = this.#id();
    const inFlight = this.#int(5);
    return {
      kind: RecordKind.AGENT_MESSAGE,
      topic: this.#agents.topics.orchestrator,
      key: this.#agents.names[role],
      value: {
        message_id: id,
        source_agent: this.#agents.names[role],
        target_agent: this.#agents.names.orchestrator,
        message_type: 'heartbeat',
        priority: 'low',
        payload: '{}',
        trace_id: this.#hex(32),
        span_id: this.#hex(16),
        parent_message_id: null,
        reason: null,
        timestamp: timestampMs,
        ttl_seconds: null,
        attempt: 1,
        max_retries: 0,
        deadline: null,
        job_id: null,
        started_at: null,
        llm_usage: [],
        heartbeat: {
          state: inFlight === 0 ? 'idle' : 'busy',
          in_flight: inFlight,
          max_concurrency: 4,
          host: `worker-${this.#int(8)}`,
          pid: 1000 + this.#int(30_000),
          version: '0.9.3',
        },
      },
    };
  }

  #error(timestampMs: number): WorkItem {
    const template = this.#pick(ERROR_TEMPLATES);
    const role = this.#pick(ROLES);
    const n = 100 + this.#int(60_000);
    const message = template.message(n);
    const frames = [...template.frames, ...COMMON_FRAMES.slice(0, 4 + this.#int(COMMON_FRAMES.length - 3))];
    const stack = [`${template.type}: ${message}`, ...frames.map((frame) => `    at ${frame}`)].join('\n');
    const task = this.#open[this.#openHead + this.#int(Math.max(1, this.#open.length - this.#openHead))];
    const [model] = this.#pick(MODELS);
    const id = this.#id();
    const agent = this.#agents.names[role];
    return {
      kind: RecordKind.DETAILED_ERROR,
      topic: ERRORS_TOPIC,
      key: agent,
      value: {
        error_id: id,
        severity: this.#random() < 0.8 ? 'error' : 'warning',
        category: template.category,
        error_type: template.type,
        error_message: message,
        error_code: template.code,
        stack_trace: stack,
        trace_id: task?.trace ?? this.#hex(32),
        span_id: this.#hex(16),
        agent_name: agent,
        agent_id: `${role}-${this.#hex(4)}`,
        operation: template.operation,
        input_data: JSON.stringify({ goal: this.#sentence(10), attempt: 1 + this.#int(3) }),
        partial_output: this.#random() < 0.3 ? this.#sentence(15) : null,
        model_name: template.category === 'llm_error' ? model : null,
        prompt_preview: `You are the ${role}. ${this.#sentence(14)}`,
        token_count: 200 + this.#int(4000),
        tool_name: template.operation === 'tool_call' ? 'web_search' : null,
        tool_parameters: template.operation === 'tool_call' ? JSON.stringify({ q: this.#sentence(4) }) : null,
        timestamp: timestampMs,
        duration_before_error_ms: Math.round(this.#random() * 30_000) / 10,
        is_retryable: template.category !== 'validation_error',
        retry_count: this.#int(3),
        max_retries: 3,
        suggested_fixes: ['Back off and retry with jitter', `Check the ${template.operation} configuration`],
        related_docs: ['https://example.com/runbooks/agents'],
        environment: 'bench',
        service_name: role,
        host: `worker-${this.#int(8)}`,
        // half the senders compute the fingerprint; for the others the processors do
        fingerprint:
          this.#random() < 0.5 ? stableHex(`${template.type}\n${agent}\n${template.operation}`) : null,
        suppressed_count: 0,
        task_id: task?.id ?? null,
        job_id: task?.job ?? null,
        http_status: template.http,
      },
    };
  }
}
