/// <reference lib="dom" />
/** The shapes the dashboard reads: the GraphQL fields it asks for and the REST bodies it calls. */

export type Liveness = 'alive' | 'silent' | 'dead' | 'unknown';
export type LagStatus = 'OK' | 'WARN' | 'ERR' | 'STOP' | 'STALL' | 'REWIND';

export interface Agent {
  agent_name: string;
  liveness: Liveness;
  last_heartbeat: string | null;
  heartbeat_state: string | null;
  in_flight: number | null;
  max_concurrency: number | null;
  host: string | null;
  version: string | null;
  tasks_received: number;
  results_sent: number;
  errors_sent: number;
  errors_reported: number;
  throughput_per_minute: number;
  error_rate: number;
  llm: { calls: number; rate_limited: number; cost_usd: number };
}

export interface Queue {
  agent_name: string;
  queue_topic: string;
  lag: number | null;
  lag_source: string;
  lag_status: LagStatus;
  lag_partition_status: LagStatus;
  consumer_members: number | null;
  total_messages: number;
  pending_tasks: number;
  oldest_pending_task_id: string | null;
  oldest_pending_age_seconds: number | null;
}

export interface Task {
  task_id: string;
  agent_name: string;
  requester: string;
  priority: 'low' | 'normal' | 'high' | 'critical';
  state: string;
  attempt: number;
  max_retries: number;
  submitted_at: string;
  age_seconds: number;
  deadline: string | null;
  expires_at: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  latency_ms: number | null;
  trace_id: string | null;
}

export interface ErrorGroup {
  fingerprint: string;
  error_type: string;
  category: string;
  severity: string;
  operation: string | null;
  count: number;
  first_seen: string;
  last_seen: string;
  agents: string[];
  sample_message: string;
  sample_trace_id: string | null;
  trend: { buckets: number[]; bucket_minutes: number; direction: string };
}

export interface Dashboard {
  agents: Agent[];
  queues: Queue[];
  pendingTasks: Task[];
  errorGroups: ErrorGroup[];
  errorSummary: { total_errors: number; by_severity: { key: string; count: number }[] };
  agentGraph: AgentGraph;
}

export interface AgentSeries {
  agent_name: string;
  received: number[];
  sent: number[];
  errors: number[];
}

export interface Activity {
  window_minutes: number;
  minutes: string[];
  agents: AgentSeries[];
}

export interface TaskMessage {
  message_id: string;
  source_agent: string;
  target_agent: string;
  message_type: string;
  priority: string;
  timestamp: string;
  reason: string | null;
  attempt: number;
}

export interface TaskError {
  error_id: string;
  agent_name: string;
  severity: string;
  error_type: string;
  error_message: string;
  timestamp: string;
}

export interface TaskHistory {
  task_id: string;
  trace_id: string | null;
  states: Task[];
  messages: TaskMessage[];
  errors: TaskError[];
}

/** `/api/v1/claude/diagnose?format=summary` (served when the diagnosis module is registered). */
export interface DiagnosisSummary {
  system_status: string;
  system_summary: string;
  issue_counts?: Record<string, number>;
  error_rate?: number;
  any_rate_limited?: boolean;
  suggested_actions?: { priority?: string | number; action: string; rationale?: string }[];
}

export type Health = 'healthy' | 'degraded' | 'failing' | 'down' | 'unknown';

export interface AgentGraphNode {
  agent: string;
  health: Health;
  health_reason: string;
  liveness: Liveness;
  error_rate: number;
  throughput_per_minute: number;
  in_flight: number | null;
  pending: number;
  tasks_received: number;
}

export interface AgentGraphEdge {
  source: string;
  target: string;
  tasks: number;
  rate_per_minute: number;
  error_rate: number;
  p95_latency_ms: number | null;
  pending: number;
}

export interface AgentGraph {
  window_minutes: number;
  nodes: AgentGraphNode[];
  edges: AgentGraphEdge[];
}

export interface WaterfallRow {
  id: string;
  kind: 'task' | 'llm_call' | 'error' | 'message';
  agent: string;
  label: string;
  depth: number;
  parent_id: string | null;
  start_offset_ms: number;
  end_offset_ms: number | null;
  state: string;
  queued_ms: number | null;
  working_ms: number | null;
  llm_ms: number | null;
  detail: string | null;
}

export interface TraceWaterfall {
  trace_id: string;
  started_at: string;
  duration_ms: number;
  agents: string[];
  rows: WaterfallRow[];
  counts: { tasks: number; messages: number; errors: number; llm_calls: number };
  notes: string[];
}
