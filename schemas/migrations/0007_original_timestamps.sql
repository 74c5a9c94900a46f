-- Sender clocks that cannot be right: the processors store a message's or error's own timestamp
-- only when it lies between 2000-01-01 and a day after it was observed; otherwise they store the
-- time it was observed, and the sender's value here (0 when it was kept). The timestamps choose the
-- monthly partition, so a clock bug or seconds sent as milliseconds would otherwise scatter one batch
-- over more partitions than an insert may touch, and date the message decades away.
--
-- The copies first: their materialized views copy every column of the source. Adding a column that
-- exists already counts as applied (the migration runner checks), so a re-run is harmless.
ALTER TABLE messages_by_trace ADD COLUMN sent_at_original_ms UInt64 DEFAULT 0;

ALTER TABLE message_log ADD COLUMN sent_at_original_ms UInt64 DEFAULT 0;

ALTER TABLE errors_by_trace ADD COLUMN timestamp_original_ms UInt64 DEFAULT 0;

ALTER TABLE error_facts ADD COLUMN timestamp_original_ms UInt64 DEFAULT 0;
