import { emptyTableRows, WRITTEN_TABLES, type TableRows } from '../lib/tables/index.js';

/** A record bound for agent-telemetry-dlq, produced before the batch's offsets are committed. */
export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The offset of the last message taken into the batch; the commit is this + 1. */
  offset: number;
}

/**
 * One batch in the making: the rows of every message taken so far, the dead letters, and per
 * partition the last offset taken. Messages of one partition arrive in order, so committing
 * `offset + 1` after the batch is stored covers exactly the messages in it.
 */
export class Batch {
  rows: TableRows = emptyTableRows();
  deadLetters: DeadLetter[] = [];
  readonly offsets = new Map<string, PartitionOffset>();
  messages = 0;
  readonly startedAtMs: number;

  constructor(nowMs: number) {
    this.startedAtMs = nowMs;
  }

  take(topic: string, partition: number, offset: number): void {
    const key = `${topic}\u0000${partition}`;
    const current = this.offsets.get(key);
    if (current === undefined) this.offsets.set(key, { topic, partition, offset });
    else if (offset > current.offset) current.offset = offset;
    this.messages += 1;
  }

  rowCount(): number {
    return WRITTEN_TABLES.reduce((sum, table) => sum + this.rows[table].length, 0);
  }

  /** Offsets to commit once the batch is stored: the next offset to read, per partition. */
  commits(): { topic: string; partition: number; offset: string }[] {
    return [...this.offsets.values()].map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: String(offset + 1),
    }));
  }

  /** Drops everything taken from the given partitions (they were revoked before the batch was stored). */
  forgetPartitions(partitions: readonly { topic: string; partition: number }[]): void {
    for (const { topic, partition } of partitions) this.offsets.delete(`${topic}\u0000${partition}`);
  }
}
