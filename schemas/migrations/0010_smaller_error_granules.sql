-- error_facts in granules of 1,024 rows instead of 8,192. A page of errors is the newest rows of
-- each agent, and ClickHouse reads a column for whole granules: a REST page of the newest critical
-- errors of five agents decompressed 41,536 stack traces to return 51 (19 ms of CPU on a million
-- errors, against 4 ms in 1,024-row granules). ClickHouse cannot change a table's granule size in
-- place, so the table is rebuilt (lib/table-rebuild.ts): copied into a replacement and swapped
-- with it while the processors keep writing, what they wrote meanwhile copied after the swap; the
-- views that read it follow its name.

-- rebuild error_facts
CREATE TABLE IF NOT EXISTS error_facts__rebuild AS error_facts
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (agent_name, timestamp_ms, error_id)
SETTINGS index_granularity = 1024;
