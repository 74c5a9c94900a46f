-- Copies of message_log and error_facts sorted by trace, with lookup tables from every other id a
-- reader asks for, for the API's by-id reads (a trace, a task and its answers, an error).
--
-- message_log is sorted by (target_agent, message_type, sent_at_ms, message_id) and error_facts by
-- (agent_name, timestamp_ms, error_id): right for per-agent time ranges, but "this trace", "the
-- answers to this task" and "this error" would scan them, and even a known key decompresses an
-- 8,192-row granule of wide rows. ClickHouse 18.16 has no projections, so each copy is a second
-- MergeTree with another ORDER BY and small granules, filled by a materialized view:
--   * messages_by_trace, errors_by_trace: every column, ORDER BY (trace_id, time, id), 256-row
--     granules; a trace's rows are contiguous.
--   * message_refs: message id and parent message id -> the message's key in messages_by_trace;
--     error_refs: error id and task id -> the error's key in errors_by_trace.
-- The copies double the stored size of messages and errors (compressed).
--
-- Idempotent like their sources: the copies are ReplacingMergeTree(observed_at_ms) keyed by id, and
-- every column of a refs table is in its key, so redelivered rows and the backfills below (which
-- may overlap rows the views already copied) collapse; readers deduplicate by id meanwhile. The
-- backfills copy what was stored before this migration.
--
-- The copies' views differ by release: ClickHouse 18.16 expects the view to output the copy's
-- MATERIALIZED event_date ("Expected column event_date"), current releases refuse a view that
-- writes it (THERE_IS_NO_COLUMN) and compute it themselves. Between the two, the switch is taken at
-- 20.1; only 18.16 and 26.x are tested.
-- amends: a6c8518a23a1f69d476319ad6f1aeb209fc748c82a88925a85973cc109f9c305 (the 18.16 form alone;
-- a database that applied it has the same tables and views)

CREATE TABLE IF NOT EXISTS messages_by_trace AS message_log
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (trace_id, sent_at_ms, message_id)
SETTINGS index_granularity = 256;

-- when clickhouse < 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS messages_by_trace_mv TO messages_by_trace AS
SELECT *, event_date FROM message_log;

-- when clickhouse >= 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS messages_by_trace_mv TO messages_by_trace AS
SELECT * FROM message_log;

INSERT INTO messages_by_trace SELECT * FROM message_log;

CREATE TABLE IF NOT EXISTS message_refs
(
    ref           String,
    ref_kind      Enum8('message' = 1, 'parent' = 2),
    trace_id      String,
    sent_at_ms    UInt64,
    message_id    String
)
ENGINE = ReplacingMergeTree()
ORDER BY (ref, ref_kind, trace_id, sent_at_ms, message_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS message_refs_mv TO message_refs AS
SELECT tupleElement(pair, 1) AS ref, CAST(tupleElement(pair, 2) AS Enum8('message' = 1, 'parent' = 2)) AS ref_kind,
       trace_id, sent_at_ms, message_id
FROM message_log
ARRAY JOIN [(message_id, 'message'), (parent_message_id, 'parent')] AS pair
WHERE ref != '';

INSERT INTO message_refs
SELECT tupleElement(pair, 1) AS ref, CAST(tupleElement(pair, 2) AS Enum8('message' = 1, 'parent' = 2)) AS ref_kind,
       trace_id, sent_at_ms, message_id
FROM message_log
ARRAY JOIN [(message_id, 'message'), (parent_message_id, 'parent')] AS pair
WHERE ref != '';

CREATE TABLE IF NOT EXISTS errors_by_trace AS error_facts
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (trace_id, timestamp_ms, error_id)
SETTINGS index_granularity = 256;

-- when clickhouse < 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS errors_by_trace_mv TO errors_by_trace AS
SELECT *, event_date FROM error_facts;

-- when clickhouse >= 20.1
CREATE MATERIALIZED VIEW IF NOT EXISTS errors_by_trace_mv TO errors_by_trace AS
SELECT * FROM error_facts;

INSERT INTO errors_by_trace SELECT * FROM error_facts;

CREATE TABLE IF NOT EXISTS error_refs
(
    ref           String,
    ref_kind      Enum8('error' = 1, 'task' = 2),
    trace_id      String,
    timestamp_ms  UInt64,
    error_id      String
)
ENGINE = ReplacingMergeTree()
ORDER BY (ref, ref_kind, trace_id, timestamp_ms, error_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_refs_mv TO error_refs AS
SELECT tupleElement(pair, 1) AS ref, CAST(tupleElement(pair, 2) AS Enum8('error' = 1, 'task' = 2)) AS ref_kind,
       trace_id, timestamp_ms, error_id
FROM error_facts
ARRAY JOIN [(error_id, 'error'), (task_id, 'task')] AS pair
WHERE ref != '';

INSERT INTO error_refs
SELECT tupleElement(pair, 1) AS ref, CAST(tupleElement(pair, 2) AS Enum8('error' = 1, 'task' = 2)) AS ref_kind,
       trace_id, timestamp_ms, error_id
FROM error_facts
ARRAY JOIN [(error_id, 'error'), (task_id, 'task')] AS pair
WHERE ref != '';
