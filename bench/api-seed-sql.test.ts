import { describe, expect, it } from 'vitest';
import { parseApiBenchOptions } from './api-options.js';
import {
  BLOCK,
  errorFactsInsert,
  messageLogInsert,
  seedStatements,
  seededMessages,
  type SeedSpec,
} from './api-seed-sql.js';

const spec: SeedSpec = {
  idPrefix: 'tok-s-',
  agents: ['tok-orchestrator', 'tok-researcher', 'tok-writer', 'tok-coder', 'tok-reviewer'],
  messages: 1_000_010,
  errors: 1_000_000,
  nowMs: 1_800_000_000_000,
  spanMs: 3 * 86_400_000,
};

describe('the seeding SQL', () => {
  it('seeds whole conversations only', () => {
    expect(seededMessages(spec)).toBe(1_000_000);
    expect(messageLogInsert(spec)).toContain(`FROM numbers(1000000)`);
    expect(BLOCK).toBe(20);
  });

  it('writes every table the processors write, errors last, each an INSERT … SELECT from numbers()', () => {
    const statements = seedStatements(spec);
    expect(statements.map((s) => s.sql.match(/^INSERT INTO (\w+)/)?.[1])).toEqual([
      'message_log',
      'task_events',
      'task_events',
      'llm_calls',
      'heartbeats',
      'error_facts',
    ]);
    for (const { sql } of statements) expect(sql).toMatch(/FROM numbers\(\d+\)/);
    expect(seedStatements({ ...spec, errors: 0 }).map((s) => s.table)).not.toContain('error_facts');
  });

  it('selects as many values as it names columns', () => {
    for (const { sql } of seedStatements(spec)) {
      const columns = /^INSERT INTO \w+ \(([^)]*)\)/.exec(sql)?.[1]?.split(',') ?? [];
      const select = sql.slice(sql.indexOf('SELECT') + 'SELECT'.length, sql.indexOf('\nFROM'));
      expect(topLevelCommas(select) + 1).toBe(columns.length);
    }
  });

  it('quotes the names it embeds and spans the requested time', () => {
    const sql = errorFactsInsert({ ...spec, agents: ["o'brien", ...spec.agents.slice(1)] });
    expect(sql).toContain(`'o\\'brien'`);
    expect(sql).toContain(`toUInt64(${spec.nowMs - 20_000} - toUInt64(${spec.spanMs} * pow(`);
    expect(sql).toContain(`h % ${seededMessages(spec) / BLOCK} AS b`);
  });

  it('refuses specs it cannot seed', () => {
    expect(() => messageLogInsert({ ...spec, messages: 19 })).toThrow(/at least 20 messages/);
    expect(() => messageLogInsert({ ...spec, agents: ['a', 'b'] })).toThrow(/three agents/);
  });
});

describe('parseApiBenchOptions', () => {
  it('has the documented defaults and reads underscores in numbers', () => {
    expect(parseApiBenchOptions([])).toEqual({
      errors: 1_000_000,
      messages: 1_000_000,
      seconds: 20,
      idleRequests: 100,
      rates: [25, 50, 100],
      rate: 2_000,
      days: 3,
      routes: [],
      cpuProfDir: undefined,
    });
    expect(parseApiBenchOptions(['--routes', 'errors, query agents']).routes).toEqual([
      'errors',
      'query agents',
    ]);
    expect(parseApiBenchOptions(['--errors', '100_000', '--seconds', '3']).errors).toBe(100_000);
    expect(parseApiBenchOptions(['--cpu-prof-dir', '/tmp/profiles']).cpuProfDir).toBe('/tmp/profiles');
    expect(parseApiBenchOptions(['--rates', '10, 20', '--idle-requests', '7'])).toMatchObject({
      rates: [10, 20],
      idleRequests: 7,
    });
    expect(() => parseApiBenchOptions(['--rates', '0'])).toThrow(/--rates/);
  });

  it('names the bad option', () => {
    expect(() => parseApiBenchOptions(['--seconds', '0'])).toThrow(/--seconds must be an integer from 1/);
    expect(() => parseApiBenchOptions(['--bogus', '1'])).toThrow(/usage: npm run bench:api/);
  });
});

/** Commas outside parentheses, brackets and quotes. */
function topLevelCommas(text: string): number {
  let depth = 0;
  let quoted = false;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i += 1;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(' || c === '[') depth += 1;
    else if (c === ')' || c === ']') depth -= 1;
    else if (c === ',' && depth === 0) count += 1;
  }
  return count;
}
