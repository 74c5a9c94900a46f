import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { quoteNumber } from '../../lib/sql.js';
import { AGENT_LIVENESS } from '../../lib/tables/heartbeats.js';
import { LAG_SAMPLES } from '../../lib/tables/lag-samples.js';
import { MESSAGE_LOG } from '../../lib/tables/message-log.js';
import { queueTopic } from '../../schemas/topics.js';
import { inBaselineAndWindow, inWindow, num } from './facts-errors.js';
import type { AgentActivityFact, ConsumerGroupFact, DiagnosisWindow, LagSeriesFact } from './types.js';

/** Queries over tasks, liveness and consumer groups. */

/**
 * Liveness and traffic of every agent that sent a heartbeat, sent or received a message since the
 * baseline began, or is configured.
 */
export async function fetchActivity(
  reader: ClickHouseReader,
  w: DiagnosisWindow,
  pending: ReadonlyMap<string, number>,
  configuredAgents: readonly string[],
  oldestPending: ReadonlyMap<string, number> = new Map(),
): Promise<AgentActivityFact[]> {
  const from = quoteNumber(Math.floor(w.fromMs));
  const [liveness, sent, received, beats] = await Promise.all([
    reader.query<{ agent: string; last_ms: number | string; state: string }>(`
      SELECT agent, maxMerge(last_heartbeat_ms) AS last_ms, argMaxMerge(last_state) AS state
      FROM ${AGENT_LIVENESS} GROUP BY agent LIMIT 10000`),
    reader.query<{
      agent: string;
      window_n: number | string;
      tasks_n: number | string;
      last_ms: number | string;
    }>(`
      SELECT source_agent AS agent, uniqExactIf(message_id, sent_at_ms >= ${from}) AS window_n,
             uniqExactIf(message_id, sent_at_ms >= ${from} AND message_type = 'task') AS tasks_n, max(sent_at_ms) AS last_ms
      FROM ${MESSAGE_LOG} WHERE ${inBaselineAndWindow('sent_at_ms', w)} GROUP BY source_agent LIMIT 10000`),
    reader.query<{ agent: string; n: number | string }>(`
      SELECT target_agent AS agent, uniqExact(message_id) AS n FROM ${MESSAGE_LOG}
      WHERE message_type = 'task' AND ${inWindow('sent_at_ms', w)} GROUP BY target_agent LIMIT 10000`),
    // the usual gap between an agent's beats in the window (their span over their count, from 2 beats
    // on) and the longest one (how late a beat of this agent has been)
    reader.query<{ agent: string; interval_ms: number | string; longest_gap_ms: number | string }>(`
      SELECT source_agent AS agent, (max(sent_at_ms) - min(sent_at_ms)) / (uniqExact(message_id) - 1) AS interval_ms,
             arrayReduce('max', arrayDifference(arraySort(groupArray(sent_at_ms)))) AS longest_gap_ms
      FROM ${MESSAGE_LOG} WHERE message_type = 'heartbeat' AND ${inWindow('sent_at_ms', w)}
      GROUP BY source_agent HAVING uniqExact(message_id) >= 2 LIMIT 10000`),
  ]);
  const agents = new Set<string>([
    ...configuredAgents,
    ...liveness.map((r) => r.agent),
    ...sent.map((r) => r.agent),
    ...received.map((r) => r.agent),
    ...pending.keys(),
  ]);
  return [...agents].sort().map((agent) => {
    const beat = liveness.find((r) => r.agent === agent);
    const out = sent.find((r) => r.agent === agent);
    const gaps = beats.find((r) => r.agent === agent);
    return {
      agent,
      last_heartbeat_ms: num(beat?.last_ms),
      last_state: beat?.state ?? '',
      sent_window: num(out?.window_n),
      tasks_received_window: num(received.find((r) => r.agent === agent)?.n),
      pending_tasks: pending.get(agent) ?? 0,
      last_sent_ms: num(out?.last_ms),
      tasks_sent_window: num(out?.tasks_n),
      oldest_pending_ms: oldestPending.get(agent) ?? 0,
      heartbeat_interval_ms: Math.round(num(gaps?.interval_ms)),
      heartbeat_longest_gap_ms: num(gaps?.longest_gap_ms),
    };
  });
}

/**
 * Live consumer-group facts (the API's Kafka admin view satisfies it). `undefined` when the topic
 * does not exist.
 */
export interface GroupLagSource {
  groupLag(
    groupId: string,
    topic: string,
  ): Promise<
    | {
        lag: number;
        members: number;
        group_state: string;
        partitions?: readonly { committed_offset: number }[];
        fetched_at_ms?: number;
      }
    | undefined
  >;
}

/** Bound on live group look-ups per diagnosis. */
const MAX_GROUP_LOOKUPS = 100;

/**
 * The live state of the consumer group `agent-<name>` of every agent that has work (pending tasks,
 * or tasks sent to it in the window), from the Kafka admin API.
 */
export async function fetchGroups(
  kafka: GroupLagSource,
  activity: readonly AgentActivityFact[],
): Promise<ConsumerGroupFact[]> {
  const busy = activity
    .filter((a) => a.pending_tasks > 0 || a.tasks_received_window > 0)
    .slice(0, MAX_GROUP_LOOKUPS);
  const groups = await Promise.all(
    busy.map(async (a) => {
      const groupId = `agent-${a.agent}`;
      const topic = queueTopic(a.agent);
      const lag = await kafka.groupLag(groupId, topic);
      if (lag === undefined) return [];
      return [
        {
          agent: a.agent,
          group_id: groupId,
          topic,
          state: lag.group_state,
          members: lag.members,
          lag: lag.lag,
          ever_committed: lag.partitions?.some((p) => p.committed_offset >= 0) ?? true,
        },
      ];
    }),
  );
  return groups.flat();
}

/** How long a record may take from an agent's send to its queue's end offset (its producer's batching). */
const PRODUCE_MARGIN_MS = 250;

/**
 * For every agent with pending work and a known heartbeat interval (those whose missed beats the
 * diagnosis judges), when the processors' group (`processorsGroupId`) had stored its whole queue:
 * the time the offsets were asked for, less the producer's batching, when nothing was left to
 * commit. Then the agent's silence can be measured against that time instead of against the
 * freshest message of the others, which stands still when every other agent is quiet too.
 */
export async function fetchStoredQueues(
  kafka: GroupLagSource,
  processorsGroupId: string,
  activity: readonly AgentActivityFact[],
): Promise<Map<string, number>> {
  const judged = activity
    .filter((a) => a.pending_tasks > 0 && (a.heartbeat_interval_ms ?? 0) > 0)
    .slice(0, MAX_GROUP_LOOKUPS);
  const stored = new Map<string, number>();
  await Promise.all(
    judged.map(async (a) => {
      const asked = Date.now();
      const lag = await kafka.groupLag(processorsGroupId, queueTopic(a.agent));
      if (lag !== undefined && lag.lag === 0)
        stored.set(a.agent, (lag.fetched_at_ms ?? asked - 1_000) - PRODUCE_MARGIN_MS);
    }),
  );
  return stored;
}

/** Lag samples of the agents' own groups in the window, per partition, oldest first. */
export async function fetchLagSeries(reader: ClickHouseReader, w: DiagnosisWindow): Promise<LagSeriesFact[]> {
  const rows = await reader.query<{
    group_id: string;
    topic: string;
    partition: number;
    points: [number | string, number | string, number | string, number | string][];
  }>(`
    SELECT group_id, topic, partition,
           arraySort(x -> tupleElement(x, 1), groupUniqArray((sampled_at_ms, end_offset, committed_offset, lag))) AS points
    FROM ${LAG_SAMPLES}
    WHERE ${inWindow('sampled_at_ms', w)} AND group_id LIKE 'agent-%' AND topic LIKE 'agent-queue-%'
    GROUP BY group_id, topic, partition
    LIMIT 10000`);
  return rows.map((r) => ({
    group_id: r.group_id,
    topic: r.topic,
    partition: r.partition,
    points: r.points.map(([at, end, committed, lag]) => ({
      at_ms: num(at),
      end_offset: num(end),
      committed_offset: num(committed),
      lag: num(lag),
    })),
  }));
}
