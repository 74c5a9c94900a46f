/**
 * `error_groups` (migration 0003): one row-set per fingerprint, folded from `error_facts` by its
 * materialized view with -State aggregates; read back with the matching -Merge functions
 * (minMerge, maxMerge, uniqExactMerge, groupUniqArrayMerge, argMaxMerge) and GROUP BY fingerprint.
 */
export const ERROR_GROUPS = 'error_groups';
/** The materialized view that folds `error_facts` into `error_groups`. */
export const ERROR_GROUPS_MV = 'error_groups_mv';

/** A group as its -Merge functions read it back. */
export interface ErrorGroupRow {
  /** The grouping key shared by the errors of the group (`error_facts.fingerprint`). */
  fingerprint: string;
  /** minMerge: the earliest error's time (epoch ms). */
  first_seen_ms: number;
  /** maxMerge: the latest error's time (epoch ms). */
  last_seen_ms: number;
  /** uniqExactMerge: distinct error ids. */
  error_count: number;
  /** groupUniqArrayMerge: the agents that reported it. */
  agents: string[];
  /** argMaxMerge, like the other sample columns: of the latest error, ties broken by error id. */
  error_type: string;
  /** The latest error's category. */
  category: string;
  /** minMerge of the severity's rank: 1 critical, 2 error, 3 warning, 4 info. */
  top_severity: number;
  /** The latest error's operation; '' when it had none. */
  operation: string;
  /** The latest error's id. */
  sample_error_id: string;
  /** The latest error's message. */
  sample_message: string;
  /** The latest error's trace id; '' when it had none. */
  sample_trace_id: string;
}

export const ERROR_GROUP_COLUMNS = [
  'fingerprint',
  'first_seen_ms',
  'last_seen_ms',
  'error_count',
  'agents',
  'error_type',
  'category',
  'top_severity',
  'operation',
  'sample_error_id',
  'sample_message',
  'sample_trace_id',
] as const satisfies readonly (keyof ErrorGroupRow)[];
