import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { DeadLetterRow } from '../lib/tables/dead-letters.js';
import { DEAD_LETTERS } from '../lib/tables/dead-letters.js';
import { emptyTableRows, WRITTEN_TABLES, type TableRows, type WrittenTable } from '../lib/tables/index.js';

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

/** What the intake made of one message: its rows, or a dead letter (with its `dead_letters` row). */
export type Taken =
  { kind: 'rows'; rows: TableRows } | { kind: 'dead-letter'; record: DeadLetter; row: DeadLetterRow };

/** A message taken into a batch, kept until the batch is committed (a row ClickHouse refuses is dead-lettered with it). */
export interface SourceMessage {
  topic: string;
  partition: number;
  message: KafkaJS.KafkaMessage;
}

/**
 * Memory a buffered message holds, estimated from its size: the raw key and value (kept for a dead
 * letter), the decoded strings in its rows, and its share of the encoded insert body, plus a fixed
 * overhead for the objects themselves. An estimate, made to bound memory in bytes rather than in
 * messages: a message of 1 MB weighs a thousand of 1 KB.
 */
export function messageBytes(message: KafkaJS.KafkaMessage): number {
  return 3 * ((message.value?.length ?? 0) + (message.key?.length ?? 0)) + 512;
}

function perTable<V>(make: () => V): { [T in WrittenTable]: V } {
  return Object.fromEntries(WRITTEN_TABLES.map((table) => [table, make()])) as { [T in WrittenTable]: V };
}

/**
 * One batch in the making: the rows of every message taken so far (each row remembers its message),
 * the dead letters, and per partition the last offset taken. Messages of one partition arrive in
 * order, so committing `offset + 1` after the batch is stored covers exactly the messages in it.
 */
export class Batch {
  readonly rows: TableRows = emptyTableRows();
  /** Per table, the index in `sources` of the message each row came from. */
  readonly rowSources: { [T in WrittenTable]: number[] } = perTable(() => []);
  readonly deadLetters: DeadLetter[] = [];
  readonly sources: SourceMessage[] = [];
  readonly offsets = new Map<string, PartitionOffset>();
  messages = 0;
  bytes = 0;
  readonly startedAtMs: number;

  constructor(nowMs: number) {
    this.startedAtMs = nowMs;
  }

  /** Adds what the intake made of a message; the message's offset is covered by this batch's commit. */
  add(topic: string, partition: number, message: KafkaJS.KafkaMessage, taken: Taken): void {
    const index = this.sources.length;
    this.sources.push({ topic, partition, message });
    if (taken.kind === 'rows') {
      for (const table of WRITTEN_TABLES) {
        const rows = taken.rows[table];
        if (rows.length === 0) continue;
        const into = this.rows[table] as object[];
        const sources = this.rowSources[table];
        for (const row of rows) {
          into.push(row);
          sources.push(index);
        }
      }
    } else {
      this.deadLetters.push(taken.record);
      this.rows[DEAD_LETTERS].push(taken.row);
      this.rowSources[DEAD_LETTERS].push(index);
    }
    this.#take(topic, partition, Number(message.offset));
    this.bytes += messageBytes(message);
  }

  #take(topic: string, partition: number, offset: number): void {
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
}
