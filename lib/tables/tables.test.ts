import { describe, expect, it } from 'vitest';
import type { ClickHouseWriter } from '../clickhouse.js';
import { loadMigrations } from '../migrations.js';
import { ACTION_LOG, ACTION_LOG_COLUMNS } from './action-log.js';
import { ALERT_STATE, ALERT_STATE_COLUMNS } from './alert-state.js';
import { DEAD_LETTER_COLUMNS, DEAD_LETTERS } from './dead-letters.js';
import {
  ERROR_FACT_COLUMNS,
  ERROR_FACTS,
  ERROR_REF_COLUMNS,
  ERROR_REFS,
  ERROR_REFS_MV,
  ERRORS_BY_TRACE,
  ERRORS_BY_TRACE_MV,
  errorRefsCondition,
} from './error-facts.js';
import { ERROR_GROUP_COLUMNS, ERROR_GROUPS, ERROR_GROUPS_MV } from './error-groups.js';
import {
  AGENT_LIVENESS,
  AGENT_LIVENESS_COLUMNS,
  AGENT_LIVENESS_MV,
  HEARTBEAT_COLUMNS,
  HEARTBEATS,
} from './heartbeats.js';
import { emptyTableRows, insertTableRows, WRITTEN_TABLES } from './index.js';
import { LAG_SAMPLE_COLUMNS, LAG_SAMPLES } from './lag-samples.js';
import { LLM_CALL_COLUMNS, LLM_CALLS } from './llm-calls.js';
import {
  MESSAGE_LOG,
  MESSAGE_LOG_COLUMNS,
  MESSAGE_REF_COLUMNS,
  MESSAGE_REFS,
  MESSAGE_REFS_MV,
  MESSAGES_BY_TRACE,
  MESSAGES_BY_TRACE_MV,
  messageRefsCondition,
} from './message-log.js';
import {
  ERROR_ROLLUP_1M,
  ERROR_ROLLUP_1M_MV,
  ERROR_ROLLUP_COLUMNS,
  MESSAGE_ROLLUP_1M,
  MESSAGE_ROLLUP_1M_MV,
  MESSAGE_ROLLUP_COLUMNS,
} from './rollups.js';
import {
  TASK_EVENT_COLUMNS,
  TASK_EVENTS,
  TASK_LIFECYCLE,
  TASK_LIFECYCLE_COLUMNS,
  TASK_LIFECYCLE_MV,
  TASK_STATE,
  TASK_STATE_COLUMNS,
} from './task-lifecycle.js';

/** Each table's column list, by the name its module gives it. */
const TABLE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  [MESSAGE_LOG]: MESSAGE_LOG_COLUMNS,
  [MESSAGES_BY_TRACE]: MESSAGE_LOG_COLUMNS,
  [MESSAGE_REFS]: MESSAGE_REF_COLUMNS,
  [MESSAGE_ROLLUP_1M]: MESSAGE_ROLLUP_COLUMNS,
  [TASK_EVENTS]: TASK_EVENT_COLUMNS,
  [TASK_LIFECYCLE]: TASK_LIFECYCLE_COLUMNS,
  [ERROR_FACTS]: ERROR_FACT_COLUMNS,
  [ERRORS_BY_TRACE]: ERROR_FACT_COLUMNS,
  [ERROR_REFS]: ERROR_REF_COLUMNS,
  [ERROR_GROUPS]: ERROR_GROUP_COLUMNS,
  [ERROR_ROLLUP_1M]: ERROR_ROLLUP_COLUMNS,
  [LLM_CALLS]: LLM_CALL_COLUMNS,
  [HEARTBEATS]: HEARTBEAT_COLUMNS,
  [AGENT_LIVENESS]: AGENT_LIVENESS_COLUMNS,
  [LAG_SAMPLES]: LAG_SAMPLE_COLUMNS,
  [DEAD_LETTERS]: DEAD_LETTER_COLUMNS,
  [ACTION_LOG]: ACTION_LOG_COLUMNS,
  [ALERT_STATE]: ALERT_STATE_COLUMNS,
};

const VIEWS = [
  MESSAGES_BY_TRACE_MV,
  MESSAGE_REFS_MV,
  MESSAGE_ROLLUP_1M_MV,
  TASK_LIFECYCLE_MV,
  TASK_STATE,
  ERRORS_BY_TRACE_MV,
  ERROR_REFS_MV,
  ERROR_GROUPS_MV,
  ERROR_ROLLUP_1M_MV,
  AGENT_LIVENESS_MV,
];

/** The text between the parenthesis at `open` and its match, split at its top-level commas. */
function topLevelItems(text: string, open: number): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth += 1;
    else if (c === ')' || c === ']') {
      depth -= 1;
      if (depth === 0) {
        items.push(text.slice(start, i).trim());
        return items;
      }
    } else if (c === ',' && depth === 1) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error('unbalanced parentheses');
}

interface Ddl {
  tables: Map<string, string[]>;
  views: Map<string, string>;
}

/** Tables (with their stored columns, not MATERIALIZED or ALIAS ones) and views the migrations create. */
async function migrationDdl(): Promise<Ddl> {
  const ddl: Ddl = { tables: new Map(), views: new Map() };
  for (const migration of await loadMigrations()) {
    for (const { sql: statement, rebuild } of migration.statements) {
      // a table rebuilt in a new layout keeps its name and columns
      if (rebuild !== undefined) continue;
      const view = /^CREATE\s+(?:MATERIALIZED\s+)?VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)/i.exec(statement);
      if (view?.[1] !== undefined) ddl.views.set(view[1], statement);
      const added = /^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)\s/i.exec(statement);
      if (added?.[1] !== undefined && added[2] !== undefined) {
        const columns = ddl.tables.get(added[1]) ?? [];
        if (!columns.includes(added[2])) ddl.tables.set(added[1], [...columns, added[2]]);
        continue;
      }
      const copy = /^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s+AS\s+(\w+)/i.exec(statement);
      if (copy?.[1] !== undefined && copy[2] !== undefined) {
        ddl.tables.set(copy[1], ddl.tables.get(copy[2]) ?? []);
        continue;
      }
      const table = /^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\(/i.exec(statement);
      if (table?.[1] === undefined) continue;
      const columns = topLevelItems(statement, table[0].length - 1)
        .filter((definition) => !/\s(MATERIALIZED|ALIAS)\s/i.test(definition))
        .map((definition) => definition.split(/\s+/)[0] ?? '');
      ddl.tables.set(table[1], columns);
    }
  }
  return ddl;
}

describe('the table modules', () => {
  it('name every table and view the migrations create', async () => {
    const ddl = await migrationDdl();
    expect([...ddl.tables.keys()].sort()).toEqual(Object.keys(TABLE_COLUMNS).sort());
    expect([...ddl.views.keys()].sort()).toEqual([...VIEWS].sort());
  });

  it.each(Object.entries(TABLE_COLUMNS))(
    'list the stored columns of %s in table order',
    async (table, columns) => {
      const ddl = await migrationDdl();
      expect(columns).toEqual(ddl.tables.get(table));
    },
  );

  it('read from task_state only columns the view selects', async () => {
    const view = (await migrationDdl()).views.get(TASK_STATE) ?? '';
    const selected = topLevelItems(
      `(${view.slice(view.indexOf('SELECT') + 'SELECT'.length, view.search(/\nFROM\b/))})`,
      0,
    ).map((item) => /(\w+)$/.exec(item)?.[1]);
    expect(selected).toEqual(expect.arrayContaining([...TASK_STATE_COLUMNS]));
  });

  it('look up messages and errors by the key of their copy sorted by trace', () => {
    expect(messageRefsCondition(['m-1', "o'brien"], ['message', 'parent'])).toBe(
      `(trace_id, sent_at_ms, message_id) IN (SELECT trace_id, sent_at_ms, message_id FROM ${MESSAGE_REFS}
    WHERE ref IN ('m-1', 'o\\'brien') AND ref_kind IN ('message', 'parent'))`,
    );
    expect(errorRefsCondition('t-1', 'task')).toBe(
      `(trace_id, timestamp_ms, error_id) IN (SELECT trace_id, timestamp_ms, error_id FROM ${ERROR_REFS}
    WHERE ref = 't-1' AND ref_kind = 'task')`,
    );
  });
});

describe('the written tables', () => {
  it('insert each table that has rows into itself, and skip empty ones', async () => {
    const inserts: { table: string; rows: number }[] = [];
    const writer: ClickHouseWriter = {
      insert(table, rows) {
        inserts.push({ table, rows: rows.length });
        return Promise.resolve();
      },
    };
    const rows = emptyTableRows();
    expect(Object.keys(rows)).toEqual(WRITTEN_TABLES);
    rows[DEAD_LETTERS].push({
      topic: 't',
      partition: 0,
      offset: 1,
      error_code: 'NO_MAGIC_BYTE',
      reason: 'r',
      schema_id: -1,
      size_bytes: 1,
      observed_at_ms: 2,
    });
    await insertTableRows(writer, rows);
    expect(inserts).toEqual([{ table: DEAD_LETTERS, rows: 1 }]);
  });
});
