-- Messages per minute x queue agent x sender x message type (distinct message ids, idempotent).
CREATE TABLE IF NOT EXISTS message_rollup_1m
(
    minute         DateTime,
    target_agent   String,
    source_agent   String,
    message_type   String,
    messages       AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, target_agent, source_agent, message_type);

CREATE MATERIALIZED VIEW IF NOT EXISTS message_rollup_1m_mv TO message_rollup_1m AS
SELECT
    toStartOfMinute(toDateTime(intDiv(sent_at_ms, 1000))) AS minute,
    target_agent,
    source_agent,
    toString(message_type) AS message_type,
    uniqExactState(message_id) AS messages
FROM message_log
GROUP BY minute, target_agent, source_agent, message_type;

-- One row per LLM call carried in a RESULT or ERROR message (llm_usage), keyed by message and call.
CREATE TABLE IF NOT EXISTS llm_calls
(
    message_id         String,
    call_index         UInt16,
    agent              String,
    model              String,
    provider           String,
    prompt_tokens      UInt32,
    completion_tokens  UInt32,
    latency_ms         UInt32,
    cost_usd           Float64,
    status             String,
    trace_id           String,
    task_id            String,
    at_ms              UInt64,
    observed_at_ms     UInt64,
    event_date         Date MATERIALIZED toDate(toDateTime(intDiv(at_ms, 1000)))
)
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (agent, at_ms, message_id, call_index);

-- Agent liveness from HEARTBEAT messages: last heartbeat and what it reported.
CREATE TABLE IF NOT EXISTS heartbeats
(
    agent            String,
    message_id       String,
    state            String,
    in_flight        UInt32,
    max_concurrency  UInt32,
    host             String,
    pid              UInt32,
    version          String,
    sent_at_ms       UInt64,
    observed_at_ms   UInt64
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS agent_liveness
(
    agent                 String,
    first_heartbeat_ms    AggregateFunction(min, UInt64),
    last_heartbeat_ms     AggregateFunction(max, UInt64),
    last_state            AggregateFunction(argMax, String, Tuple(UInt64, String)),
    last_in_flight        AggregateFunction(argMax, UInt32, Tuple(UInt64, String)),
    last_max_concurrency  AggregateFunction(argMax, UInt32, Tuple(UInt64, String)),
    last_host             AggregateFunction(argMax, String, Tuple(UInt64, String)),
    last_pid              AggregateFunction(argMax, UInt32, Tuple(UInt64, String)),
    last_version          AggregateFunction(argMax, String, Tuple(UInt64, String)),
    heartbeats            AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
ORDER BY agent;

CREATE MATERIALIZED VIEW IF NOT EXISTS agent_liveness_mv TO agent_liveness AS
SELECT
    agent,
    minState(sent_at_ms) AS first_heartbeat_ms,
    maxState(sent_at_ms) AS last_heartbeat_ms,
    argMaxState(state, (sent_at_ms, message_id)) AS last_state,
    argMaxState(in_flight, (sent_at_ms, message_id)) AS last_in_flight,
    argMaxState(max_concurrency, (sent_at_ms, message_id)) AS last_max_concurrency,
    argMaxState(host, (sent_at_ms, message_id)) AS last_host,
    argMaxState(pid, (sent_at_ms, message_id)) AS last_pid,
    argMaxState(version, (sent_at_ms, message_id)) AS last_version,
    uniqExactState(message_id) AS heartbeats
FROM heartbeats
GROUP BY agent;
