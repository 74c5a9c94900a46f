-- Task lifecycle: the pending-task view.
--
-- task_events receives, per observed message, the facts it contributes to a task:
--   * a TASK gives the task row (has_task = 1) under its target agent;
--   * a RESULT, ERROR or CANCEL with a parent_message_id gives a resolution of that task, written
--     once under each of its two agents (source and target): by protocol the worker and the
--     requester are those two agents, so the resolution meets the task row whichever of them the
--     task targeted, without knowing which one it was.
-- The Null engine keeps nothing; the materialized view folds the events into task_lifecycle with
-- aggregates that ignore duplicates (max, minIf, argMinIf), so any arrival order and any number of
-- redeliveries give the same state.
--
-- resolved_key = resolved_at_ms * 4 + rank (completed 1, failed 2, cancelled 3): the earliest
-- resolution wins, ties broken by rank, the same on every replay. 0 means unresolved.
-- Expiry is evaluated at read time from expires_at_ms (0 = no TTL); see the task_state view.
CREATE TABLE IF NOT EXISTS task_events
(
    agent             String,
    task_id           String,
    has_task          UInt8,
    requester         String,
    target            String,
    priority          UInt8,
    attempt           UInt16,
    max_retries       UInt16,
    submitted_at_ms   UInt64,
    expires_at_ms     UInt64,
    deadline_ms       UInt64,
    trace_id          String,
    job_id            String,
    resolved_key      UInt64,
    resolved_by       String,
    observed_at_ms    UInt64
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS task_lifecycle
(
    agent             String,
    task_id           String,
    has_task          AggregateFunction(max, UInt8),
    requester         AggregateFunction(max, String),
    target            AggregateFunction(max, String),
    priority          AggregateFunction(max, UInt8),
    attempt           AggregateFunction(max, UInt16),
    max_retries       AggregateFunction(max, UInt16),
    submitted_at_ms   AggregateFunction(max, UInt64),
    expires_at_ms     AggregateFunction(max, UInt64),
    deadline_ms       AggregateFunction(max, UInt64),
    trace_id          AggregateFunction(max, String),
    job_id            AggregateFunction(max, String),
    resolution_key    AggregateFunction(minIf, UInt64, UInt8),
    resolved_by       AggregateFunction(argMinIf, String, UInt64, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY (agent, task_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS task_lifecycle_mv TO task_lifecycle AS
SELECT
    agent,
    task_id,
    maxState(has_task) AS has_task,
    maxState(requester) AS requester,
    maxState(target) AS target,
    maxState(priority) AS priority,
    maxState(attempt) AS attempt,
    maxState(max_retries) AS max_retries,
    maxState(submitted_at_ms) AS submitted_at_ms,
    maxState(expires_at_ms) AS expires_at_ms,
    maxState(deadline_ms) AS deadline_ms,
    maxState(trace_id) AS trace_id,
    maxState(job_id) AS job_id,
    minIfState(resolved_key, resolved_key > 0) AS resolution_key,
    argMinIfState(resolved_by, resolved_key, resolved_key > 0) AS resolved_by
FROM task_events
GROUP BY agent, task_id;

-- One row per task with its state; filter on agent in the outer query (e.g. WHERE agent = 'coder').
-- state: pending | completed | failed | cancelled | expired. Times are epoch milliseconds.
CREATE VIEW IF NOT EXISTS task_state AS
SELECT
    agent,
    task_id,
    requester,
    agent AS target_agent,
    ['low', 'normal', 'high', 'critical'][priority_rank] AS priority,
    attempt,
    max_retries,
    submitted_at_ms,
    expires_at_ms,
    deadline_ms,
    trace_id,
    job_id,
    multiIf(
        resolution_key % 4 = 1, 'completed',
        resolution_key % 4 = 2, 'failed',
        resolution_key % 4 = 3, 'cancelled',
        expires_at_ms > 0 AND expires_at_ms <= toUInt64(toUnixTimestamp(now())) * 1000, 'expired',
        'pending') AS state,
    if(resolution_key > 0, intDiv(resolution_key, 4), if(state = 'expired', expires_at_ms, 0)) AS resolved_at_ms,
    if(resolved_at_ms > 0, toInt64(resolved_at_ms) - toInt64(submitted_at_ms), -1) AS latency_ms,
    resolved_by
FROM
(
    SELECT
        agent,
        task_id,
        maxMerge(has_task) AS has_task_merged,
        maxMerge(requester) AS requester,
        maxMerge(priority) AS priority_rank,
        maxMerge(attempt) AS attempt,
        maxMerge(max_retries) AS max_retries,
        maxMerge(submitted_at_ms) AS submitted_at_ms,
        maxMerge(expires_at_ms) AS expires_at_ms,
        maxMerge(deadline_ms) AS deadline_ms,
        maxMerge(trace_id) AS trace_id,
        maxMerge(job_id) AS job_id,
        minIfMerge(resolution_key) AS resolution_key,
        argMinIfMerge(resolved_by) AS resolved_by
    FROM task_lifecycle
    GROUP BY agent, task_id
)
WHERE has_task_merged = 1;
