import type { ClickHouseReader } from '../../lib/clickhouse.js';
import type { Logger } from '../../lib/logger.js';
import { quoteNumber, quoteString } from '../../lib/sql.js';
import { LAG_SAMPLES } from '../../lib/tables/lag-samples.js';
import { queueTopic } from '../../schemas/topics.js';
import type { GroupLag, KafkaView } from '../kafka-view.js';
import {
  evaluateConsumer,
  evaluatePartition,
  WINDOW_SAMPLES,
  type LagSample,
  type LagStatus,
  type PartitionStatus,
} from './lag-status.js';
import { cacheKey, type ReadCache } from './cache.js';
import type { MessagesReadModel } from './messages.js';
import type { TasksReadModel } from './tasks.js';
import { isoTime } from './shapes.js';

export interface QueuePartition {
  partition: number;
  end_offset: number;
  committed_offset: number;
  lag: number;
  status: PartitionStatus;
}

export interface QueueView {
  agent_name: string;
  queue_topic: string;
  /** The agent's own consumer group, whose lag this is. */
  consumer_group: string;
  /** Messages on the topic the agent's group has not consumed (Kafka admin API, live). */
  lag: number | null;
  /** `kafka` (live) or `lag_samples` (the latest sample, when Kafka could not be asked). */
  lag_source: 'kafka' | 'lag_samples' | 'none';
  /** Burrow's consumer status over the latest lag samples: OK, WARN or ERR. */
  lag_status: LagStatus;
  /** The worst partition status: OK, WARN, STOP, STALL or REWIND. */
  lag_partition_status: PartitionStatus;
  partitions: QueuePartition[];
  consumer_members: number | null;
  total_messages: number;
  pending_tasks: number;
  oldest_pending_task_id: string | null;
  oldest_pending_submitted_at: string | null;
  oldest_pending_age_seconds: number | null;
}

export function agentGroup(agent: string): string {
  return `agent-${agent}`;
}

/** Per-agent queues: live lag from Kafka, Burrow's status from `lag_samples`, pending tasks, totals. */
export class QueuesReadModel {
  readonly #reader: ClickHouseReader;
  readonly #kafka: KafkaView;
  readonly #messages: MessagesReadModel;
  readonly #tasks: TasksReadModel;
  readonly #configuredAgents: readonly string[];
  readonly #sampleIntervalMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #cache: ReadCache;

  constructor(options: {
    reader: ClickHouseReader;
    kafka: KafkaView;
    messages: MessagesReadModel;
    tasks: TasksReadModel;
    agents: readonly string[];
    sampleIntervalMs: number;
    logger: Logger;
    now: () => number;
    cache: ReadCache;
  }) {
    this.#cache = options.cache;
    this.#reader = options.reader;
    this.#kafka = options.kafka;
    this.#messages = options.messages;
    this.#tasks = options.tasks;
    this.#configuredAgents = options.agents;
    this.#sampleIntervalMs = options.sampleIntervalMs;
    this.#logger = options.logger;
    this.#now = options.now;
  }

  /** Every known queue: the configured agents and every agent a message was sent to. */
  async list(): Promise<QueueView[]> {
    const [totals, pending] = await Promise.all([
      this.#messages.totalsByAgent(),
      this.#tasks.pendingByAgent(),
    ]);
    const agents = [...new Set([...this.#configuredAgents, ...totals.keys(), ...pending.keys()])].sort();
    return this.#build(agents, totals, pending);
  }

  /** One agent's queue; `undefined` when the agent is neither configured nor ever seen. */
  async get(agent: string): Promise<QueueView | undefined> {
    // the counts of every agent are one cached answer; asking for one agent alone would be another
    const [totals, pending] = await Promise.all([
      this.#messages.totalsByAgent(),
      this.#tasks.pendingByAgent(),
    ]);
    if (!this.#configuredAgents.includes(agent) && !totals.has(agent) && !pending.has(agent))
      return undefined;
    return (await this.#build([agent], totals, pending))[0];
  }

  async #build(
    agents: readonly string[],
    totals: Map<string, number>,
    pending: Awaited<ReturnType<TasksReadModel['pendingByAgent']>>,
  ): Promise<QueueView[]> {
    const nowMs = this.#now();
    const [samples, live] = await Promise.all([
      this.#samples(agents, nowMs),
      Promise.all(agents.map((agent) => this.#liveLag(agent))),
    ]);
    return agents.map((agent, index) => {
      const topic = queueTopic(agent);
      const group = agentGroup(agent);
      const byPartition = samples.get(`${group}\u0000${topic}`) ?? new Map<number, LagSample[]>();
      const statuses = new Map([...byPartition].map(([p, list]) => [p, evaluatePartition(list, nowMs)]));
      const consumer = evaluateConsumer([...statuses.values()]);
      const kafka = live[index];
      const latest = [...byPartition.values()]
        .map((list) => list[list.length - 1])
        .filter((s): s is LagSample => s !== undefined);
      const partitions: QueuePartition[] =
        kafka !== undefined
          ? kafka.partitions.map((p) => ({ ...p, status: statuses.get(p.partition) ?? 'OK' }))
          : [...byPartition].map(([partition, list]) => {
              const last = list[list.length - 1];
              return {
                partition,
                end_offset: (last?.committed_offset ?? 0) + (last?.lag ?? 0),
                committed_offset: last?.committed_offset ?? -1,
                lag: last?.lag ?? 0,
                status: statuses.get(partition) ?? 'OK',
              };
            });
      const waiting = pending.get(agent);
      return {
        agent_name: agent,
        queue_topic: topic,
        consumer_group: group,
        lag:
          kafka !== undefined ? kafka.lag : latest.length > 0 ? latest.reduce((n, s) => n + s.lag, 0) : null,
        lag_source: kafka !== undefined ? 'kafka' : latest.length > 0 ? 'lag_samples' : 'none',
        lag_status: consumer.status,
        lag_partition_status: consumer.worst,
        partitions,
        consumer_members: kafka?.members ?? null,
        total_messages: totals.get(agent) ?? 0,
        pending_tasks: waiting?.pending ?? 0,
        oldest_pending_task_id: waiting?.oldestTaskId ?? null,
        oldest_pending_submitted_at: waiting?.oldestMs == null ? null : isoTime(waiting.oldestMs),
        oldest_pending_age_seconds:
          waiting?.oldestMs == null ? null : Math.max(0, Math.round((nowMs - waiting.oldestMs) / 1000)),
      };
    });
  }

  /**
   * Live lag (through the read cache, as the other whole-system views), or `undefined` when Kafka
   * cannot answer (the samples stand in) or the topic is absent.
   */
  async #liveLag(agent: string): Promise<GroupLag | undefined> {
    try {
      return await this.#cache.get(cacheKey('queues.liveLag', agent), () =>
        this.#kafka.groupLag(agentGroup(agent), queueTopic(agent)),
      );
    } catch (error) {
      this.#logger.warn({ err: error, agent }, 'live lag unavailable: using the latest lag samples');
      return undefined;
    }
  }

  /** The latest window of samples per group, topic and partition, oldest first (through the cache). */
  #samples(agents: readonly string[], nowMs: number): Promise<Map<string, Map<number, LagSample[]>>> {
    return this.#cache.get(cacheKey('queues.samples', agents), () => this.#loadSamples(agents, nowMs));
  }

  async #loadSamples(
    agents: readonly string[],
    nowMs: number,
  ): Promise<Map<string, Map<number, LagSample[]>>> {
    const out = new Map<string, Map<number, LagSample[]>>();
    if (agents.length === 0) return out;
    // twice Burrow's window, so that a late or missed sample still leaves a full window
    const since = nowMs - this.#sampleIntervalMs * WINDOW_SAMPLES * 2;
    const rows = await this.#reader.query<{
      group_id: string;
      topic: string;
      partition: number;
      sampled_at_ms: string | number;
      committed_offset: string | number;
      lag: string | number;
      members: string | number;
    }>(`
      SELECT group_id, topic, partition, sampled_at_ms, committed_offset, lag, members FROM ${LAG_SAMPLES} FINAL
      WHERE group_id IN (${agents.map((a) => quoteString(agentGroup(a))).join(', ')})
        AND topic IN (${agents.map((a) => quoteString(queueTopic(a))).join(', ')})
        AND sampled_at_ms >= ${quoteNumber(since)}
      ORDER BY group_id, topic, partition, sampled_at_ms`);
    for (const row of rows) {
      const key = `${row.group_id}\u0000${row.topic}`;
      const partitions = out.get(key) ?? new Map<number, LagSample[]>();
      const list = partitions.get(row.partition) ?? [];
      list.push({
        sampled_at_ms: Number(row.sampled_at_ms),
        committed_offset: Number(row.committed_offset),
        lag: Number(row.lag),
        members: Number(row.members),
      });
      partitions.set(row.partition, list);
      out.set(key, partitions);
    }
    return out;
  }
}
