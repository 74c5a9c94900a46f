import { describe, expect, it } from 'vitest';
import { ReadCache } from './cache.js';
import { ErrorsReadModel } from './errors.js';
import { MessagesReadModel } from './messages.js';
import { narrowedFromOverview, TasksReadModel } from './tasks.js';
import type { TaskStateRow } from '../../lib/tables/task-lifecycle.js';
import { scriptedReader } from './test-support/scripted-reader.js';

const NOW = 1_800_000_000_000;

const message = (id: string, type: string, target: string, parent = '') => ({
  message_id: id,
  message_type: type,
  source_agent: 'boss',
  target_agent: target,
  parent_message_id: parent,
  priority: 'normal',
  payload: '{}',
  trace_id: 'tr',
  sent_at_ms: String(NOW - 1_000),
});

const state = {
  task_id: 't1',
  agent: 'coder',
  requester: 'boss',
  priority: 'normal',
  attempt: 1,
  max_retries: 3,
  submitted_at_ms: String(NOW - 1_000),
  expires_at_ms: '0',
  deadline_ms: '0',
  trace_id: 'tr',
  job_id: '',
  state: 'pending',
  resolved_at_ms: '0',
  latency_ms: '-1',
  resolved_by: '',
};

function model(results: unknown[][]) {
  const { reader, sql } = scriptedReader(results);
  const cache = new ReadCache({ ttlMs: 0 });
  const now = () => NOW;
  const messages = new MessagesReadModel(reader, cache, now);
  const errors = new ErrorsReadModel(reader, now, cache);
  return { tasks: new TasksReadModel(reader, messages, errors, now, cache), sql };
}

describe("a task's history", () => {
  it('reads the task under the agent its TASK went to, after the messages', async () => {
    const { tasks, sql } = model([
      [message('t1', 'task', 'coder'), message('r1', 'result', 'boss', 't1')],
      [],
      [state],
    ]);
    const history = await tasks.history('t1');
    expect(history?.states.map((s) => s.agent_name)).toEqual(['coder']);
    expect(history?.messages.map((m) => m.message_id)).toEqual(['t1', 'r1']);
    expect(sql[2]).toContain("agent IN ('coder')");
    expect(sql[2]).toContain("task_id IN ('t1')");
  });

  it('reads it by id alone when no TASK is stored, or none of its rows is under that agent', async () => {
    const unstored = model([[message('r1', 'result', 'boss', 't1')], [], [state]]);
    expect((await unstored.tasks.history('t1'))?.states).toHaveLength(1);
    expect(unstored.sql).toHaveLength(3);
    expect(unstored.sql[2]).not.toContain('agent IN');

    const elsewhere = model([[message('t1', 'task', 'writer')], [], [], [state]]);
    expect((await elsewhere.tasks.history('t1'))?.states.map((s) => s.agent_name)).toEqual(['coder']);
    expect(elsewhere.sql).toHaveLength(4);
    expect(elsewhere.sql[2]).toContain("agent IN ('writer')");
    expect(elsewhere.sql[3]).not.toContain('agent IN');
  });

  it('is undefined for an id nothing mentions', async () => {
    const { tasks } = model([[], [], []]);
    expect(await tasks.history('t9')).toBeUndefined();
  });
});

/** A pending task of the overview: `agent`, id, seconds before NOW it was submitted, priority. */
function pendingTask(
  agent: string,
  id: string,
  agoSeconds: number,
  priority: TaskStateRow['priority'],
): TaskStateRow {
  return {
    ...state,
    agent,
    task_id: id,
    priority,
    state: 'pending',
    submitted_at_ms: NOW - agoSeconds * 1000,
    expires_at_ms: 0,
    deadline_ms: 0,
    resolved_at_ms: 0,
    latency_ms: -1,
  };
}

describe('a narrowed pending list from the overview', () => {
  // coder: 4 pending, 2 listed (cut); writer: 2 pending, both listed
  const oldest = [
    pendingTask('coder', 'c1', 100, 'low'),
    pendingTask('writer', 'w1', 90, 'high'),
    pendingTask('coder', 'c2', 80, 'high'),
    pendingTask('writer', 'w2', 70, 'low'),
  ];
  const overview = {
    oldest,
    counts: new Map([
      ['coder', 4],
      ['writer', 2],
    ]),
  };
  const high = (task: TaskStateRow): boolean => task.priority === 'high';
  const ids = (rows: TaskStateRow[] | undefined) => rows?.map((row) => row.task_id);

  it('answers when no list in scope is cut, full or not', () => {
    expect(ids(narrowedFromOverview(overview, 'writer', high, 5))).toEqual(['w1']);
    expect(ids(narrowedFromOverview(overview, 'writer', () => true, 1))).toEqual(['w1']);
  });

  it('answers from a cut list only up to before its last listed task', () => {
    // full, and w1 (90 s ago) was submitted before the coder's last listed task (c2, 80 s ago)
    expect(ids(narrowedFromOverview(overview, undefined, high, 1))).toEqual(['w1']);
    // the coder's unlisted tasks were submitted 80 s ago or later: they may be high too
    expect(narrowedFromOverview(overview, undefined, high, 2)).toBeUndefined();
    expect(narrowedFromOverview(overview, 'coder', high, 1)).toBeUndefined();
    // not full: what the cut leaves out could belong in it
    expect(narrowedFromOverview(overview, undefined, () => false, 1)).toBeUndefined();
  });

  it('is what TasksReadModel.pending answers without a query of its own, and asks one when it cannot', async () => {
    const overviewRows = [
      {
        agent: 'coder',
        pending: 4,
        oldest: [
          ['c1', 'boss', 'low', 1, 3, NOW - 100_000, 0, 0, 'tr', ''],
          ['c2', 'boss', 'high', 1, 3, NOW - 80_000, 0, 0, 'tr', ''],
        ],
      },
      {
        agent: 'writer',
        pending: 2,
        oldest: [
          ['w1', 'boss', 'high', 1, 3, NOW - 90_000, 0, 0, 'tr', ''],
          ['w2', 'boss', 'low', 1, 3, NOW - 70_000, 0, 0, 'tr', ''],
        ],
      },
    ];
    const answered = model([overviewRows, overviewRows]);
    const one = await answered.tasks.pending({ minPriority: 'high', limit: 1 });
    expect(one.map((task) => task.task_id)).toEqual(['w1']);
    const aged = await answered.tasks.pending({ agent: 'writer', minAgeSeconds: 75, limit: 10 });
    expect(aged.map((task) => task.task_id)).toEqual(['w1']);
    // the cache is off in this model: each call reads the overview again, and nothing else
    expect(answered.sql).toHaveLength(2);
    expect(answered.sql.every((text) => text.includes('count() AS pending'))).toBe(true);

    const asked = model([overviewRows, [{ ...state, task_id: 'c3', priority: 'high' }]]);
    const two = await asked.tasks.pending({ agent: 'coder', minPriority: 'high', limit: 1 });
    expect(two.map((task) => task.task_id)).toEqual(['c3']);
    expect(asked.sql).toHaveLength(2);
    expect(asked.sql[1]).toContain('priority_rank >= 3');
  });
});
