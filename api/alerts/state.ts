import { ALERT_SEVERITIES } from '../../lib/config.js';

export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type AlertState = 'open' | 'resolved';

/** What an alert says about its issue (a diagnosis issue, trimmed to what a notification shows). */
export interface AlertIssue {
  id: string;
  kind: string;
  severity: AlertSeverity;
  title: string;
  description: string;
  affected_components: string[];
  suggested_actions: string[];
  related_trace_ids: string[];
}

/** One alert: an issue id's latest state, and what each webhook was last told about it. */
export interface AlertRecord {
  issue_id: string;
  state: AlertState;
  issue: AlertIssue;
  opened_at_ms: number;
  /** 0 while open. */
  resolved_at_ms: number;
  /** Webhook id → the state it was last told. */
  delivered: Record<string, AlertState>;
  /** Failed delivery rounds since the last success (drives the backoff). */
  attempts: number;
  next_attempt_ms: number;
  updated_at_ms: number;
}

/** Lower is more severe. */
export function severityRank(severity: string): number {
  const rank = (ALERT_SEVERITIES as readonly string[]).indexOf(severity);
  return rank < 0 ? ALERT_SEVERITIES.length : rank;
}

export function atLeast(severity: string, minimum: AlertSeverity): boolean {
  return severityRank(severity) <= severityRank(minimum);
}

/**
 * One evaluation: issues that are new (or back after resolving) open an alert, open alerts whose
 * issue is gone resolve, open alerts still present keep their state (deduplicated by issue id; the
 * snapshot follows the issue, without a new notification). Returns the records that changed.
 */
export function evaluateAlerts(
  records: Map<string, AlertRecord>,
  issues: readonly AlertIssue[],
  nowMs: number,
): AlertRecord[] {
  const changed: AlertRecord[] = [];
  const present = new Set<string>();
  for (const issue of issues) {
    present.add(issue.id);
    const previous = records.get(issue.id);
    if (previous?.state === 'open') {
      if (previous.issue.severity !== issue.severity || previous.issue.title !== issue.title) {
        const next = { ...previous, issue, updated_at_ms: versionAfter(previous, nowMs) };
        records.set(issue.id, next);
        changed.push(next);
      }
      continue;
    }
    const opened: AlertRecord = {
      issue_id: issue.id,
      state: 'open',
      issue,
      opened_at_ms: nowMs,
      resolved_at_ms: 0,
      delivered: previous?.delivered ?? {},
      attempts: 0,
      next_attempt_ms: 0,
      updated_at_ms: previous === undefined ? nowMs : versionAfter(previous, nowMs),
    };
    records.set(issue.id, opened);
    changed.push(opened);
  }
  for (const record of records.values()) {
    if (record.state !== 'open' || present.has(record.issue_id)) continue;
    const resolved: AlertRecord = {
      ...record,
      state: 'resolved',
      resolved_at_ms: nowMs,
      attempts: 0,
      next_attempt_ms: 0,
      updated_at_ms: versionAfter(record, nowMs),
    };
    records.set(record.issue_id, resolved);
    changed.push(resolved);
  }
  return changed;
}

/** The version of a record's next state: the store keeps the highest, so it must grow. */
export function versionAfter(record: AlertRecord, nowMs: number): number {
  return Math.max(nowMs, record.updated_at_ms + 1);
}

/**
 * Whether `webhook` has nothing to be told about `record`: it knows the current state, or the alert
 * resolved before the webhook ever heard of it opening (nothing to resolve).
 */
export function settled(record: AlertRecord, webhook: string): boolean {
  const told = record.delivered[webhook];
  return told === record.state || (record.state === 'resolved' && told !== 'open');
}

/** The backoff after `attempts` failed rounds: 1 s, 2 s, 4 s… up to 10 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(600_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}
