-- Actions taken through the API (cancel a task, retry a task, replay dead letters), as an audit log:
-- one row per step of a request (started, then done / duplicate / refused / failed), with who asked,
-- through which channel, what and the outcome. `action_id` is deterministic (the action, its target
-- and the caller's idempotency key), so a repeated request finds the earlier one here.
-- Written by the API (its writer connection, only when API_ACTIONS=on); read with FINAL.
CREATE TABLE IF NOT EXISTS action_log
(
    request_id       String,
    action_id        String,
    action           String,
    target           String,
    actor            String,
    channel          String,
    client           String,
    idempotency_key  String,
    outcome          String,
    detail           String,
    produced         UInt32,
    at_ms            UInt64,
    event_date       Date MATERIALIZED toDate(toDateTime(intDiv(at_ms, 1000)))
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (action_id, request_id, outcome);

-- The alert notifier's state: one row per diagnosis issue id that reached the alert severity, the
-- latest version wins (read with FINAL). `delivered` is JSON text {webhook id: "open"|"resolved"},
-- what each webhook was last told, so a restarted notifier neither repeats nor forgets a notification.
CREATE TABLE IF NOT EXISTS alert_state
(
    issue_id         String,
    state            String,
    severity         String,
    title            String,
    issue            String,
    opened_at_ms     UInt64,
    resolved_at_ms   UInt64,
    delivered        String,
    attempts         UInt32,
    next_attempt_ms  UInt64,
    updated_at_ms    UInt64
)
ENGINE = ReplacingMergeTree(updated_at_ms)
ORDER BY issue_id;
