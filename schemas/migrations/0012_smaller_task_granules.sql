-- task_lifecycle in granules of 1,024 row-sets instead of 8,192. A task is read by its key (the
-- agent its TASK went to, and its id), and ClickHouse reads each column of the aggregate states for
-- whole granules: a task's row read 21,790 rows of states (3.9 MB) and took 3.2 to 4.8 ms of
-- ClickHouse CPU on 450,000 tasks, against 2,600 rows (0.34 MB) and 1.4 to 1.8 ms in 1,024-row
-- granules (ClickHouse 18.16, 100 tasks per run). The pending overview, which reads every row,
-- costs the same either way. ClickHouse cannot change a table's granule size in place, so the
-- table is rebuilt (lib/table-rebuild.ts) while the processors keep writing into it through
-- task_lifecycle_mv, which follows its name.

-- rebuild task_lifecycle
CREATE TABLE IF NOT EXISTS task_lifecycle__rebuild AS task_lifecycle
ENGINE = AggregatingMergeTree()
ORDER BY (agent, task_id)
SETTINGS index_granularity = 1024;

-- when clickhouse >= 21.1
ALTER TABLE task_lifecycle MODIFY SETTING min_compress_block_size = 4096;
