import { describe, expect, it } from 'vitest';
import { anchor, cell, code, page, plain, table } from './markdown.js';

describe('markdown', () => {
  it('keeps a table intact whatever the cell holds', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(cell(undefined)).toBe('');
    expect(table(['x', 'y'], [[cell('1'), cell('a|b')]])).toBe('| x | y |\n| --- | --- |\n| 1 | a\\|b |');
  });

  it('keeps placeholders such as <agent> visible', () => {
    expect(plain('agent-queue-<agent>')).toBe('agent-queue-&lt;agent>');
  });

  it('links a heading by the anchor GitHub gives it', () => {
    expect(anchor('`GET /api/v1/tasks/{task_id}`')).toBe('get-apiv1taskstask_id');
    expect(anchor('`Queue` (type)')).toBe('queue-type');
  });

  it('quotes code that holds backticks', () => {
    expect(code('a`b')).toBe('`` a`b ``');
    expect(code('ab')).toBe('`ab`');
  });

  it('puts the banner first and ends with one newline', () => {
    const text = page('lib/x.ts', 'Title', ['body']);
    expect(text.startsWith('<!-- Generated from lib/x.ts')).toBe(true);
    expect(text.endsWith('body\n')).toBe(true);
  });
});
