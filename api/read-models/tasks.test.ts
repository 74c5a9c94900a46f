import { describe, expect, it } from 'vitest';
import { ReadCache } from './cache.js';
import { ErrorsReadModel } from './errors.js';
import { MessagesReadModel } from './messages.js';
import { TasksReadModel } from './tasks.js';
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
