-- Consumer lag samples, every few seconds, per consumer group x topic x partition: enough history to
-- evaluate Burrow's rules (OK, WARN, ERR, STOP, STALL, REWIND) over a window. One row per sample
-- instant (sampled_at_ms is rounded to the sampling interval, so two samplers write the same key).
-- Old days are removed by the sampler (ALTER TABLE ... DROP PARTITION), as TTL is not on 18.16.
CREATE TABLE IF NOT EXISTS lag_samples
(
    group_id          String,
    topic             String,
    partition         UInt32,
    sampled_at_ms     UInt64,
    end_offset        Int64,
    committed_offset  Int64,
    lag               Int64,
    members           UInt16,
    group_state       String,
    event_date        Date MATERIALIZED toDate(toDateTime(intDiv(sampled_at_ms, 1000)))
)
ENGINE = ReplacingMergeTree()
PARTITION BY event_date
ORDER BY (group_id, topic, partition, sampled_at_ms);

-- Every message the processors sent to agent-telemetry-dlq, with its origin and the reason. One
-- partition: the key is the origin's coordinates, so replays and redeliveries collapse.
CREATE TABLE IF NOT EXISTS dead_letters
(
    topic           String,
    partition       UInt32,
    offset          UInt64,
    error_code      String,
    reason          String,
    schema_id       Int64,
    size_bytes      UInt32,
    observed_at_ms  UInt64
)
ENGINE = ReplacingMergeTree()
ORDER BY (topic, partition, offset);
