import type { FaultModes } from './llm/fault-server.js';
import type { AgentFaults } from './roles/workers.js';

/** What a scenario changes for one agent role. */
export interface RoleFaults {
  faults?: AgentFaults;
  /** The role's model is a local OpenAI-compatible endpoint that misbehaves this way (real HTTP). */
  llm?: FaultModes;
  /** Per-attempt timeout of that endpoint's client. */
  llmTimeoutMs?: number;
  /** Client retries against that endpoint. */
  llmMaxRetries?: number;
  /** Latency of the offline model for this role (`slow-agent`). */
  offlineLatencyMs?: number;
}

export interface Scenario {
  name: string;
  what: string;
  /** What a correct diagnosis says: the root cause, and where the evidence is. */
  diagnosis: string;
  roles: Readonly<Record<string, RoleFaults>>;
  orchestrator?: {
    maxRetries?: number;
    stepTimeoutMs?: number;
    retryBackoffMs?: number;
    retryBackoffMaxMs?: number;
  };
  /** Non-Avro bytes written to a role's queue every `everyMs`. */
  poison?: { role: string; everyMs: number };
  /** Default interval of submitted demo jobs. */
  jobsEveryMs: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'healthy',
    what: 'All five agents on the offline model; jobs complete, about half with one rework round.',
    diagnosis:
      'Nothing is wrong: no pending task older than a job, no errors, every agent heartbeating idle or busy.',
    roles: {},
    jobsEveryMs: 10_000,
  },
  {
    name: 'llm-timeouts',
    what: "The researcher's model endpoint answers after 3 s while its client gives up after 1 s (two retries).",
    diagnosis:
      'timeout_error DetailedErrors from the researcher (LlmError code timeout, operation llm.research), llm_calls with status timeout; ' +
      'the orchestrator retries the research step and the jobs fail with handoff_error RETRIES_EXHAUSTED. Root cause: the model is slower than LLM_TIMEOUT_MS.',
    roles: { researcher: { llm: { latencyMs: 3_000 }, llmTimeoutMs: 1_000, llmMaxRetries: 1 } },
    jobsEveryMs: 15_000,
  },
  {
    name: 'rate-limited',
    what: "The writer's model endpoint answers every second request with 429 and Retry-After: 1.",
    diagnosis:
      'llm_error DetailedErrors from the writer with http_status 429 and error_code rate_limited, llm_calls with status rate_limited; ' +
      'the client retries after Retry-After, so most jobs still complete, later. Root cause: the provider rate limit; lower concurrency or raise the quota.',
    roles: { writer: { llm: { rateLimitEvery: 2, retryAfterSeconds: 1 }, llmMaxRetries: 3 } },
    jobsEveryMs: 8_000,
  },
  {
    name: 'crashing-agent',
    what: 'The coder process dies (SIGKILL) in the middle of its first task and is not restarted.',
    diagnosis:
      "A coder task stays pending with no RESULT or ERROR; the coder's heartbeats stop (last state busy, in_flight 1); the consumer group agent-coder has no member and lag grows. " +
      "The orchestrator's step times out (timeout_error, HandoffError STEP_TIMEOUT) and its retries queue up unread. Root cause: the coder process died mid-task.",
    roles: { coder: { faults: { crashOnTask: 1 } } },
    orchestrator: { stepTimeoutMs: 20_000, maxRetries: 1 },
    jobsEveryMs: 20_000,
  },
  {
    name: 'stuck-task',
    what: 'The reviewer accepts tasks and never answers them, while its process stays alive.',
    diagnosis:
      'Reviewer tasks stay pending while the reviewer keeps heartbeating as busy with in_flight rising to its concurrency limit (alive but stuck, unlike a crash); ' +
      'the orchestrator reports timeout_error (STEP_TIMEOUT) for the review step, then RETRIES_EXHAUSTED. Root cause: a hung handler in the reviewer.',
    roles: { reviewer: { faults: { hang: true } } },
    orchestrator: { stepTimeoutMs: 10_000, maxRetries: 1 },
    jobsEveryMs: 20_000,
  },
  {
    name: 'poison',
    what: 'A producer writes bytes that are not Avro (no Confluent magic byte) to the researcher queue every 5 s.',
    diagnosis:
      'validation_error DetailedErrors from the researcher, operation consume, error_code NO_MAGIC_BYTE, and the same messages in agent-telemetry-dlq / dead_letters with their origin. ' +
      'Jobs still complete: the agent skips the bytes. Root cause: a producer that does not use the schema registry.',
    roles: {},
    poison: { role: 'researcher', everyMs: 5_000 },
    jobsEveryMs: 10_000,
  },
  {
    name: 'cascade',
    what: "The coder's tool runs a program that throws, on every task; the orchestrator's jobs fail because of it.",
    diagnosis:
      "The root cause is the coder: tool_error (ToolError TOOL_RUNTIME, tool evaluate_js, with its parameters). The orchestrator's handoff_error (STEP_FAILED, then RETRIES_EXHAUSTED) and the job ERROR " +
      'are consequences on the same trace and job id; fixing the coder fixes them.',
    roles: { coder: { faults: { toolCode: 'const data = JSON.parse("{not json"); return data;' } } },
    jobsEveryMs: 10_000,
  },
  {
    name: 'retry-storm',
    what: "The researcher's model endpoint answers 503 to everything; the orchestrator retries 30 times, waiting at most 20 ms between attempts.",
    diagnosis:
      'One fingerprint dominates: llm_error with http_status 503 from the researcher and handoff_error from the orchestrator, many per second, ' +
      "the orchestrator's STEP_FAILED retry_count climbing to 30, the researcher's tasks arriving with attempt 1 to 31, and records carrying a large suppressed_count (the error collector capped the storm). Root cause: a failing dependency amplified by retries without backoff; add backoff and a circuit breaker.",
    roles: { researcher: { llm: { failEvery: 1, failStatus: 503 }, llmMaxRetries: 0 } },
    orchestrator: { maxRetries: 30, retryBackoffMs: 5, retryBackoffMaxMs: 20 },
    jobsEveryMs: 5_000,
  },
  {
    name: 'slow-agent',
    what: 'The writer takes about 8 s per task (a slow model); no errors at first.',
    diagnosis:
      "The writer's task latency (task_state latency_ms) and llm_calls latency_ms are far above the others and its queue lag grows under load; " +
      "when a step passes the step timeout, timeout_error STEP_TIMEOUT from the orchestrator. Root cause: the writer's model latency.",
    roles: { writer: { offlineLatencyMs: 8_000 } },
    orchestrator: { stepTimeoutMs: 15_000 },
    jobsEveryMs: 10_000,
  },
  {
    name: 'mixed',
    what: 'The demo default: the researcher is rate-limited now and then (every 5th call), the writer is slow (1.5 s), poison bytes reach the researcher once a minute.',
    diagnosis:
      'Occasional llm_error 429 from the researcher, retried successfully (llm_calls status rate_limited followed by ok); the writer has the highest latency; validation_error NO_MAGIC_BYTE from the researcher once a minute with dead letters. Jobs complete.',
    roles: {
      researcher: { llm: { rateLimitEvery: 5, retryAfterSeconds: 1 }, llmMaxRetries: 2 },
      writer: { offlineLatencyMs: 1_500 },
    },
    poison: { role: 'researcher', everyMs: 60_000 },
    jobsEveryMs: 15_000,
  },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
