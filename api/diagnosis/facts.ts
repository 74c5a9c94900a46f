import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { isTelemetryError } from '../../lib/errors.js';
import { toKafkaTelemetryError } from '../../lib/kafka.js';
import type { Logger } from '../../lib/logger.js';
import {
  fetchActivity,
  fetchGroups,
  fetchLagSeries,
  fetchStoredQueues,
  type GroupLagSource,
} from './facts-agents.js';
import {
  fetchAgentErrors,
  fetchCriticalErrors,
  fetchErrorGroups,
  fetchRetries,
  fetchTraceErrors,
} from './facts-errors.js';
import { fetchGraphFacts, recentFrom } from './facts-graph.js';
import { fetchDeadLetters, fetchLlmUsage, fetchTimeouts } from './facts-performance.js';
import { fetchTaskFacts } from './facts-tasks.js';
import { TaskTimeReadModel } from '../timing/read-model.js';
import type { ConsumerGroupFact, DiagnosisFacts, DiagnosisWindow, StuckThresholds } from './types.js';
import { DEFAULT_GRAPH_THRESHOLDS, type GraphThresholds } from './types-graph.js';

export interface FactSources {
  reader: ClickHouseReader;
  kafka: GroupLagSource;
  logger: Logger;
}

export interface CollectedFacts {
  facts: DiagnosisFacts;
  /** What could not be looked at (a source was unavailable); the diagnosis says so. */
  gaps: string[];
}

/**
 * Fetches every fact of the window. ClickHouse is required (a failure there is a server fault);
 * the live consumer-group view from Kafka is best effort: when the cluster cannot be reached, the
 * diagnosis goes on from ClickHouse's lag samples and reports the gap.
 */
export async function collectFacts(
  sources: FactSources,
  window: DiagnosisWindow,
  options: {
    stuckAfterS: StuckThresholds;
    configuredAgents: readonly string[];
    graphThresholds?: GraphThresholds;
    /** The processors' consumer group, whose progress on a queue tells that queue is stored. */
    processorsGroupId?: string | undefined;
  },
): Promise<CollectedFacts> {
  const { reader } = sources;
  const { stuckAfterS, configuredAgents, graphThresholds = DEFAULT_GRAPH_THRESHOLDS } = options;
  const [
    agentErrors,
    errorGroups,
    criticalErrors,
    traceErrors,
    retries,
    tasks,
    lag,
    llm,
    deadLetters,
    timing,
  ] = await Promise.all([
    fetchAgentErrors(reader, window),
    fetchErrorGroups(reader, window),
    fetchCriticalErrors(reader, window),
    fetchTraceErrors(reader, window),
    fetchRetries(reader, window),
    fetchTaskFacts(reader, window, stuckAfterS, recentFrom(window, graphThresholds)),
    fetchLagSeries(reader, window),
    fetchLlmUsage(reader, window),
    fetchDeadLetters(reader, window),
    new TaskTimeReadModel(reader).agents(window.fromMs, window.toMs),
  ]);
  const { backlog, latency } = tasks;
  const [graph, activity, timeouts] = await Promise.all([
    fetchGraphFacts(reader, window, graphThresholds, tasks),
    fetchActivity(reader, window, backlog.pending, configuredAgents, backlog.oldestPending),
    // expired tasks are their own issue (expired_tasks), judged with the message graph
    fetchTimeouts(reader, window),
  ]);
  const gaps: string[] = [];
  let groups: ConsumerGroupFact[] = [];
  let stored = new Map<string, number>();
  try {
    [groups, stored] = await Promise.all([
      fetchGroups(sources.kafka, activity),
      options.processorsGroupId === undefined
        ? stored
        : fetchStoredQueues(sources.kafka, options.processorsGroupId, activity),
    ]);
  } catch (error) {
    const failure = isTelemetryError(error)
      ? error
      : toKafkaTelemetryError(error, 'describing consumer groups');
    sources.logger.warn({ err: failure, code: failure.code }, 'diagnosis without live consumer groups');
    gaps.push(`live consumer groups unavailable (${failure.code}); lag judged from samples only`);
  }
  return {
    facts: {
      window,
      agentErrors,
      errorGroups,
      criticalErrors,
      traceErrors,
      retries,
      stuckTasks: backlog.stuck,
      activity: activity.map((a) => ({ ...a, queue_stored_through_ms: stored.get(a.agent) ?? 0 })),
      groups,
      lag,
      latency,
      timeouts,
      llm,
      deadLetters,
      graph,
      timing: timing.agents,
    },
    gaps,
  };
}
