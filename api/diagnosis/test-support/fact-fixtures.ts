import { emptyGraphFacts } from '../types-graph.js';
import { windowOf, type DetectorThresholds, type DiagnosisFacts, type DiagnosisWindow } from '../types.js';

/** Fixture facts and settings for the detector tests. */

export const NOW = Date.UTC(2026, 10, 24, 3, 0, 0);
export const WINDOW: DiagnosisWindow = windowOf(NOW, 15, 4);
export const MIN = 60_000;

export const THRESHOLDS: DetectorThresholds = {
  stuckAfterS: { critical: 60, high: 120, normal: 300, low: 900 },
  heartbeatTimeoutS: 60,
  spikeFactor: 3,
  spikeMinErrors: 5,
  cascadeMinAgents: 2,
  retryStormMinAttempts: 5,
  slowFactor: 3,
  slowMinMs: 2_000,
  timeoutMinCount: 3,
  llmUtilizationWarn: 0.9,
};

export function emptyFacts(window: DiagnosisWindow = WINDOW): DiagnosisFacts {
  return {
    window,
    agentErrors: [],
    errorGroups: [],
    criticalErrors: [],
    traceErrors: [],
    retries: [],
    stuckTasks: [],
    activity: [],
    groups: [],
    lag: [],
    latency: [],
    timeouts: [],
    llm: [],
    deadLetters: [],
    graph: emptyGraphFacts(window.toMs - 30_000),
    timing: [],
  };
}

/** Healthy traffic: every agent beats, answers its tasks at a similar speed, no errors. */
export function healthyFacts(
  agents: readonly string[] = ['orchestrator', 'researcher', 'writer'],
): DiagnosisFacts {
  return {
    ...emptyFacts(),
    activity: agents.map((agent) => ({
      agent,
      last_heartbeat_ms: NOW - 5_000,
      last_state: 'idle',
      sent_window: 40,
      tasks_received_window: 20,
      pending_tasks: 1,
      last_sent_ms: NOW - 2_000,
    })),
    groups: agents.map((agent) => ({
      agent,
      group_id: `agent-${agent}`,
      topic: `agent-queue-${agent}`,
      state: 'stable',
      members: 1,
      lag: 1,
    })),
    latency: agents.map((agent, i) => ({
      agent,
      completed: 20,
      failed: 0,
      p50_ms: 900 + i * 50,
      p95_ms: 1_500 + i * 100,
      p99_ms: 1_800 + i * 100,
      baseline_tasks: 80,
      baseline_p95_ms: 1_500,
    })),
    llm: [
      {
        provider: 'ollama',
        model: 'llama3.1:8b',
        calls: 60,
        tokens: 60_000,
        peak_tpm: 5_000,
        peak_rpm: 5,
        rate_limited: 0,
        agents: [...agents],
        trace_ids: [],
        last_rate_limited_ms: 0,
      },
    ],
  };
}
