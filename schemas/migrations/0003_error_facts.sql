-- Every DetailedError observed on agent-telemetry-errors: all fields of the record, its fingerprint
-- (the sender's, or one the processors compute) and its Kafka coordinates.
-- Idempotent like message_log: keyed by error_id, partitioned by the error's own time.
CREATE TABLE IF NOT EXISTS error_facts
(
    error_id                  String,
    topic                     String,
    partition                 UInt32,
    offset                    UInt64,
    schema_id                 UInt32,
    fingerprint               String,
    severity                  Enum8('critical' = 1, 'error' = 2, 'warning' = 3, 'info' = 4),
    category                  Enum8('llm_error' = 1, 'agent_error' = 2, 'tool_error' = 3, 'handoff_error' = 4,
                                    'validation_error' = 5, 'timeout_error' = 6, 'resource_error' = 7,
                                    'network_error' = 8, 'config_error' = 9, 'unknown' = 10),
    error_type                String,
    error_message             String,
    error_code                String,
    stack_trace               String,
    trace_id                  String,
    span_id                   String,
    agent_name                String,
    agent_id                  String,
    operation                 String,
    input_data                String,
    partial_output            String,
    model_name                String,
    prompt_preview            String,
    token_count               Int32,
    tool_name                 String,
    tool_parameters           String,
    timestamp_ms              UInt64,
    duration_before_error_ms  Float64,
    is_retryable              UInt8,
    retry_count               UInt16,
    max_retries               UInt16,
    suggested_fixes           Array(String),
    related_docs              Array(String),
    environment               String,
    service_name              String,
    host                      String,
    suppressed_count          UInt32,
    task_id                   String,
    job_id                    String,
    http_status               UInt16,
    observed_at_ms            UInt64,
    event_date                Date MATERIALIZED toDate(toDateTime(intDiv(timestamp_ms, 1000)))
)
ENGINE = ReplacingMergeTree(observed_at_ms)
PARTITION BY toYYYYMM(event_date)
ORDER BY (agent_name, timestamp_ms, error_id);

-- Error groups, as an error tracker keeps them: per fingerprint, first and last seen, number of
-- distinct errors (uniqExact of error_id, so redelivery never inflates it), agents, and a sample
-- (the latest error, ties broken by error_id so that every replay picks the same one).
CREATE TABLE IF NOT EXISTS error_groups
(
    fingerprint      String,
    first_seen_ms    AggregateFunction(min, UInt64),
    last_seen_ms     AggregateFunction(max, UInt64),
    error_count      AggregateFunction(uniqExact, String),
    agents           AggregateFunction(groupUniqArray, String),
    error_type       AggregateFunction(argMax, String, Tuple(UInt64, String)),
    category         AggregateFunction(argMax, String, Tuple(UInt64, String)),
    top_severity     AggregateFunction(min, UInt8),
    operation        AggregateFunction(argMax, String, Tuple(UInt64, String)),
    sample_error_id  AggregateFunction(argMax, String, Tuple(UInt64, String)),
    sample_message   AggregateFunction(argMax, String, Tuple(UInt64, String)),
    sample_trace_id  AggregateFunction(argMax, String, Tuple(UInt64, String))
)
ENGINE = AggregatingMergeTree()
ORDER BY fingerprint;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_groups_mv TO error_groups AS
SELECT
    fingerprint,
    minState(timestamp_ms) AS first_seen_ms,
    maxState(timestamp_ms) AS last_seen_ms,
    uniqExactState(error_id) AS error_count,
    groupUniqArrayState(agent_name) AS agents,
    argMaxState(error_type, (timestamp_ms, error_id)) AS error_type,
    argMaxState(toString(category), (timestamp_ms, error_id)) AS category,
    minState(toUInt8(severity)) AS top_severity,
    argMaxState(operation, (timestamp_ms, error_id)) AS operation,
    argMaxState(error_id, (timestamp_ms, error_id)) AS sample_error_id,
    argMaxState(error_message, (timestamp_ms, error_id)) AS sample_message,
    argMaxState(trace_id, (timestamp_ms, error_id)) AS sample_trace_id
FROM error_facts
GROUP BY fingerprint;

-- Errors per minute x agent x category x severity (distinct error ids, idempotent).
CREATE TABLE IF NOT EXISTS error_rollup_1m
(
    minute       DateTime,
    agent_name   String,
    category     String,
    severity     String,
    errors       AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, agent_name, category, severity);

CREATE MATERIALIZED VIEW IF NOT EXISTS error_rollup_1m_mv TO error_rollup_1m AS
SELECT
    toStartOfMinute(toDateTime(intDiv(timestamp_ms, 1000))) AS minute,
    agent_name,
    toString(category) AS category,
    toString(severity) AS severity,
    uniqExactState(error_id) AS errors
FROM error_facts
GROUP BY minute, agent_name, category, severity;
