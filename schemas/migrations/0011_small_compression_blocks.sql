-- The copies sorted by trace and the refs tables (granules of 256 and 1,024 rows, read by key)
-- compress their columns in blocks of at least 4 KiB instead of 64 KiB. A lookup reads one granule of each column,
-- and ClickHouse decompresses the whole block that holds it: for a narrow column, a 64 KiB block
-- holds 32 granules. The TASK messages of a queue's hundred pending tasks, read by key, cost 56 to
-- 57 ms of ClickHouse CPU in 64 KiB blocks and 20 to 23 ms in 4 KiB ones, for 3.6 % more disk.
-- Current releases keep the setting per table (21.1 and later): parts written from now on, by
-- inserts and merges, use it (`OPTIMIZE TABLE … FINAL` rewrites older ones at once). Earlier
-- releases have it server-wide only: the profile the server starts with (`min_compress_block_size`
-- of the default profile; the local stack's scripts/stack/clickhouse-users.xml sets 4096).

-- when clickhouse >= 21.1
ALTER TABLE messages_by_trace MODIFY SETTING min_compress_block_size = 4096;

-- when clickhouse >= 21.1
ALTER TABLE errors_by_trace MODIFY SETTING min_compress_block_size = 4096;

-- when clickhouse >= 21.1
ALTER TABLE message_refs MODIFY SETTING min_compress_block_size = 4096;

-- when clickhouse >= 21.1
ALTER TABLE error_refs MODIFY SETTING min_compress_block_size = 4096;
