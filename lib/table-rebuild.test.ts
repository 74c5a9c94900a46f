import { describe, expect, it } from 'vitest';
import { insertInto, viewInto } from './table-rebuild.js';

describe('the statements a rebuild waits for', () => {
  it('are inserts into the table or a source of its views, under any database name', () => {
    const into = insertInto(['task_lifecycle', 'task_events']);
    for (const sql of [
      'INSERT INTO task_events FORMAT JSONEachRow',
      '  insert into task_lifecycle(agent) VALUES',
      'INSERT INTO agent_telemetry.task_events FORMAT JSONEachRow',
      'INSERT INTO `agent-telemetry`.`task_events` FORMAT JSONEachRow',
      'INSERT INTO "agent-telemetry".task_lifecycle SELECT * FROM x',
    ]) {
      expect(into.test(sql), sql).toBe(true);
    }
    for (const sql of [
      'INSERT INTO task_events_old FORMAT JSONEachRow',
      'INSERT INTO message_log FORMAT JSONEachRow',
      'SELECT * FROM task_events',
      'INSERT INTO x SELECT * FROM task_events',
    ]) {
      expect(into.test(sql), sql).toBe(false);
    }
  });

  it('find the views that write into the table, as 18.16 and current releases print them', () => {
    const target = viewInto('task_lifecycle');
    expect(
      target.test(
        'CREATE MATERIALIZED VIEW db.task_lifecycle_mv TO db.task_lifecycle ( agent String) AS SELECT',
      ),
    ).toBe(true);
    expect(
      target.test(
        'CREATE MATERIALIZED VIEW `a-b`.task_lifecycle_mv TO `a-b`.task_lifecycle (`agent` String)',
      ),
    ).toBe(true);
    expect(target.test('CREATE MATERIALIZED VIEW db.v TO db.task_lifecycle_copy (x UInt8)')).toBe(false);
    expect(
      target.test('CREATE MATERIALIZED VIEW db.v TO db.other (x UInt8) AS SELECT * FROM db.task_lifecycle '),
    ).toBe(false);
  });
});
