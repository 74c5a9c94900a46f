// Generated from the migrations and the table modules by `npm run docs` (docs/gen/tables.ts); do not edit by hand.

/** Each table and view: what a row is, and what each column holds (columns without a meaning are left out). */
export const TABLE_MEANINGS: Readonly<
  Record<string, { readonly note: string; readonly columns: Readonly<Record<string, string>> }>
> = {
  action_log: {
    note: 'The audit log of actions taken through the API.',
    columns: {
      request_id: 'One request (a UUID); its `started` row and its outcome row share it.',
      action_id:
        'The action: 32 hex digits derived from `action`, `target` and `idempotency_key`; requests for the same action share it.',
      action: '`cancel_task`, `retry_task` or `replay_dead_letters`.',
      target:
        'The task id, or one dead letter as `topic/partition/offset` (each replayed letter is its own action).',
      actor: 'Who asked, as the caller named itself; `token-holder` when not given.',
      channel: 'What the request came through: `rest`, `graphql`, `mcp` or `cli`.',
      client: "The caller's User-Agent (REST; the CLI sends `agent-telemetry-cli`), or `graphql` or `mcp`.",
      idempotency_key:
        "The caller's idempotency key; '' when none was given (the action's natural identity).",
      outcome:
        '`started` (written before anything is produced), then `done`, `duplicate`, `refused` or `failed`.',
      detail: 'JSON text: what was produced, or why not.',
      produced: 'Messages produced by this request.',
      at_ms: 'When the row was written (epoch ms).',
    },
  },
  agent_liveness: {
    note: 'One row-set per agent, read back with maxMerge/minMerge/argMaxMerge/uniqExactMerge and GROUP BY agent.',
    columns: {
      agent: 'The agent that sent the heartbeats.',
      first_heartbeat_ms: 'minMerge (epoch ms).',
      last_heartbeat_ms: 'maxMerge (epoch ms).',
      last_state: 'argMaxMerge, like the other `last_*` columns.',
      last_in_flight: '`in_flight` of the latest heartbeat.',
      last_max_concurrency: '`max_concurrency` of the latest heartbeat.',
      last_host: '`host` of the latest heartbeat.',
      last_pid: '`pid` of the latest heartbeat.',
      last_version: '`version` of the latest heartbeat.',
      heartbeats: 'uniqExactMerge: distinct heartbeat message ids.',
    },
  },
  alert_state: {
    note: "The alert notifier's open and resolved alerts, latest version wins.",
    columns: {
      issue_id: 'The diagnosis issue the alert is about.',
      state: '`open` or `resolved`.',
      severity: "The issue's severity: `critical`, `high`, `medium`, `low` or `info`.",
      title: "The issue's title.",
      issue: 'JSON text of the issue as last seen.',
      opened_at_ms: 'When the alert opened (epoch ms).',
      resolved_at_ms: '0 while open.',
      delivered: 'JSON text `{webhook id: "open" | "resolved"}`: what each webhook was last told.',
      attempts: 'Failed delivery attempts since the last success.',
      next_attempt_ms:
        'When a failed delivery is tried again (epoch ms); 0 when nothing is waiting to be retried.',
      updated_at_ms:
        'When this version was written (epoch ms); the version that deduplication keeps the greatest of.',
    },
  },
  dead_letters: {
    note: 'Every message sent to agent-telemetry-dlq, by origin.',
    columns: {
      topic: 'The topic the poison message was read from.',
      partition: 'Its partition.',
      offset: 'Its offset in that partition.',
      error_code: 'Why it is poison: a codec or mapping error code (e.g. `EMPTY_VALUE`, `INVALID_RECORD`).',
      reason: 'A human-readable reason, at most 1000 characters.',
      schema_id: 'The schema id of the wire header, or -1 when there was none.',
      size_bytes: "The size of the message's value in bytes; 0 for an empty value.",
      observed_at_ms: 'When the processors read the message (epoch ms).',
    },
  },
  error_facts: {
    note: 'Every DetailedError, feeding `error_groups` and `error_rollup_1m`.',
    columns: {
      error_id: 'Unique id of this error record (UUID). (DetailedError.error_id)',
      topic: 'The Kafka topic the record was read from.',
      partition: 'Its Kafka partition.',
      offset: 'Its offset in that partition.',
      schema_id: "The schema registry id of the writer's schema (from the wire header).",
      fingerprint:
        'Grouping key computed by the sender; the processors compute one when absent. (DetailedError.fingerprint)',
      severity:
        'How severe the agent judged the error; the Enum8 value orders it (1 `critical` is the most severe).',
      category: 'What kind of failure it was, as the agent classified it.',
      error_type: 'Class or kind of the error (for example RateLimitError). (DetailedError.error_type)',
      error_message: "The error's message, as the agent reported it.",
      error_code: 'Structured code (HTTP status, errno, provider code). (DetailedError.error_code)',
      stack_trace: "The stack trace; '' when none was sent.",
      trace_id: "The W3C trace id of the work that failed; '' when none was sent.",
      span_id: "The W3C span id of the operation that failed; '' when none was sent.",
      agent_name: 'The agent that reported the error (the name its queue and messages use).',
      agent_id: 'Instance of the agent (pod or process). (DetailedError.agent_id)',
      operation:
        'What the agent was doing (llm_call, tool_call, handoff, handle_task…). (DetailedError.operation)',
      input_data: 'JSON text of an object: the input of the failed operation. (DetailedError.input_data)',
      partial_output: "What the operation produced before it failed; '' when none was sent.",
      model_name: "The model called, for LLM errors; '' when none was sent.",
      prompt_preview: "The start of the prompt, for LLM errors; '' when none was sent.",
      token_count: 'Tokens involved in the failed call; 0 when none was sent.',
      tool_name: "The tool called, for tool errors; '' when none was sent.",
      tool_parameters: 'JSON text of an object. (DetailedError.tool_parameters)',
      timestamp_ms:
        'DetailedError.timestamp (epoch ms), or the observed time when it could not be right (see `timestamp_original_ms`).',
      duration_before_error_ms: 'How long the operation ran before it failed (ms); 0 when not sent.',
      is_retryable: '1 when the agent reported the error as retryable, else 0.',
      retry_count: 'Retries already made of the failed operation, as the agent reported it.',
      max_retries: 'Retries the agent allows for the operation, as it reported it.',
      suggested_fixes: 'Fixes the agent suggests; empty when none.',
      related_docs: 'Links to documents about the error; empty when none.',
      environment: "The deployment environment the agent runs in; '' when none was sent.",
      service_name: "The service the agent belongs to; '' when none was sent.",
      host: "The host the agent runs on; '' when none was sent.",
      suppressed_count:
        'Errors of the same fingerprint the sender dropped by sampling since the previous record it sent. (DetailedError.suppressed_count)',
      task_id: 'message_id of the task being handled when the error happened. (DetailedError.task_id)',
      job_id: "The end-to-end job the failed work belongs to; '' when none was sent.",
      http_status: 'HTTP status of the failed upstream call, when there was one. (DetailedError.http_status)',
      observed_at_ms:
        'When the processors read the record (epoch ms); the version that deduplication keeps the greatest of.',
      timestamp_original_ms:
        "The sender's own timestamp when it could not be right and `timestamp_ms` is the observed time; else 0 (migration 0007).",
    },
  },
  error_groups: {
    note: 'One row-set per fingerprint, folded from `error_facts` by its materialized view with -State aggregates; read back with the matching -Merge functions (minMerge, maxMerge, uniqExactMerge, groupUniqArrayMerge, argMaxMerge) and GROUP BY fingerprint.',
    columns: {
      fingerprint: 'The grouping key shared by the errors of the group (`error_facts.fingerprint`).',
      first_seen_ms: "minMerge: the earliest error's time (epoch ms).",
      last_seen_ms: "maxMerge: the latest error's time (epoch ms).",
      error_count: 'uniqExactMerge: distinct error ids.',
      agents: 'groupUniqArrayMerge: the agents that reported it.',
      error_type: 'argMaxMerge, like the other sample columns: of the latest error, ties broken by error id.',
      category: "The latest error's category.",
      top_severity: "minMerge of the severity's rank: 1 critical, 2 error, 3 warning, 4 info.",
      operation: "The latest error's operation; '' when it had none.",
      sample_error_id: "The latest error's id.",
      sample_message: "The latest error's message.",
      sample_trace_id: "The latest error's trace id; '' when it had none.",
    },
  },
  error_refs: {
    note: "Error id and task id -> the error's key in `errors_by_trace`.",
    columns: {
      ref: "The id looked up: the error's own id, or the task it was reported for.",
      ref_kind: "`error` when `ref` is the error's own id, `task` when it is its `task_id`.",
      trace_id: "The error's trace id; with `timestamp_ms` and `error_id`, its key in `errors_by_trace`.",
      timestamp_ms: "The error's `timestamp_ms` (epoch ms).",
      error_id: "The error's id (equal to `ref` when `ref_kind` is `error`).",
    },
  },
  error_rollup_1m: {
    note: 'Errors per minute × agent × category × severity.',
    columns: {
      minute: "ClickHouse DateTime text, `YYYY-MM-DD hh:mm:ss` in the server's time zone.",
      agent_name: 'The agent that reported the errors.',
      category: "The errors' category (as text).",
      severity: "The errors' severity (as text).",
      errors: 'uniqExactMerge: distinct error ids.',
    },
  },
  errors_by_trace: {
    note: 'Every column of `error_facts`, sorted by (trace_id, timestamp_ms, error_id).',
    columns: {
      error_id: 'Unique id of this error record (UUID). (DetailedError.error_id)',
      topic: 'The Kafka topic the record was read from.',
      partition: 'Its Kafka partition.',
      offset: 'Its offset in that partition.',
      schema_id: "The schema registry id of the writer's schema (from the wire header).",
      fingerprint:
        'Grouping key computed by the sender; the processors compute one when absent. (DetailedError.fingerprint)',
      severity:
        'How severe the agent judged the error; the Enum8 value orders it (1 `critical` is the most severe).',
      category: 'What kind of failure it was, as the agent classified it.',
      error_type: 'Class or kind of the error (for example RateLimitError). (DetailedError.error_type)',
      error_message: "The error's message, as the agent reported it.",
      error_code: 'Structured code (HTTP status, errno, provider code). (DetailedError.error_code)',
      stack_trace: "The stack trace; '' when none was sent.",
      trace_id: "The W3C trace id of the work that failed; '' when none was sent.",
      span_id: "The W3C span id of the operation that failed; '' when none was sent.",
      agent_name: 'The agent that reported the error (the name its queue and messages use).',
      agent_id: 'Instance of the agent (pod or process). (DetailedError.agent_id)',
      operation:
        'What the agent was doing (llm_call, tool_call, handoff, handle_task…). (DetailedError.operation)',
      input_data: 'JSON text of an object: the input of the failed operation. (DetailedError.input_data)',
      partial_output: "What the operation produced before it failed; '' when none was sent.",
      model_name: "The model called, for LLM errors; '' when none was sent.",
      prompt_preview: "The start of the prompt, for LLM errors; '' when none was sent.",
      token_count: 'Tokens involved in the failed call; 0 when none was sent.',
      tool_name: "The tool called, for tool errors; '' when none was sent.",
      tool_parameters: 'JSON text of an object. (DetailedError.tool_parameters)',
      timestamp_ms:
        'DetailedError.timestamp (epoch ms), or the observed time when it could not be right (see `timestamp_original_ms`).',
      duration_before_error_ms: 'How long the operation ran before it failed (ms); 0 when not sent.',
      is_retryable: '1 when the agent reported the error as retryable, else 0.',
      retry_count: 'Retries already made of the failed operation, as the agent reported it.',
      max_retries: 'Retries the agent allows for the operation, as it reported it.',
      suggested_fixes: 'Fixes the agent suggests; empty when none.',
      related_docs: 'Links to documents about the error; empty when none.',
      environment: "The deployment environment the agent runs in; '' when none was sent.",
      service_name: "The service the agent belongs to; '' when none was sent.",
      host: "The host the agent runs on; '' when none was sent.",
      suppressed_count:
        'Errors of the same fingerprint the sender dropped by sampling since the previous record it sent. (DetailedError.suppressed_count)',
      task_id: 'message_id of the task being handled when the error happened. (DetailedError.task_id)',
      job_id: "The end-to-end job the failed work belongs to; '' when none was sent.",
      http_status: 'HTTP status of the failed upstream call, when there was one. (DetailedError.http_status)',
      observed_at_ms:
        'When the processors read the record (epoch ms); the version that deduplication keeps the greatest of.',
      timestamp_original_ms:
        "The sender's own timestamp when it could not be right and `timestamp_ms` is the observed time; else 0 (migration 0007).",
    },
  },
  heartbeats: {
    note: 'What each HEARTBEAT reported. `heartbeats` has the Null engine (it keeps nothing); its materialized view folds every row into `agent_liveness`.',
    columns: {
      agent: 'The agent that sent the heartbeat (its `source_agent`).',
      message_id: "The HEARTBEAT message's id.",
      state:
        '`idle`, `busy`, `draining` or `stopping`, as reported; `unknown` when the message carried no heartbeat.',
      in_flight: 'Tasks the agent was working on; 0 when not reported.',
      max_concurrency: 'Tasks the agent can work on at once; 0 when the message carried no heartbeat.',
      host: "The agent's host; '' when not reported.",
      pid: "The agent's process id; 0 when not reported.",
      version: "The agent's version; '' when not reported.",
      sent_at_ms: "The message's `sent_at_ms` (epoch ms).",
      observed_at_ms: 'When the processors read the message (epoch ms).',
    },
  },
  lag_samples: {
    note: 'Consumer lag per group, topic and partition, sampled every LAG_SAMPLE_INTERVAL_MS.',
    columns: {
      group_id: 'The Kafka consumer group.',
      topic: 'An agent queue topic or the errors topic.',
      partition: "The topic's partition.",
      sampled_at_ms: 'When the sample was taken (epoch ms), rounded down to the sampling interval.',
      end_offset: "The partition's end offset (the offset the next record will get).",
      committed_offset:
        "The group's committed offset on the partition; partitions where it never committed are not sampled.",
      lag: '`end_offset` − `committed_offset`, never below 0: records the group has yet to commit.',
      members: 'Members of the group when sampled.',
      group_state:
        "The group's state: `stable`, `empty`, `dead`, `preparing_rebalance`, `completing_rebalance` or `unknown`.",
    },
  },
  llm_calls: {
    note: "One row per LLM call carried in a message's `llm_usage`.",
    columns: {
      message_id: 'The RESULT or ERROR message whose `llm_usage` reported the call.',
      call_index: "The call's 0-based position in that message's `llm_usage`.",
      agent: "The agent that made the call (the message's `source_agent`).",
      model: 'The model called, as the agent named it.',
      provider: "The model's provider; '' when the agent did not say.",
      prompt_tokens: 'Input tokens of the call; 0 when not reported.',
      completion_tokens: 'Output tokens of the call; 0 when not reported.',
      latency_ms: 'How long the call took (ms); 0 when not reported.',
      cost_usd: 'What the call cost, in US dollars, as the agent reported it; 0 when not reported.',
      status: '`ok`, or the failure class (`rate_limited`, `timeout`, `error`).',
      trace_id: "The message's W3C trace id.",
      task_id:
        "The task the call was made for: the message's `parent_message_id`, or its own id when it has none.",
      at_ms: "The message's `sent_at_ms` (epoch ms).",
      observed_at_ms:
        'When the processors read the message (epoch ms); the version that deduplication keeps the greatest of.',
    },
  },
  message_log: {
    note: "Every observed AgentMessage. Absent values are '' and 0.",
    columns: {
      message_id:
        'Unique id of this message (UUID); the id of the task when message_type is task. (AgentMessage.message_id)',
      topic: 'The Kafka topic the record was read from.',
      partition: 'Its Kafka partition.',
      offset: 'Its offset in that partition.',
      schema_id: "The schema registry id of the writer's schema (from the wire header).",
      source_agent: 'Agent that wrote the message. (AgentMessage.source_agent)',
      target_agent: 'Agent whose queue the message was written to. (AgentMessage.target_agent)',
      message_type:
        'What the message is: a `task`, an answer to one (`result`, `error`), a `cancel` of one, or a `heartbeat`.',
      priority: 'The priority the sender gave the message (`normal` unless set).',
      trace_id: 'W3C trace id (32 lower-case hex digits). (AgentMessage.trace_id)',
      span_id:
        'W3C span id (16 lower-case hex digits) of the span that sent the message. (AgentMessage.span_id)',
      parent_message_id:
        'For result, error and cancel: the message_id of the task they answer. (AgentMessage.parent_message_id)',
      reason:
        'Human-readable reason (why the task was sent, why it failed or was cancelled). (AgentMessage.reason)',
      payload:
        'JSON text of an object: the task arguments or the result. Kept as text so agents can send any shape without a schema change. (AgentMessage.payload)',
      ttl_seconds:
        'For tasks: seconds after timestamp at which an unanswered task expires; null means never. (AgentMessage.ttl_seconds)',
      attempt:
        '1-based attempt number of this task (retries of one logical step share job_id and step). (AgentMessage.attempt)',
      max_retries: 'Retries the requester will make after this attempt fails. (AgentMessage.max_retries)',
      deadline_ms: 'The time the requester needs the answer by (epoch ms); 0 when none.',
      job_id: "The end-to-end job this message belongs to (the orchestrator's job). (AgentMessage.job_id)",
      sent_at_ms:
        'AgentMessage.timestamp (epoch ms), or the observed time when it could not be right (see `sent_at_original_ms`).',
      observed_at_ms:
        'When the processors read the record (epoch ms); the version that deduplication keeps the greatest of.',
      sent_at_original_ms:
        "The sender's own timestamp when it could not be right and `sent_at_ms` is the observed time; else 0 (migration 0007).",
      started_at_ms:
        'When the answering agent started the task (RESULT/ERROR that report it); else 0 (migration 0008).',
    },
  },
  message_refs: {
    note: "Message id and parent id -> the message's key in `messages_by_trace`.",
    columns: {
      ref: "The id looked up: the message's own id, or the id of the task it answers.",
      ref_kind: "`message` when `ref` is the message's own id, `parent` when it is its `parent_message_id`.",
      trace_id: "The message's trace id; with `sent_at_ms` and `message_id`, its key in `messages_by_trace`.",
      sent_at_ms: "The message's `sent_at_ms` (epoch ms).",
      message_id: "The message's id (equal to `ref` when `ref_kind` is `message`).",
    },
  },
  message_rollup_1m: {
    note: 'Messages per minute × queue agent × sender × message type.',
    columns: {
      minute: "ClickHouse DateTime text, `YYYY-MM-DD hh:mm:ss` in the server's time zone.",
      target_agent: 'The agent whose queue the messages were written to.',
      source_agent: 'The agent that wrote them.',
      message_type: '`task`, `result`, `error`, `heartbeat` or `cancel`.',
      messages: 'uniqExactMerge: distinct message ids.',
    },
  },
  messages_by_trace: {
    note: 'Every column of `message_log`, sorted by (trace_id, sent_at_ms, message_id).',
    columns: {
      message_id:
        'Unique id of this message (UUID); the id of the task when message_type is task. (AgentMessage.message_id)',
      topic: 'The Kafka topic the record was read from.',
      partition: 'Its Kafka partition.',
      offset: 'Its offset in that partition.',
      schema_id: "The schema registry id of the writer's schema (from the wire header).",
      source_agent: 'Agent that wrote the message. (AgentMessage.source_agent)',
      target_agent: 'Agent whose queue the message was written to. (AgentMessage.target_agent)',
      message_type:
        'What the message is: a `task`, an answer to one (`result`, `error`), a `cancel` of one, or a `heartbeat`.',
      priority: 'The priority the sender gave the message (`normal` unless set).',
      trace_id: 'W3C trace id (32 lower-case hex digits). (AgentMessage.trace_id)',
      span_id:
        'W3C span id (16 lower-case hex digits) of the span that sent the message. (AgentMessage.span_id)',
      parent_message_id:
        'For result, error and cancel: the message_id of the task they answer. (AgentMessage.parent_message_id)',
      reason:
        'Human-readable reason (why the task was sent, why it failed or was cancelled). (AgentMessage.reason)',
      payload:
        'JSON text of an object: the task arguments or the result. Kept as text so agents can send any shape without a schema change. (AgentMessage.payload)',
      ttl_seconds:
        'For tasks: seconds after timestamp at which an unanswered task expires; null means never. (AgentMessage.ttl_seconds)',
      attempt:
        '1-based attempt number of this task (retries of one logical step share job_id and step). (AgentMessage.attempt)',
      max_retries: 'Retries the requester will make after this attempt fails. (AgentMessage.max_retries)',
      deadline_ms: 'The time the requester needs the answer by (epoch ms); 0 when none.',
      job_id: "The end-to-end job this message belongs to (the orchestrator's job). (AgentMessage.job_id)",
      sent_at_ms:
        'AgentMessage.timestamp (epoch ms), or the observed time when it could not be right (see `sent_at_original_ms`).',
      observed_at_ms:
        'When the processors read the record (epoch ms); the version that deduplication keeps the greatest of.',
      sent_at_original_ms:
        "The sender's own timestamp when it could not be right and `sent_at_ms` is the observed time; else 0 (migration 0007).",
      started_at_ms:
        'When the answering agent started the task (RESULT/ERROR that report it); else 0 (migration 0008).',
    },
  },
  task_events: {
    note: "The pending-task view. Writers insert events; readers query the view's aggregate with the agent filter applied inside it, so the primary key (agent, task_id) prunes the scan.",
    columns: {
      agent:
        "The agent the row is filed under: a TASK's target agent; a resolution is filed under both agents of the answering message.",
      task_id: "The task's message id (for a resolution, the answer's `parent_message_id`).",
      has_task: '1 on the row of the TASK message itself, 0 on a resolution row.',
      requester: "The agent that sent the task (its `source_agent`); '' on resolution rows.",
      target:
        "The agent the task was sent to (its `target_agent`, the same as `agent`); '' on resolution rows.",
      priority: 'Priority rank: 1 low, 2 normal, 3 high, 4 critical; 0 on resolution rows.',
      attempt: "The task's 1-based attempt number; 0 on resolution rows.",
      max_retries: 'Retries the requester will make after this attempt fails; 0 on resolution rows.',
      submitted_at_ms:
        'When the task was sent (its `sent_at_ms` in `message_log`, epoch ms); 0 on resolution rows.',
      expires_at_ms:
        '`submitted_at_ms` + `ttl_seconds` × 1000 (epoch ms); 0 when the task never expires, and on resolution rows.',
      deadline_ms:
        'The time the requester needs the answer by (epoch ms); 0 when none, and on resolution rows.',
      trace_id: "The task's W3C trace id; '' on resolution rows.",
      job_id: "The end-to-end job the task belongs to; '' when none, and on resolution rows.",
      resolved_key: 'resolved_at_ms * 4 + rank, or 0 for the task row.',
      resolved_by:
        "The message id of the RESULT, ERROR or CANCEL that resolves the task; '' on the task row.",
      observed_at_ms: 'When the processors read the message (epoch ms).',
    },
  },
  task_lifecycle: {
    note: 'One row-set per (agent, task_id), folded from `task_events` (AggregatingMergeTree); the view `task_state` reads it.',
    columns: {
      agent:
        "The agent the row is filed under: a TASK's target agent; a resolution is filed under both agents of the answering message.",
      task_id: "The task's message id (for a resolution, the answer's `parent_message_id`).",
      has_task: '1 on the row of the TASK message itself, 0 on a resolution row.',
      requester: "The agent that sent the task (its `source_agent`); '' on resolution rows.",
      target:
        "The agent the task was sent to (its `target_agent`, the same as `agent`); '' on resolution rows.",
      priority: 'Priority rank: 1 low, 2 normal, 3 high, 4 critical; 0 on resolution rows.',
      attempt: "The task's 1-based attempt number; 0 on resolution rows.",
      max_retries: 'Retries the requester will make after this attempt fails; 0 on resolution rows.',
      submitted_at_ms:
        'When the task was sent (its `sent_at_ms` in `message_log`, epoch ms); 0 on resolution rows.',
      expires_at_ms:
        '`submitted_at_ms` + `ttl_seconds` × 1000 (epoch ms); 0 when the task never expires, and on resolution rows.',
      deadline_ms:
        'The time the requester needs the answer by (epoch ms); 0 when none, and on resolution rows.',
      trace_id: "The task's W3C trace id; '' on resolution rows.",
      job_id: "The end-to-end job the task belongs to; '' when none, and on resolution rows.",
      resolution_key:
        'minIfMerge: the earliest `resolved_key` above 0, resolved_at_ms × 4 + rank (`% 4`: 1 completed, 2 failed, 3 cancelled); 0 while unresolved.',
      resolved_by:
        "argMinIfMerge: the message id of the answer that `resolution_key` comes from; '' while unresolved.",
    },
  },
  task_state: {
    note: "A view of one row per task and agent with its state, expiry evaluated at the server's clock.",
    columns: {},
  },
};
