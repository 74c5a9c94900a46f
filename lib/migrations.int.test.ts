import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, TelemetryError } from './errors.js';
import { loadMigrations, migrate, parseRelease, type Migration } from './migrations.js';
import { createTestDatabase, testLogger, type TestDatabase } from './test-support/helpers.js';

describe('ClickHouse migrations against the real server', () => {
  let db: TestDatabase;
  let migrations: Migration[];
  const logger = testLogger();

  beforeAll(async () => {
    db = await createTestDatabase('it_migrate');
    migrations = await loadMigrations();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration to an empty database, then nothing on a second run', async () => {
    const first = await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    expect(first.applied.map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    const second = await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(migrations.length);
    const recorded = await db.access.query<{ n: string }>('SELECT count() AS n FROM schema_migrations FINAL');
    expect(Number(recorded[0]?.n)).toBe(migrations.length);
  });

  it('keeps the tables read by key in small compression blocks where the release has it per table', async () => {
    await migrate({ server: db.server, database: db.access, databaseName: db.name, logger });
    const release = parseRelease((await db.access.query<{ v: string }>('SELECT version() AS v'))[0]?.v ?? '');
    const tables = await db.access.query<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()
         AND name IN ('messages_by_trace', 'errors_by_trace', 'message_refs', 'error_refs', 'task_lifecycle')
         ORDER BY name`,
    );
    expect(tables.map((t) => t.name)).toEqual([
      'error_refs',
      'errors_by_trace',
      'message_refs',
      'messages_by_trace',
      'task_lifecycle',
    ]);
    const perTable = release[0] > 21 || (release[0] === 21 && release[1] >= 1);
    for (const table of tables) {
      // 0011, 0012: 21.1 and later keep it per table; 18.16 takes it from the server's default profile
      expect(table.engine_full.includes('min_compress_block_size = 4096'), table.name).toBe(perTable);
    }
    // 0012 rebuilt task_lifecycle in 1,024-row granules, and its view still writes into it
    expect(tables.find((t) => t.name === 'task_lifecycle')?.engine_full).toContain(
      'index_granularity = 1024',
    );
  });

  it('creates the database when it does not exist', async () => {
    const fresh = `${db.name}_created`;
    try {
      await migrate({ server: db.server, database: db.server, databaseName: fresh, logger, migrations: [] });
      const rows = await db.server.query<{ name: string }>(
        `SELECT name FROM system.databases WHERE name = '${fresh}'`,
      );
      expect(rows).toHaveLength(1);
    } finally {
      await db.server.command(`DROP DATABASE IF EXISTS ${fresh}`);
    }
  });

  it('refuses to run when an applied migration was edited', async () => {
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: '0'.repeat(64) } : m));
    const error = await migrate({
      server: db.server,
      database: db.access,
      databaseName: db.name,
      logger,
      migrations: edited,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as TelemetryError).code).toBe(ErrorCode.MIGRATION_FAILED);
    expect((error as TelemetryError).message).toContain(migrations[0]?.name);
  });

  it('accepts a database that recorded an earlier text of an amended migration, and no other', async () => {
    const amended = migrations.find((m) => m.amends.length > 0);
    if (amended === undefined) throw new Error('no migration carries an amends: line');
    const recordedAs = (checksum: string): Migration[] =>
      migrations.map((m) => (m.version === amended.version ? { ...m, checksum } : m));
    const outcome = async (recorded: string): Promise<unknown> => {
      const earlier = await createTestDatabase('it_amended');
      try {
        const target = {
          server: earlier.server,
          database: earlier.access,
          databaseName: earlier.name,
          logger,
        };
        await migrate({ ...target, migrations: recordedAs(recorded) });
        return await migrate({ ...target, migrations }).catch((e: unknown) => e);
      } finally {
        await earlier.drop();
      }
    };
    expect(await outcome(amended.amends[0] ?? '')).toEqual({
      applied: [],
      alreadyApplied: migrations.length,
    });
    const refused = await outcome('f'.repeat(64));
    expect((refused as TelemetryError).code).toBe(ErrorCode.MIGRATION_FAILED);
  });

  it('backfills the lookup copies of 0006 from the errors stored before it', async () => {
    const older = await createTestDatabase('it_backfill');
    try {
      const before = { server: older.server, database: older.access, databaseName: older.name, logger };
      await migrate({ ...before, migrations: migrations.filter((m) => m.version < 6) });
      await older.access.command(
        `INSERT INTO error_facts (error_id, trace_id, task_id, agent_name, timestamp_ms, observed_at_ms)
         VALUES ('e-1', 'trace-1', 'task-1', 'coder', 1764000000000, 1764000000100)`,
      );
      const result = await migrate({ ...before, migrations });
      expect(result.applied.map((m) => m.version)).toEqual(
        migrations.filter((m) => m.version >= 6).map((m) => m.version),
      );
      const refs = await older.access.query<{ ref: string; ref_kind: string; trace_id: string }>(
        'SELECT ref, ref_kind, trace_id FROM error_refs ORDER BY ref',
      );
      expect(refs).toEqual([
        { ref: 'e-1', ref_kind: 'error', trace_id: 'trace-1' },
        { ref: 'task-1', ref_kind: 'task', trace_id: 'trace-1' },
      ]);
      const copy = await older.access.query<{ error_id: string }>('SELECT error_id FROM errors_by_trace');
      expect(copy).toEqual([{ error_id: 'e-1' }]);
      // and from now on the views copy each new error, the copy computing its own event_date
      await older.access.command(
        `INSERT INTO error_facts (error_id, trace_id, task_id, agent_name, timestamp_ms, observed_at_ms)
         VALUES ('e-2', 'trace-1', 'task-2', 'coder', 1764000001000, 1764000001100)`,
      );
      const copied = await older.access.query<{ error_id: string; event_date: string }>(
        'SELECT error_id, toString(event_date) AS event_date FROM errors_by_trace ORDER BY error_id',
      );
      expect(copied).toEqual([
        { error_id: 'e-1', event_date: '2025-11-24' },
        { error_id: 'e-2', event_date: '2025-11-24' },
      ]);
      // 0010 rebuilt error_facts in 1,024-row granules around its rows, and its views follow it
      const layout = await older.access.query<{ engine_full: string }>(
        "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'error_facts'",
      );
      expect(layout[0]?.engine_full).toContain('index_granularity = 1024');
      const stored = await older.access.query<{ error_id: string }>(
        'SELECT error_id FROM error_facts ORDER BY error_id',
      );
      expect(stored).toEqual([{ error_id: 'e-1' }, { error_id: 'e-2' }]);
      const grouped = await older.access.query<{ n: string | number }>(
        'SELECT uniqExactMerge(error_count) AS n FROM error_groups',
      );
      expect(Number(grouped[0]?.n)).toBe(2);
      const left = await older.access.query<{ name: string }>(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'error_facts__')",
      );
      expect(left).toEqual([]);
    } finally {
      await older.drop();
    }
  });

  it('keeps one message_log row per message when the same batch is inserted twice', async () => {
    const row = (id: string, offset: number) => ({
      message_id: id,
      topic: 'agent-queue-researcher',
      partition: 0,
      offset,
      schema_id: 1,
      source_agent: 'orchestrator',
      target_agent: 'researcher',
      message_type: 'task',
      priority: 'high',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      parent_message_id: '',
      reason: 'it\'s "quoted"',
      payload: '{"goal":"x"}',
      ttl_seconds: 300,
      attempt: 1,
      max_retries: 2,
      deadline_ms: 0,
      job_id: 'job-1',
      sent_at_ms: 1_764_000_000_000 + offset,
      observed_at_ms: 1_764_000_000_500 + offset,
    });
    const batch = [row('m-1', 0), row('m-2', 1), row('m-3', 2)];
    await db.access.insert('message_log', batch);
    await db.access.insert('message_log', batch);
    const raw = await db.access.query<{ n: string }>('SELECT count() AS n FROM message_log');
    const exact = await db.access.query<{ n: string }>('SELECT count() AS n FROM message_log FINAL');
    expect(Number(raw[0]?.n)).toBeGreaterThanOrEqual(3);
    expect(Number(exact[0]?.n)).toBe(3);
    const back = await db.access.query<{ reason: string; event_date: string }>(
      "SELECT reason, event_date FROM message_log FINAL WHERE message_id = 'm-1'",
    );
    expect(back).toEqual([{ reason: 'it\'s "quoted"', event_date: '2025-11-24' }]);

    // the copy sorted by trace and the id lookup (0006) follow, and collapse the same way
    const copy = await db.access.query<{ message_id: string; event_date: string }>(
      'SELECT message_id, event_date FROM messages_by_trace FINAL ORDER BY message_id',
    );
    expect(copy).toEqual(batch.map((r) => ({ message_id: r.message_id, event_date: '2025-11-24' })));
    const refs = await db.access.query<{ ref: string; ref_kind: string; message_id: string }>(
      'SELECT ref, ref_kind, message_id FROM message_refs FINAL ORDER BY ref',
    );
    expect(refs).toEqual(
      batch.map((r) => ({ ref: r.message_id, ref_kind: 'message', message_id: r.message_id })),
    );
  });
});
