-- Every AgentMessage observed on an agent queue, one row per message.
--
-- Idempotent under redelivery and replay: rows are keyed by message_id inside ORDER BY, and the
-- partition and every other key column derive from the message itself, so a redelivered copy lands
-- in the same partition with the same key and ReplacingMergeTree keeps one. Read with FINAL (or
-- GROUP BY message_id) for exact counts before background merges have run.
--
-- Absent optional values are stored as '' (strings) and 0 (numbers): Nullable columns cannot be
-- part of a sorting key on ClickHouse 18.16 and cost a byte per row.
CREATE TABLE IF NOT EXISTS message_log
(
    message_id         String,
    topic              String,
    partition          UInt32,
    offset             UInt64,
    schema_id          UInt32,
    source_agent       String,
    target_agent       String,
    message_type       Enum8('task' = 1, 'result' = 2, 'error' = 3, 'heartbeat' = 4, 'cancel' = 5),
    priority           Enum8('low' = 1, 'normal' = 2, 'high' = 3, 'critical' = 4),
    trace_id           String,
    span_id            String,
    parent_message_id  String,
    reason             String,
    payload            String,
    ttl_seconds        UInt32,
    attempt            UInt16,
    max_retries        UInt16,
    deadline_ms        UInt64,
    job_id             String,
    sent_at_ms         UInt64,
    observed_at_ms     UInt64,
    event_date         Date MATERIALIZED toDate(toDateTime(intDiv(sent_at_ms, 1000)))
)
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (target_agent, message_type, sent_at_ms, message_id);
