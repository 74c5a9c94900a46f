import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import {
  insertTaskEvents,
  PRIORITY_RANK,
  queryTasks,
  resolutionEvent,
  type TaskEventRow,
} from '../../lib/tables/task-lifecycle.js';
import {
  createMigratedTestDatabase,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { Priority } from '../../schemas/records.js';
import { ReadCache } from './cache.js';
import { ErrorsReadModel } from './errors.js';
import { MessagesReadModel } from './messages.js';
import { TasksReadModel, type PendingFilter } from './tasks.js';

/**
 * Pending lists narrowed by priority or age, answered from the shared overview when it holds them:
 * the same tasks, in the same order, as the query of their own, on real ClickHouse, with one
 * agent's list cut (more pending tasks than the overview keeps per agent) and one whole.
 */
let db: TestDatabase;
const token = `pn${uniqueToken()}`;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const busy = `${token}-busy`;
const quiet = `${token}-quiet`;
const PRIORITIES = Object.values(Priority);

function task(agent: string, n: number, submittedAtMs: number, priority: Priority): TaskEventRow {
  return {
    agent,
    task_id: `${agent}-t${String(n).padStart(4, '0')}`,
    has_task: 1,
    requester: 'boss',
    target: agent,
    priority: PRIORITY_RANK[priority],
    attempt: 1,
    max_retries: 2,
    submitted_at_ms: submittedAtMs,
    expires_at_ms: 0,
    deadline_ms: 0,
    trace_id: `${token}-tr${n}`,
    job_id: '',
    resolved_key: 0,
    resolved_by: '',
    observed_at_ms: submittedAtMs,
  };
}

/** Queries each call sends, to tell an answer from the overview from one with a query of its own. */
function counting(reader: ClickHouseReader): { reader: ClickHouseReader; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    reader: {
      query: <T>(sql: string): Promise<T[]> => {
        sent.push(sql);
        return reader.query<T>(sql);
      },
    },
  };
}

beforeAll(async () => {
  db = await createMigratedTestDatabase('pending_narrowed');
  const rows: TaskEventRow[] = [];
  // 800 pending tasks of the busy agent (the overview keeps 500), 150 of the quiet one; a task in
  // seven is resolved; times repeat, so that ties are decided by id
  for (let n = 0; n < 950; n++) {
    const agent = n < 800 ? busy : quiet;
    const at = NOW - 3_600_000 + Math.floor(n / 3) * 7_000 - (n % 5) * 11_000;
    const row = task(agent, n, at, PRIORITIES[(n * 7) % PRIORITIES.length] ?? Priority.NORMAL);
    rows.push(row);
    if (n % 7 === 3) {
      rows.push(
        resolutionEvent({
          agent,
          taskId: row.task_id,
          resolvedAtMs: at + 5_000,
          resolution: 'completed',
          resolvedBy: `${row.task_id}-r`,
          observedAtMs: at + 5_000,
        }),
      );
    }
  }
  await insertTaskEvents(db.access, rows);
});

afterAll(async () => {
  await db.drop();
});

describe('a pending list narrowed by priority or age', () => {
  it('is what its own query answers, from the overview whenever the overview holds it', async () => {
    const { reader, sent } = counting(db.access);
    const cache = new ReadCache({ ttlMs: 0 });
    const now = (): number => NOW;
    const tasks = new TasksReadModel(
      reader,
      new MessagesReadModel(reader, cache, now),
      new ErrorsReadModel(reader, now, cache),
      now,
      cache,
    );
    let fromOverview = 0;
    let ownQuery = 0;
    for (const agent of [undefined, busy, quiet]) {
      for (const minPriority of [undefined, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]) {
        for (const minAgeSeconds of [undefined, 600, 2_400]) {
          if (minPriority === undefined && minAgeSeconds === undefined) continue;
          for (const limit of [1, 20, 200, 500]) {
            const filter: PendingFilter = { agent, minPriority, minAgeSeconds, limit };
            sent.length = 0;
            const got = await tasks.pending(filter);
            if (sent.length === 1) fromOverview++;
            else ownQuery++;
            const expected = await queryTasks(db.access, {
              ...(agent === undefined ? {} : { agent }),
              states: ['pending'],
              ...(minPriority === undefined ? {} : { minPriorityRank: PRIORITY_RANK[minPriority] }),
              ...(minAgeSeconds === undefined ? {} : { submittedBeforeMs: NOW - minAgeSeconds * 1000 }),
              nowMs: NOW,
              limit,
            });
            expect(
              got.map((t) => `${t.agent_name}/${t.task_id}`),
              JSON.stringify(filter),
            ).toEqual(expected.map((t) => `${t.agent}/${t.task_id}`));
          }
        }
      }
    }
    // both ways were taken: the quiet agent's whole list and short lists come from the overview,
    // long lists past the busy agent's cut from a query of their own
    expect(fromOverview).toBeGreaterThan(30);
    expect(ownQuery).toBeGreaterThan(5);
  });
});
