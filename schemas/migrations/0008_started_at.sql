-- When the answering agent started a task: AgentMessage.started_at, carried by RESULT and ERROR
-- messages from producers that report it (schema field added with a null default). 0 means not
-- reported: the time breakdown then says the split between queue and work is unknown.
--
-- The copy first: its materialized view copies every column of message_log. Adding a column that
-- exists already counts as applied (the migration runner checks), so a re-run is harmless.
ALTER TABLE messages_by_trace ADD COLUMN started_at_ms UInt64 DEFAULT 0;

ALTER TABLE message_log ADD COLUMN started_at_ms UInt64 DEFAULT 0;
