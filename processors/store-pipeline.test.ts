import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { describe, expect, it } from 'vitest';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { DEAD_LETTERS } from '../lib/tables/dead-letters.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import type { WrittenTable } from '../lib/tables/index.js';
import { sampleTask } from '../schemas/test-support/fixtures.js';
import { Batch, type DeadLetter } from './batch.js';
import { deadLetterFor } from './dead-letter.js';
import { mapAgentMessage } from './mappers.js';
import { StorePipeline, type StoreSteps } from './store-pipeline.js';

const TOPIC = 'agent-queue-coder';

function kafkaMessage(offset: number): KafkaJS.KafkaMessage {
  return {
    key: null,
    value: Buffer.from(`value-${offset}`),
    offset: String(offset),
    timestamp: '1764000000000',
    headers: {},
    size: 10,
    attributes: 0,
  } as unknown as KafkaJS.KafkaMessage;
}

/** A batch of `count` TASK messages with offsets from `first`, each mapped by the real mapper. */
function batchOf(first: number, count: number, id = (offset: number) => `m-${offset}`): Batch {
  const batch = new Batch(0);
  for (let offset = first; offset < first + count; offset++) {
    const rows = mapAgentMessage(sampleTask({ message_id: id(offset), target_agent: 'coder' }), {
      topic: TOPIC,
      partition: 0,
      offset,
      schemaId: 1,
      observedAtMs: 1,
    });
    batch.add(TOPIC, 0, kafkaMessage(offset), { kind: 'rows', rows });
  }
  return batch;
}

function serverError(code: string, retryable = false): TelemetryError {
  return new TelemetryError(
    retryable ? ErrorCode.CLICKHOUSE_UNAVAILABLE : ErrorCode.CLICKHOUSE_QUERY_FAILED,
    `insert: Code: ${code}. DB::Exception: refused`,
    { details: { clickhouseCode: code } },
  );
}

const outage = (): TelemetryError =>
  new TelemetryError(ErrorCode.CLICKHOUSE_UNAVAILABLE, 'insert: connect ECONNREFUSED', {
    details: { systemCode: 'ECONNREFUSED' },
  });

interface Recorder {
  steps: StoreSteps;
  inserted: { table: WrittenTable; ids: string[] }[];
  letters: DeadLetter[][];
  commits: string[][];
  /** Replaces the insert's behaviour: throw to fail, return a promise to hold it. */
  onInsert: (table: WrittenTable, rows: readonly object[]) => Promise<void> | void;
  onCommit: () => Promise<void> | void;
}

function recorder(): Recorder {
  const r: Recorder = {
    inserted: [],
    letters: [],
    commits: [],
    onInsert: () => undefined,
    onCommit: () => undefined,
    steps: {
      insert: async (table, rows) => {
        await r.onInsert(table, rows);
        r.inserted.push({ table, ids: rows.map(idOf) });
      },
      produceDeadLetters: async (letters) => {
        r.letters.push([...letters]);
        await Promise.resolve();
      },
      commit: async (batch) => {
        await r.onCommit();
        r.commits.push(batch.commits().map((c) => `${c.partition}:${c.offset}`));
      },
      rejectedMessage: (source, cause) =>
        deadLetterFor({ ...source, cause: { ...cause, schemaId: -1 }, observedAtMs: 1 }),
    },
  };
  return r;
}

function idOf(row: object): string {
  const values = row as Record<string, string | number | undefined>;
  return String(values.message_id ?? values.task_id ?? values.offset ?? '?');
}

function pipeline(r: Recorder, splitAfterAttempts = 2): { pipe: StorePipeline; stalls: boolean[] } {
  const stalls: boolean[] = [];
  const pipe = new StorePipeline({
    steps: r.steps,
    logger: createLogger({ level: 'silent', component: 'test' }),
    retry: { initialMs: 1, maxMs: 2 },
    splitAfterAttempts,
    onStalled: (stalled) => stalls.push(stalled),
  });
  return { pipe, stalls };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const messageIds = (r: Recorder): string[] =>
  r.inserted.filter((i) => i.table === MESSAGE_LOG).flatMap((i) => i.ids);

describe('StorePipeline', () => {
  it('commits in batch order even when a later batch is inserted first', async () => {
    const r = recorder();
    const slow = deferred();
    r.onInsert = (_table, rows) => (rows.some((row) => idOf(row) === 'm-0') ? slow.promise : undefined);
    const { pipe } = pipeline(r);
    const first = pipe.submit(batchOf(0, 2));
    const second = pipe.submit(batchOf(2, 2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(r.commits).toEqual([]);
    slow.resolve();
    expect(await Promise.all([first, second])).toEqual(['committed', 'committed']);
    expect(r.commits).toEqual([['0:2'], ['0:4']]);
  });

  it('does not commit a batch after one that failed, and dead-letters nothing for a systemic error', async () => {
    const r = recorder();
    r.onInsert = (_table, rows) => {
      if (rows.some((row) => idOf(row) === 'm-0')) throw serverError('60');
    };
    const { pipe } = pipeline(r);
    const outcomes = await Promise.all([pipe.submit(batchOf(0, 1)), pipe.submit(batchOf(1, 1))]);
    expect(outcomes).toEqual(['failed', 'failed']);
    expect(r.commits).toEqual([]);
    expect(r.letters).toEqual([]);
  });

  it('retries an outage until it ends, stalled meanwhile, and inserts each row once', async () => {
    const r = recorder();
    let failures = 0;
    r.onInsert = (table) => {
      if (table === MESSAGE_LOG && failures < 3) {
        failures += 1;
        throw outage();
      }
    };
    const { pipe, stalls } = pipeline(r);
    expect(await pipe.submit(batchOf(0, 4))).toBe('committed');
    expect(stalls).toEqual([true, false]);
    expect(pipe.stalled).toBe(false);
    expect(messageIds(r)).toEqual(['m-0', 'm-1', 'm-2', 'm-3']);
    expect(r.commits).toEqual([['0:4']]);
  });

  it('finds the rows the server refuses, dead-letters their messages and stores the rest', async () => {
    const r = recorder();
    const bad = new Set(['m-3', 'm-6']);
    r.onInsert = (_table, rows) => {
      if (rows.some((row) => bad.has(idOf(row)))) throw serverError('27');
    };
    const { pipe } = pipeline(r);
    expect(await pipe.submit(batchOf(0, 8))).toBe('committed');
    expect(messageIds(r).sort()).toEqual(['m-0', 'm-1', 'm-2', 'm-4', 'm-5', 'm-7']);
    const letters = r.letters.flat();
    expect(letters.map((l) => l.headers['x-dlq-origin-offset'])).toEqual(['3', '6']);
    expect(letters[0]?.headers['x-dlq-error-code']).toBe('CLICKHOUSE_REJECTED');
    expect(String(letters[0]?.headers['x-dlq-error-reason'])).toContain('Code: 27');
    expect(letters[0]?.value).toEqual(Buffer.from('value-3'));
    const deadLetterRows = r.inserted.filter((i) => i.table === DEAD_LETTERS).flatMap((i) => i.ids);
    expect(deadLetterRows.sort()).toEqual(['3', '6']);
    expect(r.commits).toEqual([['0:8']]);
  });

  it('stops instead of dead-lettering when the server refuses every row of a table for one reason', async () => {
    const r = recorder();
    r.onInsert = (table) => {
      if (table === MESSAGE_LOG) throw serverError('999');
    };
    const { pipe } = pipeline(r);
    expect(await pipe.submit(batchOf(0, 4))).toBe('failed');
    expect(r.letters).toEqual([]);
    expect(r.commits).toEqual([]);
  });

  it('splits rows the server cannot take whole (too many partitions) and stores all of them', async () => {
    const r = recorder();
    r.onInsert = (table, rows) => {
      if (table === MESSAGE_LOG && rows.length > 2) throw serverError('252', true);
    };
    const { pipe } = pipeline(r, 2);
    expect(await pipe.submit(batchOf(0, 7))).toBe('committed');
    expect(messageIds(r).sort()).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6']);
    expect(r.letters).toEqual([]);
  });

  it('keeps retrying a single row under overload instead of dead-lettering it', async () => {
    const r = recorder();
    let failures = 0;
    r.onInsert = (table) => {
      if (table === MESSAGE_LOG && failures < 5) {
        failures += 1;
        throw serverError('241', true);
      }
    };
    const { pipe } = pipeline(r, 2);
    expect(await pipe.submit(batchOf(0, 1))).toBe('committed');
    expect(failures).toBe(5);
    expect(r.letters).toEqual([]);
    expect(messageIds(r)).toEqual(['m-0']);
  });

  it('abandons the stores in flight: no dead letters, no commit, even when their insert ends later', async () => {
    const r = recorder();
    const held = deferred();
    r.onInsert = (_table, rows) => (rows.some((row) => idOf(row) === 'm-0') ? held.promise : undefined);
    const { pipe } = pipeline(r);
    const poison = batchOf(0, 2);
    poison.deadLetters.push({ key: null, value: null, headers: {} });
    const old = pipe.submit(poison);
    const chained = pipe.submit(batchOf(2, 1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pipe.abandon()).toBe(3);
    expect(pipe.inFlight).toBe(0);
    expect(pipe.messagesInFlight).toBe(3);
    // a batch of the next assignment starts a new chain and commits on its own
    expect(await pipe.submit(batchOf(10, 1))).toBe('committed');
    held.resolve();
    expect(await Promise.all([old, chained])).toEqual(['abandoned', 'abandoned']);
    expect(r.commits).toEqual([['0:11']]);
    expect(r.letters).toEqual([]);
  });

  it('produces dead letters once when the commit after them is retried', async () => {
    const r = recorder();
    let commitFailures = 0;
    r.onCommit = () => {
      if (commitFailures < 2) {
        commitFailures += 1;
        throw new TelemetryError(ErrorCode.KAFKA_UNAVAILABLE, 'coordinator moving');
      }
    };
    const { pipe } = pipeline(r);
    const batch = batchOf(0, 1);
    batch.deadLetters.push({ key: null, value: Buffer.from('poison'), headers: {} });
    expect(await pipe.submit(batch)).toBe('committed');
    expect(r.letters).toHaveLength(1);
    expect(r.commits).toEqual([['0:1']]);
  });

  it('ends stores that wait out an outage as failed when closed, committing nothing', async () => {
    const r = recorder();
    r.onInsert = () => {
      throw outage();
    };
    const { pipe } = pipeline(r);
    const outcome = pipe.submit(batchOf(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    pipe.close();
    expect(await outcome).toBe('failed');
    expect(r.commits).toEqual([]);
  });

  it('drains to the outcome of the last batch; counts what is in flight', async () => {
    const r = recorder();
    const held = deferred();
    r.onInsert = () => held.promise;
    const { pipe } = pipeline(r);
    expect(await pipe.drain()).toBe('committed');
    const batch = batchOf(0, 3);
    void pipe.submit(batch);
    expect(pipe.inFlight).toBe(1);
    expect(pipe.messagesInFlight).toBe(3);
    expect(pipe.bytesInFlight).toBe(batch.bytes);
    held.resolve();
    expect(await pipe.drain()).toBe('committed');
    expect(pipe.inFlight).toBe(0);
  });
});
