import { describe, expect, it } from 'vitest';
import { scriptedReader } from './test-support/scripted-reader.js';
import { ReadCache } from './cache.js';
import { MessagesReadModel } from './messages.js';

const row = (id: string) => ({
  message_id: id,
  message_type: 'task',
  source_agent: 'boss',
  target_agent: 'coder',
  priority: 'normal',
  payload: '{}',
  trace_id: 'tr',
  sent_at_ms: '1800000000000',
});

describe('TASK messages of pending tasks', () => {
  it('are read by their keys, in the tasks’ order, and by id only where a key finds nothing', async () => {
    const { reader, sql } = scriptedReader([[row('t2'), row('t1')], [row('t3')]]);
    const model = new MessagesReadModel(reader, new ReadCache({ ttlMs: 0 }), () => 0);
    const tasks = [
      { task_id: 't1', trace_id: 'tr', submitted_at: '2027-01-15T08:00:00.000Z' },
      { task_id: 't3', trace_id: null, submitted_at: '2027-01-15T08:00:00.005Z' },
      { task_id: 't2', trace_id: 'tr', submitted_at: '2027-01-15T08:00:01.250Z' },
      { task_id: 't4', trace_id: 'tr', submitted_at: '2027-01-15T08:00:02.000Z' },
    ];
    const messages = await model.tasksOf(tasks, 'coder');
    expect(messages.map((m) => m.message_id)).toEqual(['t1', 't3', 't2']);
    expect(sql).toHaveLength(2);
    expect(sql[0]).toContain('FROM messages_by_trace');
    expect(sql[0]).toContain(
      "(trace_id, sent_at_ms, message_id) IN (('tr', 1800000000000, 't1'), ('', 1800000000005, 't3'), ('tr', 1800000001250, 't2'), ('tr', 1800000002000, 't4'))",
    );
    expect(sql[0]).toContain("message_type = 'task' AND target_agent = 'coder'");
    // the two the keys did not find, by id through message_refs
    expect(sql[1]).toContain("FROM message_refs WHERE ref IN ('t3', 't4')");
  });

  it('reads nothing for no tasks', async () => {
    const { reader, sql } = scriptedReader([]);
    const model = new MessagesReadModel(reader, new ReadCache({ ttlMs: 0 }), () => 0);
    expect(await model.tasksOf([], 'coder')).toEqual([]);
    expect(sql).toHaveLength(0);
  });
});
