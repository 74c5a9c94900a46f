import { describe, expect, it } from 'vitest';
import { blankLiterals, checkReadOnly } from './sql-query.js';
import { ToolFailure } from './tool-kit.js';

describe('the read-only statement check', () => {
  it.each([
    ['SELECT 1', 'SELECT'],
    ['  with x AS (SELECT 1) SELECT * FROM x;', 'WITH'],
    ['SHOW TABLES', 'SHOW'],
    ['DESCRIBE TABLE task_state', 'DESCRIBE'],
    ["SELECT 'a; DROP TABLE x' AS s -- ; INSERT\n", 'SELECT'],
    ['(SELECT 1)', 'SELECT'],
  ])('lets %j through', (sql, keyword) => {
    expect(checkReadOnly(sql).keyword).toBe(keyword);
  });

  it.each([
    ["INSERT INTO error_facts (error_id) VALUES ('x')", /read-only/],
    ['DROP TABLE message_log', /read-only/],
    ['ALTER TABLE error_facts DELETE WHERE 1', /read-only/],
    ['SET readonly = 0', /read-only/],
    ['/* SELECT */ TRUNCATE TABLE x', /read-only/],
    ['SELECT 1; DROP TABLE message_log', /one statement/],
    ["SELECT * FROM numbers(3) INTO OUTFILE '/tmp/x'", /OUTFILE/],
    ['SELECT 1 FORMAT TSV', /FORMAT/],
    ['SELECT 1 SETTINGS readonly = 0', /SETTINGS/],
    ['', /read-only/],
  ])('refuses %j', (sql, message) => {
    expect(() => checkReadOnly(sql)).toThrow(ToolFailure);
    expect(() => checkReadOnly(sql)).toThrow(message);
  });

  it('blanks literals, quoted names and comments, keeping positions', () => {
    const sql = "SELECT 'it''s; ok', `a;b`, \"c\" -- x; y\nFROM t /* ; */";
    const blank = blankLiterals(sql);
    expect(blank.length).toBe(sql.length);
    expect(blank).not.toContain(';');
    expect(blank).toMatch(/^SELECT '.*FROM t/s);
  });
});
