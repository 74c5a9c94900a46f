import { ERRORS_TOPIC } from '../schemas/topics.js';
import type { ClickHouseExecutor, ClickHouseReader, ClickHouseWriter } from '../lib/clickhouse.js';
import { type Admin, toKafkaTelemetryError } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { quoteString } from '../lib/sql.js';
import { LAG_SAMPLES, type LagSampleRow, insertLagSamples } from '../lib/tables/lag-samples.js';
import type { ProcessorMetrics } from './metrics.js';

const GROUP_STATES = [
  'unknown',
  'preparing_rebalance',
  'completing_rebalance',
  'stable',
  'dead',
  'empty',
] as const;

export interface LagSamplerOptions {
  admin: Admin;
  clickhouse: ClickHouseWriter & ClickHouseReader & ClickHouseExecutor;
  logger: Logger;
  metrics: ProcessorMetrics;
  /** The processors' own group, whose lag is also exported as a metric. */
  ownGroupId: string;
  /** Agent queue topics sampled besides the errors topic. */
  queueTopicPattern: RegExp;
  intervalMs: number;
  retentionDays: number;
  now?: () => number;
}

/**
 * Samples, every interval, the end offset of every agent queue and of the errors topic, and the
 * committed offset of every consumer group that has one there: the history Burrow's rules evaluate
 * (a group is late when its committed offset falls behind while the end offset moves). Timestamps are
 * rounded to the interval, so two processors sampling at once write the same rows.
 */
export class LagSampler {
  readonly #o: LagSamplerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #lastPruneDay = '';

  constructor(options: LagSamplerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'lag-sampler' });
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.sampleOnce()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.#log.warn({ err: error }, 'lag sample failed; trying again next interval');
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Takes one sample of every group on every observed topic and stores it. Returns the rows. */
  async sampleOnce(): Promise<LagSampleRow[]> {
    const sampledAt = Math.floor(this.#now() / this.#o.intervalMs) * this.#o.intervalMs;
    const { admin } = this.#o;
    let rows: LagSampleRow[];
    try {
      const topics = (await admin.listTopics()).filter(
        (t) => this.#o.queueTopicPattern.test(t) || t === ERRORS_TOPIC,
      );
      if (topics.length === 0) return [];
      const ends = new Map<string, number>();
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}\u0000${p.partition}`, Number(p.high));
      }
      const { groups } = await admin.listGroups();
      const groupIds = groups
        .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
        .map((g) => g.groupId);
      const described =
        groupIds.length === 0
          ? []
          : (await admin.describeGroups(groupIds)).groups.filter((g) => g.error === undefined);
      rows = [];
      for (const group of described) {
        const offsets = await admin.fetchOffsets({ groupId: group.groupId, topics });
        for (const { topic, partitions } of offsets) {
          for (const p of partitions) {
            const committed = Number(p.offset);
            const end = ends.get(`${topic}\u0000${p.partition}`);
            if (end === undefined || committed < 0) continue; // the group never committed here
            rows.push({
              group_id: group.groupId,
              topic,
              partition: p.partition,
              sampled_at_ms: sampledAt,
              end_offset: end,
              committed_offset: committed,
              lag: Math.max(0, end - committed),
              members: group.members.length,
              group_state: GROUP_STATES[group.state],
            });
          }
        }
      }
    } catch (error) {
      throw toKafkaTelemetryError(error, 'sampling consumer lag');
    }
    for (const row of rows) {
      if (row.group_id === this.#o.ownGroupId) {
        this.#o.metrics.lag.set({ topic: row.topic, partition: String(row.partition) }, row.lag);
      }
    }
    await insertLagSamples(this.#o.clickhouse, rows);
    await this.#prune(sampledAt);
    return rows;
  }

  /** Drops whole days older than the retention, once a day (ClickHouse 18.16 has no TTL). */
  async #prune(nowMs: number): Promise<void> {
    const today = new Date(nowMs).toISOString().slice(0, 10);
    if (today === this.#lastPruneDay) return;
    const cutoff = new Date(nowMs - this.#o.retentionDays * 86_400_000).toISOString().slice(0, 10);
    const parts = await this.#o.clickhouse.query<{ partition: string }>(
      `SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = ${quoteString(LAG_SAMPLES)} AND active`,
    );
    for (const { partition } of parts) {
      const day = partition.replace(/^'|'$/g, '');
      if (day < cutoff) {
        await this.#o.clickhouse.command(`ALTER TABLE ${LAG_SAMPLES} DROP PARTITION ${quoteString(day)}`);
        this.#log.info({ day }, 'dropped old lag samples');
      }
    }
    this.#lastPruneDay = today;
  }
}
